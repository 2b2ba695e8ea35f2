#!/usr/bin/env bash
# The rollout of a reviewed plan against the real nova-compute rig (needs root
# and `tests/rig/nova-rig.sh up`; run by tests/nova/run.sh). Plans are made by
# the real baseline from the rig's own facts (so nothing here depends on the
# CPU of the machine), and from captured real CPUs:
#   - a plan blocked on a host (Cascadelake-Server over the rig and a captured
#     Broadwell), a plan that does not cover the rig, and a plan made when the
#     rig's CPU was different (its facts edited: other microcode, a feature
#     less): each refused before anything changes, with the reason: nova.conf
#     byte for byte as it was and nova-compute not restarted (same PID);
#   - the plan of the rig itself: exactly its model and flags land in nova.conf
#     and nova-compute runs on them; drift then reports nothing changed.
# Restores nova.conf at the end.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/nova/suite.sh
OUT=$ROOT/tests/output/nova-plan
suite_start fresh
# The Nova the rig runs (Debian's package version without its epoch), the
# release the plan is written for.
NOVA_RELEASE=$(dpkg-query -W -f='${Version}' python3-nova | sed 's/^[0-9]*://')
# The rig is a nested-KVM guest running Nova 26 (Zed), whose start-up check
# is compareCPU against the host CPU: features only libvirt's hypervisor view
# offers there (the arch-capabilities MSR bits) are refused, as this suite
# measured. Its facts are therefore gathered without libvirt (the guest view
# predicted from /proc/cpuinfo), for the plan and for every rollout alike, so
# that the fingerprints compare like with like.
VIEW=(-e cpu_flags_gather_libvirt=never)
ROLL=("$PY/ansible-playbook" -i "$INV" playbooks/rollout.yml -e cpu_flags_groups=hypervisors "${VIEW[@]}")
refused() { # refused PLAN: the rollout fails, nova.conf is unchanged and nova-compute was not restarted
  local pid; pid=$(cat "$PIDFILE")
  if "${ROLL[@]}" -e cpu_flags_rollout_plan="$1"; then echo "the rollout did not refuse"; return 1; fi
  cmp "$CONF" "$OUT/nova.conf.orig" || { echo "nova.conf changed"; return 1; }
  [ "$(cat "$PIDFILE")" = "$pid" ] && [ -d "/proc/$pid" ] || { echo "nova-compute was restarted ($pid -> $(cat "$PIDFILE"))"; return 1; }
  echo "nova.conf unchanged, nova-compute $pid not restarted"
}

# The rig's facts, as the gather role writes them, and captured real CPUs.
check facts "$PY/ansible-playbook" -i "$INV" playbooks/gather.yml -e cpu_flags_groups=hypervisors "${VIEW[@]}" -e cpu_flags_gather_output_dir="$OUT/facts"
mkdir -p "$OUT/cap"
cp ../shared/ref/samples/intel-xeon-e5-2690v4-broadwell-ep.cpuinfo "$OUT/cap/bdw-01.cpuinfo"
cp ../shared/ref/samples/intel-xeon-gold-6230-cascadelake.cpuinfo "$OUT/cap/clx-01.cpuinfo"
"$PY/python" - "$OUT/facts/rig.json" "$OUT/cap/rig.json" <<'PYEOF'
# The rig as it was "before": another microcode revision and one feature less.
import json, sys
f = json.load(open(sys.argv[1]))
f["microcode"] = "0x1"
dropped = sorted(f["trusted_features"])[-1]
f["trusted_features"] = [x for x in f["trusted_features"] if x != dropped]
json.dump(f, open(sys.argv[2], "w"))
open(sys.argv[2] + ".dropped", "w").write(dropped)
PYEOF

check plan-blocked-made bin/cpuflags common --model Cascadelake-Server --nova-release "$NOVA_RELEASE" --out "$OUT/blocked" "$OUT/facts/rig.json" "$OUT/cap/bdw-01.cpuinfo"
check plan-blocked refused "$OUT/blocked/plan.json"
check plan-blocked-says contains plan-blocked "bdw-01: the plan is blocked here: base model Cascadelake-Server cannot run on this host (lacking "

check plan-outside-made bin/cpuflags common --nova-release "$NOVA_RELEASE" --out "$OUT/outside" "$OUT/cap/bdw-01.cpuinfo" "$OUT/cap/clx-01.cpuinfo"
check plan-outside refused "$OUT/outside/plan.json"
check plan-outside-says contains plan-outside "rig: not in the plan (it covers bdw-01, clx-01)"

check plan-changed-made bin/cpuflags common --nova-release "$NOVA_RELEASE" --out "$OUT/changed" "$OUT/cap/rig.json"
check plan-changed refused "$OUT/changed/plan.json"
check plan-changed-says contains plan-changed "rig: changed since the plan was made (microcode 0x1 -> "
check plan-changed-names-feature contains plan-changed "features gained: $(cat "$OUT/cap/rig.json.dropped")"
check drift-changed bash -c "bin/cpuflags drift '$OUT/changed/plan.json' '$OUT/facts/rig.json'; test \$? -ge 3"
check drift-changed-says contains drift-changed "rig changed (new microcode): microcode 0x1 -> "

# The rig's own plan, by the baseline role, rolled out: exactly its model and flags.
check plan-good-made "$PY/ansible-playbook" -i "$INV" playbooks/baseline.yml -e cpu_flags_groups=hypervisors "${VIEW[@]}" \
  -e cpu_flags_baseline_nova_release="$NOVA_RELEASE" -e cpu_flags_baseline_output_dir="$OUT/good"
check plan-good "${ROLL[@]}" -e cpu_flags_rollout_plan="$OUT/good/plan.json"
check plan-good-says contains plan-good "holds for 1 host(s)"
check plan-good-exact "$PY/python" - "$CONF" "$OUT/good/plan.json" <<'PYEOF'
import configparser, json, sys
conf = configparser.ConfigParser(strict=False, interpolation=None)
conf.read(sys.argv[1])
plan = json.load(open(sys.argv[2]))
lv = conf["libvirt"]
got_model = lv.get(plan["nova"]["model_option"], "")
got_flags = sorted(f.strip() for f in lv.get("cpu_model_extra_flags", "").split(",") if f.strip())
want_flags = sorted(plan["nova"]["cpu_model_extra_flags"])
print("nova.conf: cpu_mode=%s %s=%s flags=%s" % (lv.get("cpu_mode"), plan["nova"]["model_option"], got_model, got_flags))
print("plan:      model=%s flags=%s" % (plan["model"], want_flags))
sys.exit(0 if lv.get("cpu_mode") == "custom" and got_model == plan["model"] and got_flags == want_flags else 1)
PYEOF
check plan-good-compute-up bash -c "service nova-compute status"
check drift-good "$PY/ansible-playbook" -i "$INV" playbooks/drift.yml -e cpu_flags_groups=hypervisors "${VIEW[@]}" -e cpu_flags_rollout_plan="$OUT/good/plan.json"
check drift-good-says contains drift-good "the plan still holds"

# The AWX workflow plan -> approval -> rollout, each job run by ansible-runner
# as AWX runs it (tests/awx/workflow.py), for real against the rig: the plan
# job in check mode publishes the plan as an artifact, the rollout job applies
# it; launched without it, the rollout job refuses.
cp -a "$OUT/nova.conf.orig" "$CONF"; service nova-compute restart >/dev/null 2>&1
printf 'cpu_flags_baseline_nova_release: "%s"\n' "$NOVA_RELEASE" > "$OUT/awx-answers.yml"
check awx-workflow "$PY/python" tests/awx/workflow.py --inventory "$INV" --out "$OUT/awx" -e @tests/awx/rig-vars.yml -e @"$OUT/awx-answers.yml"
check awx-workflow-exact "$PY/python" - "$CONF" "$OUT/awx/plan-job.artifacts.json" <<'PYEOF'
import configparser, json, sys
conf = configparser.ConfigParser(strict=False, interpolation=None)
conf.read(sys.argv[1])
plan = json.load(open(sys.argv[2]))["cpu_flags_rollout_plan"]
lv = conf["libvirt"]
got = (lv.get("cpu_mode"), lv.get(plan["nova"]["model_option"]), sorted(f.strip() for f in lv.get("cpu_model_extra_flags", "").split(",") if f.strip()))
want = ("custom", plan["model"], sorted(plan["nova"]["cpu_model_extra_flags"]))
print("nova.conf %s, plan %s" % (got, want))
sys.exit(0 if got == want else 1)
PYEOF

# Leave the rig as it was.
suite_end plan
