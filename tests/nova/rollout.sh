#!/usr/bin/env bash
# The rollout role and playbook against the real nova-compute rig (needs root
# and `tests/rig/nova-rig.sh up`): first run, idempotent second run, check
# mode, and a refusal that must roll back. Restores nova.conf at the end.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PY=$ROOT/.venv/bin
export ANSIBLE_COLLECTIONS_PATH=$ROOT/.ansible/collections ANSIBLE_NOCOLOR=1
INV=tests/nova/inventory.yml
# The playbooks take the hypervisor groups from cpu_flags_groups (default source,target).
G=(-e cpu_flags_groups=hypervisors)
CONF=/etc/nova/nova.conf
OUT=$ROOT/tests/output/nova
mkdir -p "$OUT"
cp -a "$CONF" "$OUT/nova.conf.orig"
passed=0; failed=0; failures=()
check() {
  local name=$1; shift
  if "$@" >"$OUT/$name.log" 2>&1; then passed=$((passed+1)); echo "ok   $name"
  else failed=$((failed+1)); failures+=("$name"); echo "FAIL $name (log: $OUT/$name.log)"; tail -20 "$OUT/$name.log" | sed 's/^/     /'; fi
}
changed_zero() { grep -Eq 'changed=0 ' "$1" && ! grep -Eq 'changed=[1-9]' "$1"; }
compute_up() { service nova-compute status >/dev/null 2>&1; }

check rollout "$PY/ansible-playbook" -i "$INV" "${G[@]}" tests/nova/test_rollout.yml -e @tests/nova/rollout-vars.yml
check rollout-second "$PY/ansible-playbook" -i "$INV" "${G[@]}" playbooks/rollout.yml -e @tests/nova/rollout-vars.yml
check rollout-idempotent changed_zero "$OUT/rollout-second.log"
cp -a "$CONF" "$OUT/nova.conf.applied"
check rollout-check "$PY/ansible-playbook" -i "$INV" "${G[@]}" --check --diff playbooks/rollout.yml -e @tests/nova/rollout-vars.yml
check rollout-check-unchanged changed_zero "$OUT/rollout-check.log"
check rollout-check-wrote-nothing cmp "$CONF" "$OUT/nova.conf.applied"

# Validation (steps 9-10 without a second hypervisor): the test instance's
# flags gathered again and compared with the promise, and the rig's libvirt
# pre-flight for the rolled-out definition.
check validate "$PY/ansible-playbook" -i "$INV" "${G[@]}" playbooks/validate.yml -e cpu_flags_validate_instance=testvm \
  -e '{"cpu_flags_rollout_model": "Westmere", "cpu_flags_rollout_flags": ["avx2", "pcid", "sse4.1", "tsc-deadline", "x2apic"]}'
check validate-refuses bash -c "! '$PY/ansible-playbook' -i '$INV' -e cpu_flags_groups=hypervisors playbooks/validate.yml \
  -e '{\"cpu_flags_rollout_model\": \"Westmere\", \"cpu_flags_rollout_flags\": [\"avx512f\"]}' > '$OUT/validate-refuses.out' 2>&1 && grep -q 'cannot give guests' '$OUT/validate-refuses.out'"

# A host that refuses the cluster's flags (the probe phase skipped, so the
# refused avx512f reaches the apply step): the play must fail, nova.conf must
# be byte for byte what it was, and nova-compute must run on it.
check refusal-fails bash -c "! '$PY/ansible-playbook' -i '$INV' -e cpu_flags_groups=hypervisors playbooks/rollout.yml -e cpu_flags_rollout_probe=false \
  -e '{\"cpu_flags_rollout_model\": \"Westmere\", \"cpu_flags_rollout_flags\": [\"pcid\", \"avx512f\"]}'"
check refusal-rescued grep -q "Put the previous nova.conf back" "$OUT/refusal-fails.log"
check refusal-conf-restored cmp "$CONF" "$OUT/nova.conf.applied"
check refusal-compute-up compute_up

# Leave the rig as it was.
cp -a "$OUT/nova.conf.orig" "$CONF"
service nova-compute restart >/dev/null 2>&1 || true
rm -f /etc/nova/nova.conf.*.cpuflags.bak

echo
[ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
echo "rollout: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
