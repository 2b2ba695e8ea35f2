#!/usr/bin/env bash
# A rerun after an interruption continues where it stopped (issue 10), against
# the real nova-compute rig (needs root and `tests/rig/nova-rig.sh up`; run by
# tests/nova/run.sh). Plans are made by the real baseline from the rig's own
# facts (gathered without libvirt, as tests/nova/plan.sh explains):
#   1. plan A rolled out; a rerun skips the host as already on the plan: no
#      trial, no restart (nova-compute's PID unchanged), changed=0;
#   2. a rollout of plan B (another model) killed mid-probe: ansible-playbook
#      (its process group) and the module get SIGKILL while nova-compute is
#      restarting on a trial; the probe's detached watchdog puts back the
#      backup (plan A's nova.conf, a configuration nova-compute accepted) and
#      restarts nova-compute on it;
#   3. the rerun of plan B finishes (it reports the watchdog's recovery), and
#      nova.conf is exactly plan B; the rerun after it restarts nothing;
#   4. several hosts: the rig has ONE nova-compute, so the inventory
#      aliases.yml names it three times (rig-a, rig-b, rig-c, all this machine).
#      That is honest only for what is per host in the rollout: the plan
#      covering three hosts, batches (serial 1, 50%), the per-batch and total
#      counts, and a rerun where every host is already on the plan and none is
#      restarted. It is not three independent hypervisors: once one alias has
#      the plan, the others have it too, so the first run's counts show the
#      aliases, not a fleet.
# CPUFLAGS_RESUME_BENCH=1 adds paired timings of the 1-host and 3-alias reruns
# (farm-bench), for docs/BENCHMARKS.md. Restores nova.conf at the end.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/nova/suite.sh
JOURNAL=$CONF.cpuflags-probe.json
OUT=$ROOT/tests/output/nova-resume
suite_start fresh
changed_zero() { grep -Eq 'changed=0 ' "$1" && ! grep -Eq 'changed=[1-9]' "$1"; }
pid() { cat "$PIDFILE" 2>/dev/null; }
NOVA_RELEASE=$(dpkg-query -W -f='${Version}' python3-nova | sed 's/^[0-9]*://')
VIEW=(-e cpu_flags_gather_libvirt=never)
ROLL=("$PY/ansible-playbook" -i "$INV" playbooks/rollout.yml -e cpu_flags_groups=hypervisors "${VIEW[@]}")
# timed NAME COMMAND...: run COMMAND, log its wall time to $OUT/times.
timed() {
  local name=$1 t0 rc; shift; t0=$(date +%s.%N)
  "$@"; rc=$?
  echo "$name $(echo "$(date +%s.%N) - $t0" | bc) s rc=$rc" >>"$OUT/times"; return $rc
}
# same_pid PID COMMAND...: COMMAND succeeds and nova-compute is still PID.
same_pid() {
  local before=$1; shift
  "$@" || return 1
  [ "$(pid)" = "$before" ] && [ -d "/proc/$before" ] || { echo "nova-compute was restarted ($before -> $(pid))"; return 1; }
  echo "nova-compute $before not restarted"
}
# exact PLAN: nova.conf holds exactly the plan's model and flags, and nova-compute runs.
exact() {
  "$PY/python" - "$CONF" "$1" <<'PYEOF'
import configparser, json, sys
conf = configparser.ConfigParser(strict=False, interpolation=None)
conf.read(sys.argv[1])
plan = json.load(open(sys.argv[2]))
lv = conf["libvirt"]
got = (lv.get("cpu_mode"), lv.get(plan["nova"]["model_option"]), sorted(f.strip() for f in lv.get("cpu_model_extra_flags", "").split(",") if f.strip()))
want = ("custom", plan["model"], sorted(plan["nova"]["cpu_model_extra_flags"]))
print("nova.conf %s\nplan      %s" % (got, want))
sys.exit(0 if got == want else 1)
PYEOF
  service nova-compute status >/dev/null 2>&1 || { echo "nova-compute does not run"; return 1; }
}

# The rig under three names (see the header: only per-host behaviour is shown).
"$PY/python" - "$INV" "$OUT/aliases.yml" <<'PYEOF'
import sys, yaml
inv = yaml.safe_load(open(sys.argv[1]))
rig = inv["all"]["children"]["hypervisors"]["hosts"]["rig"]
inv["all"]["children"]["hypervisors"]["hosts"] = {name: dict(rig) for name in ("rig-a", "rig-b", "rig-c")}
yaml.safe_dump(inv, open(sys.argv[2], "w"), sort_keys=False)
PYEOF

# Plans A (the baseline's choice) and B (Westmere, or Nehalem when A is
# Westmere) for the rig, and C for its three aliases.
check plan-a-made "$PY/ansible-playbook" -i "$INV" playbooks/baseline.yml -e cpu_flags_groups=hypervisors "${VIEW[@]}" \
  -e cpu_flags_baseline_nova_release="$NOVA_RELEASE" -e cpu_flags_baseline_output_dir="$OUT/a" -e cpu_flags_gather_output_dir="$OUT/facts"
A_MODEL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["model"])' "$OUT/a/plan.json")
B_MODEL=Westmere; [ "$A_MODEL" = Westmere ] && B_MODEL=Nehalem
check plan-b-made bin/cpuflags common --model "$B_MODEL" --nova-release "$NOVA_RELEASE" --out "$OUT/b" "$OUT/facts/rig.json"
check plan-c-made "$PY/ansible-playbook" -i "$OUT/aliases.yml" playbooks/baseline.yml -e cpu_flags_groups=hypervisors "${VIEW[@]}" \
  -e cpu_flags_baseline_nova_release="$NOVA_RELEASE" -e cpu_flags_baseline_output_dir="$OUT/c"
echo "plans: A $A_MODEL, B $B_MODEL, C $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["model"])' "$OUT/c/plan.json") for 3 aliases"

# 1. Plan A, then a rerun that skips the host.
check first-a timed first-a "${ROLL[@]}" -e cpu_flags_rollout_plan="$OUT/a/plan.json"
check first-a-says contains first-a "Rollout of 1 host(s): 0 already on the plan (skipped, no restart), 1 changed"
check first-a-exact exact "$OUT/a/plan.json"
cp -a "$CONF" "$OUT/nova.conf.a"
check rerun-a same_pid "$(pid)" timed rerun-a "${ROLL[@]}" -v -e cpu_flags_rollout_plan="$OUT/a/plan.json"
check rerun-a-idempotent changed_zero "$OUT/rerun-a.log"
check rerun-a-says contains rerun-a "Rollout of 1 host(s): 1 already on the plan (skipped, no restart), 0 changed, 0 nova-compute restart(s)"
# -v shows the module's results: both phases found it already applied, and made no trial.
check rerun-a-no-trial bash -c "[ \$(grep -c '\"already_applied\": true' '$OUT/rerun-a.log') -eq 2 ] && [ \$(grep -c '\"steps\": \[\]' '$OUT/rerun-a.log') -eq 2 ]"

# 2. Plan B, killed mid-probe: the whole process group of ansible-playbook
# (the module with it; the watchdog has left it) while nova-compute restarts
# on a trial that names B's model.
interrupt() {
  local pid_before; pid_before=$(pid)
  setsid "${ROLL[@]}" -e cpu_flags_rollout_plan="$OUT/b/plan.json" >"$OUT/interrupted-run.log" 2>&1 &
  local pg=$! deadline=$((SECONDS + 300))
  until grep -q "^cpu_models = $B_MODEL\$" "$CONF" && [ -e "$JOURNAL" ]; do
    [ $SECONDS -lt $deadline ] && kill -0 $pg 2>/dev/null || { echo "the rollout never wrote a trial of $B_MODEL"; kill -KILL -- -$pg 2>/dev/null; return 1; }
    sleep 0.1
  done
  sleep 1 # nova-compute is restarting on the trial
  # ansible-core's workers run in sessions of their own, so the module
  # outlives a killed ansible-playbook (as it outlives a dropped SSH
  # connection) and would finish its probe; it is killed too, by the PID its
  # journal names, to leave the recovery to the watchdog.
  local module; module=$("$PY/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$JOURNAL")
  echo "killing the process group of ansible-playbook $pg and the module $module during the trial (nova-compute pid $pid_before -> $(pid))"
  kill -KILL -- -$pg; kill -KILL "$module"; wait $pg 2>/dev/null
  deadline=$((SECONDS + 300))
  while [ -e "$JOURNAL" ]; do
    [ $SECONDS -lt $deadline ] || { echo "the watchdog did not recover within 5 minutes"; return 1; }
    sleep 0.5
  done
  # The watchdog writes its report for the next run right after the journal goes.
  for _ in $(seq 50); do [ -e "$CONF.cpuflags-probe.recovered.json" ] && break; sleep 0.2; done
  echo "the watchdog recovered: $(cat "$CONF.cpuflags-probe.recovered.json" 2>/dev/null)"
}
check interrupted interrupt
check interrupted-back-on-a bash -c "cmp '$CONF' '$OUT/nova.conf.a' && service nova-compute status && grep -q '\"by\":\"watchdog\".*\"accepted\":true' '$CONF.cpuflags-probe.recovered.json'"

# 3. The rerun of B finishes, then a rerun restarts nothing.
check resume-b timed resume-b "${ROLL[@]}" -e cpu_flags_rollout_plan="$OUT/b/plan.json"
check resume-b-says-recovered contains resume-b "its watchdog restored nova.conf and restarted nova-compute (accepted=true"
check resume-b-says contains resume-b "Rollout of 1 host(s): 0 already on the plan (skipped, no restart), 1 changed"
check resume-b-exact exact "$OUT/b/plan.json"
check rerun-b same_pid "$(pid)" timed rerun-b "${ROLL[@]}" -e cpu_flags_rollout_plan="$OUT/b/plan.json"
check rerun-b-idempotent changed_zero "$OUT/rerun-b.log"
check rerun-b-says contains rerun-b "Rollout of 1 host(s): 1 already on the plan (skipped, no restart), 0 changed, 0 nova-compute restart(s)"
check no-journal-left bash -c "! ls /etc/nova/*.cpuflags-probe.json 2>/dev/null"

# 4. Plan C over the three aliases in growing batches, then a rerun.
ROLL3=("$PY/ansible-playbook" -i "$OUT/aliases.yml" playbooks/rollout.yml -e cpu_flags_groups=hypervisors "${VIEW[@]}"
  -e cpu_flags_rollout_plan="$OUT/c/plan.json" -e cpu_flags_rollout_serial=1,50%)
check first-c timed first-c "${ROLL3[@]}"
check first-c-says contains first-c "Rollout of 3 host(s): "
check first-c-exact exact "$OUT/c/plan.json"
check rerun-c same_pid "$(pid)" timed rerun-c "${ROLL3[@]}"
check rerun-c-idempotent changed_zero "$OUT/rerun-c.log"
check rerun-c-batch contains rerun-c "This batch, hosts 2 to 2 of 3: 1 already on the plan (skipped, no restart), 0 changed, 0 nova-compute restart(s)"
check rerun-c-says contains rerun-c "Rollout of 3 host(s): 3 already on the plan (skipped, no restart), 0 changed, 0 nova-compute restart(s)"
grep -h "^Rollout of\|^This batch" "$OUT"/first-*.log "$OUT"/resume-*.log "$OUT"/rerun-*.log | sed 's/^/  /'
sed 's/^/  time: /' "$OUT/times"

if [ "${CPUFLAGS_RESUME_BENCH:-}" = 1 ]; then
  pid_before=$(pid)
  farm-bench -n 5 --timeout 1200 --vs "sh -c 'exec ${ROLL[*]} -e cpu_flags_rollout_plan=$OUT/a/plan.json >>$OUT/bench-b.log 2>&1'" \
    -- sh -c "exec ${ROLL3[*]} >>$OUT/bench-a.log 2>&1" | tee "$OUT/bench.txt"
  check bench-no-restart bash -c "[ '$(pid)' = '$pid_before' ] && ! grep -q 'changed=[1-9]' '$OUT/bench-a.log' '$OUT/bench-b.log'"
fi

# Leave the rig as it was.
suite_end resume
