#!/usr/bin/env bash
# The rollout role and playbook against the real nova-compute rig (needs root
# and `tests/rig/nova-rig.sh up`): first run, idempotent second run, check
# mode, and a refusal that must roll back. Restores nova.conf at the end.
# Every expected accept/refuse comes from this host's own libvirt, asked
# first by tests/nova/hostanswers (its answers are printed and kept in
# $OUT/host-answers.log).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/nova/suite.sh
OUT=$ROOT/tests/output/nova
suite_start
# The host's answers, derived before anything changes nova.conf.
if ! go run ./tests/nova/hostanswers -dir "$OUT" >"$OUT/host-answers.log" 2>&1; then
  cat "$OUT/host-answers.log"; echo "rollout: cannot derive the expected answers from this host"; exit 1
fi
sed 's/^/  /' "$OUT/host-answers.log"
VARS=$OUT/host-answers.json
# each check's log starts with the host's answers it was derived from
check_preamble() { cat "$OUT/host-answers.log"; echo "---"; }
changed_zero() { grep -Eq 'changed=0 ' "$1" && ! grep -Eq 'changed=[1-9]' "$1"; }
compute_up() { service nova-compute status >/dev/null 2>&1; }

check rollout "$PY/ansible-playbook" -i "$INV" -e cpu_flags_groups=hypervisors tests/nova/test_rollout.yml -e @"$VARS"
check rollout-second "$PY/ansible-playbook" -i "$INV" -e cpu_flags_groups=hypervisors playbooks/rollout.yml -e @"$VARS"
check rollout-idempotent changed_zero "$OUT/rollout-second.log"
cp -a "$CONF" "$OUT/nova.conf.applied"
check rollout-check "$PY/ansible-playbook" -i "$INV" -e cpu_flags_groups=hypervisors --check --diff playbooks/rollout.yml -e @"$VARS"
check rollout-check-unchanged changed_zero "$OUT/rollout-check.log"
check rollout-check-wrote-nothing cmp "$CONF" "$OUT/nova.conf.applied"

# Validation (steps 9-10 without a second hypervisor): the test instance's
# flags gathered again and compared with the promise, and the rig's libvirt
# pre-flight for the rolled-out definition.
# validate: the flags this host's libvirt accepts; validate-refuses: a
# feature no host of this vendor has, refused in libvirt's words.
check validate "$PY/ansible-playbook" -i "$INV" -e cpu_flags_groups=hypervisors playbooks/validate.yml -e cpu_flags_validate_instance=testvm \
  -e @"$OUT/validate-accepted.json"
never=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cpu_flags_rollout_flags"][0])' "$OUT/validate-refused.json")
never_said=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["cpu_flags_test_refused"][sys.argv[2]])' "$VARS" "$never")
check validate-refuses bash -c "! '$PY/ansible-playbook' -i '$INV' -e cpu_flags_groups=hypervisors playbooks/validate.yml -e @'$OUT/validate-refused.json' \
  > '$OUT/validate-refuses.out' 2>&1 && grep -q 'cannot give guests $never' '$OUT/validate-refuses.out' \
  && grep -qF '$never_said' '$OUT/validate-refuses.out'"

# A host that refuses the cluster's flags (the probe phase skipped, so the
# refused feature reaches the apply step): the play must fail, nova.conf must
# be byte for byte what it was, and nova-compute must run on it.
check refusal-fails bash -c "! '$PY/ansible-playbook' -i '$INV' -e cpu_flags_groups=hypervisors playbooks/rollout.yml -e cpu_flags_rollout_probe=false \
  -e @'$OUT/refusal.json'"
check refusal-rescued grep -q "Put the previous nova.conf back" "$OUT/refusal-fails.log"
check refusal-conf-restored cmp "$CONF" "$OUT/nova.conf.applied"
check refusal-compute-up compute_up

# Bad input against the real nova-compute (issue 11): refused before anything
# is written or restarted: nova.conf byte for byte, nova-compute's PID as it was.
pid_before=$(cat /var/run/nova/nova-compute.pid 2>/dev/null || echo none)
check bad-model-refused bash -c "! '$PY/ansible-playbook' -i '$INV' -e cpu_flags_groups=hypervisors playbooks/rollout.yml \
  -e '{\"cpu_flags_rollout_model\": \"NoSuchCPU9000\", \"cpu_flags_rollout_flags\": [\"pcid\"]}' > '$OUT/bad-model.out' 2>&1 \
  && grep -q 'NoSuchCPU9000.*defines no such CPU model' '$OUT/bad-model.out'"
check bad-flags-refused bash -c "! '$PY/ansible-playbook' -i '$INV' -e cpu_flags_groups=hypervisors playbooks/rollout.yml \
  -e '{\"cpu_flags_rollout_model\": \"Westmere\", \"cpu_flags_rollout_flags\": [\"pcid\", \"avx2;reboot\"]}' > '$OUT/bad-flags.out' 2>&1 \
  && grep -q 'not CPU feature names' '$OUT/bad-flags.out'"
check bad-input-conf-unchanged cmp "$CONF" "$OUT/nova.conf.applied"
check bad-input-no-restart bash -c "[ \"\$(cat /var/run/nova/nova-compute.pid)\" = '$pid_before' ] && service nova-compute status >/dev/null 2>&1"

# Leave the rig as it was.
suite_end rollout
