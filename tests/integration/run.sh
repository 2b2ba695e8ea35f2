#!/usr/bin/env bash
# Ansible-side tests: real ansible-playbook runs of the collection's modules and
# roles against real inventories, on the pinned ansible-core from PyPI and on
# Debian 12's ansible-core 2.14, plus ansible-doc, ansible-lint and an install
# of the built collection artifact into a fresh path.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PY=$ROOT/.venv/bin
export ANSIBLE_COLLECTIONS_PATH=$ROOT/.ansible/collections
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
INV=$ROOT/examples/demo/inventory.yml
OUT=$ROOT/tests/output/integration
rm -rf "$OUT"; mkdir -p "$OUT"
passed=0; failed=0; failures=()

check() { # check NAME COMMAND...: run, log to $OUT/NAME.log, count
  local name=$1; shift
  if "$@" >"$OUT/$name.log" 2>&1; then
    passed=$((passed+1)); echo "ok   $name"
  else
    failed=$((failed+1)); failures+=("$name"); echo "FAIL $name (log: $OUT/$name.log)"; tail -25 "$OUT/$name.log" | sed 's/^/     /'
  fi
}
contains() { grep -q -- "$2" "$OUT/$1.log" || { echo "expected '$2' in $1.log"; return 1; }; }
changed_zero() { grep -Eq 'changed=0 ' "$1" && ! grep -Eq 'changed=[1-9]' "$1"; }
# fails_with TEXT COMMAND...: the command fails and prints TEXT.
fails_with() {
  local want=$1 out rc; shift
  out=$("$@" 2>&1); rc=$?; printf '%s\n' "$out"
  [ "$rc" -ne 0 ] || { echo "expected a failure, got rc=0"; return 1; }
  grep -qF -- "$want" <<<"$out" || { echo "expected: $want"; return 1; }
}
# fails_before_hypervisors TEXT COMMAND...: the command fails, prints TEXT, and
# no play after the first (the input check on the controller) started.
fails_before_hypervisors() {
  local want=$1 out rc; shift
  out=$("$@" 2>&1); rc=$?; printf '%s\n' "$out"
  [ "$rc" -ne 0 ] || { echo "expected a failure, got rc=0"; return 1; }
  grep -qF -- "$want" <<<"$out" || { echo "expected: $want"; return 1; }
  [ "$(grep -c '^PLAY \[' <<<"$out")" -eq 1 ] || { echo "a play after the input check ran"; return 1; }
}

# --- module documentation
for m in cpu_flags_facts cpu_flags_common; do
  check "doc-$m" "$PY/ansible-doc" "kvm_migration.cpu_flags.$m"
  { contains "doc-$m" "RETURN VALUES" && contains "doc-$m" "OPTIONS"; } || { failed=$((failed+1)); failures+=("doc-$m-content"); }
done
check doc-list bash -c "'$PY/ansible-doc' -l kvm_migration.cpu_flags 2>&1 | tee /dev/stderr | grep -q cpu_flags_facts && ! '$PY/ansible-doc' -l kvm_migration.cpu_flags 2>&1 | grep -qi warning"

# --- playbooks on the pinned ansible-core
ALL=(-e cpu_flags_groups=hypervisors)
check facts "$PY/ansible-playbook" -i "$INV" tests/integration/test_facts.yml "${ALL[@]}"
check facts-check "$PY/ansible-playbook" -i "$INV" --check tests/integration/test_facts.yml "${ALL[@]}"
check bad-input "$PY/ansible-playbook" -i localhost, -c local tests/integration/test_bad_input.yml
check module-cache "$PY/ansible-playbook" tests/integration/test_module_cache.yml
# The validate role's guest check: a guest seeing a feature its definition
# disables fails, naming it; one that does not, passes (fake console text).
check guest-flags-disabled-absent env OUT="$OUT" "$PY/ansible-playbook" tests/integration/test_guest_flags.yml -e guest_sees=popcnt
check guest-flags-disabled-seen fails_with "sees aes although the CPU definition Westmere -aes,pclmuldq disables them" \
  env OUT="$OUT" "$PY/ansible-playbook" tests/integration/test_guest_flags.yml -e guest_sees=aes
check sliced-gather-jsonfile bash tests/integration/sliced-gather.sh "$PY/ansible-playbook" "$OUT/sliced-jsonfile" jsonfile
check one-command-per-task bash -c "'$PY/ansible-playbook' -vvv tests/integration/test_one_command.yml > '$OUT/one-command.vvv' 2>&1 && n=\$(grep -c '> EXEC ' '$OUT/one-command.vvv') && echo \"remote commands: \$n\" && [ \$n -eq 2 ]"

# --- idempotence: writing the per-host JSON twice changes nothing the second time
check gather-first "$PY/ansible-playbook" -i "$INV" playbooks/gather.yml "${ALL[@]}" -e cpu_flags_gather_output_dir="$OUT/facts"
check gather-second "$PY/ansible-playbook" -i "$INV" playbooks/gather.yml "${ALL[@]}" -e cpu_flags_gather_output_dir="$OUT/facts"
check gather-idempotent changed_zero "$OUT/gather-second.log"
check gather-files bash -c "ls '$OUT/facts' | wc -l | grep -qx 7"

# --- the cluster baseline over the six real CPUs
BASE=(-e '{"cpu_flags_groups": ["source", "target", "gen3"]}')
check baseline "$PY/ansible-playbook" -i "$INV" tests/integration/test_baseline.yml "${BASE[@]}" -e cpu_flags_baseline_output_dir="$OUT/report"
check baseline-second "$PY/ansible-playbook" -i "$INV" playbooks/baseline.yml "${BASE[@]}" -e cpu_flags_baseline_output_dir="$OUT/report"
check baseline-idempotent changed_zero "$OUT/baseline-second.log"
check baseline-check "$PY/ansible-playbook" -i "$INV" --check playbooks/baseline.yml "${BASE[@]}" -e cpu_flags_baseline_output_dir="$OUT/report-check"
# Check mode writes the plan and the reports (controller-side files) and says so.
check baseline-check-wrote-the-plan test -s "$OUT/report-check/plan.json"
check baseline-check-says contains baseline-check "(written in check mode: a controller-side file; no hypervisor was changed)"
check baseline-blocked "$PY/ansible-playbook" -i "$INV" tests/integration/test_baseline_blocked.yml

# --- one variable names the hypervisor groups; a group that is not there fails
# every playbook before any hypervisor is touched, naming what it was given
# and what the inventory has (it used to end rc=0, "skipping: no hosts matched")
for pb in gather baseline rollout validate site; do
  check "wrong-group-$pb" fails_before_hypervisors \
    "cpu_flags_groups=sorce,targt matches no hypervisor: no inventory group 'sorce' (did you mean 'source'?); no inventory group 'targt' (did you mean 'target'?). The inventory has the groups gen3, hypervisors, local, source, target." \
    "$PY/ansible-playbook" -i "$INV" "playbooks/$pb.yml" -e cpu_flags_groups=sorce,targt
done
check empty-group fails_before_hypervisors "group 'target' has no hosts" \
  "$PY/ansible-playbook" -i tests/integration/files/empty-group.yml playbooks/gather.yml -e cpu_flags_groups=source,target
check host-not-group fails_before_hypervisors "'bdw-01' is a host, not a group" \
  "$PY/ansible-playbook" -i "$INV" playbooks/baseline.yml -e cpu_flags_groups=source,bdw-01
check wrong-instance fails_before_hypervisors "cpu_flags_baseline_instance=testvn is not an inventory host" \
  "$PY/ansible-playbook" -i "$INV" playbooks/baseline.yml -e cpu_flags_groups=source -e cpu_flags_baseline_instance=testvn
check wrong-serial fails_before_hypervisors "cpu_flags_rollout_serial=0: give how many hypervisors" \
  "$PY/ansible-playbook" -i "$INV" playbooks/rollout.yml -e cpu_flags_groups=source -e cpu_flags_rollout_serial=0
check groups-disagree fails_before_hypervisors "disagree: give only cpu_flags_groups" \
  "$PY/ansible-playbook" -i "$INV" playbooks/baseline.yml -e cpu_flags_groups=source -e cpu_flags_hosts=target
# The names the playbooks read before cpu_flags_groups still work, with a deprecation warning.
check deprecated-hosts "$PY/ansible-playbook" -i "$INV" playbooks/gather.yml -e cpu_flags_hosts=source:target
check deprecated-hosts-warns contains deprecated-hosts "cpu_flags_hosts is deprecated"
check deprecated-hosts-ran contains deprecated-hosts "rome-01 *: ok="
check deprecated-baseline-groups "$PY/ansible-playbook" -i "$INV" playbooks/baseline.yml \
  -e '{"cpu_flags_baseline_groups": ["source", "target"]}' -e cpu_flags_baseline_output_dir="$OUT/report-deprecated"
check deprecated-baseline-groups-warns contains deprecated-baseline-groups "cpu_flags_baseline_groups is deprecated"

# --- a hypervisor that does not answer is UNREACHABLE (not a module failure),
# and the baseline then fails on the controller naming it, never blaming a
# healthy host; allowed (cpu_flags_baseline_allow_missing), it goes on without
# it and says so in the summary, the reports and the snippet.
DEAD=tests/integration/files/dead-host.yml
check dead-host-fails bash -c "! '$PY/ansible-playbook' -i $DEAD playbooks/baseline.yml -e cpu_flags_groups=source,target -e cpu_flags_baseline_output_dir='$OUT/report-dead'"
check dead-host-unreachable contains dead-host-fails 'fatal: \[dead-01\]: UNREACHABLE!'
check dead-host-counted contains dead-host-fails 'dead-01 *: ok=[0-9]* *changed=0 *unreachable=1'
check dead-host-named contains dead-host-fails 'fatal: \[localhost\]: FAILED! .*has no CPU facts from dead-01 (unreachable'
check dead-host-healthy-not-blamed bash -c "! grep -E 'fatal: \[(bdw|clx|rome)-01|failed=[1-9]' '$OUT/dead-host-fails.log' | grep -v '^localhost'"
check dead-host-wrote-nothing test ! -e "$OUT/report-dead"
check missing-capture-fails bash -c "! '$PY/ansible-playbook' -i $DEAD playbooks/baseline.yml -e cpu_flags_groups=source,lost -e cpu_flags_baseline_output_dir='$OUT/report-lost'"
check missing-capture-named contains missing-capture-fails 'no-such-capture.cpuinfo: no such file'
check missing-capture-baseline-refused contains missing-capture-fails 'has no CPU facts from lost-01'
check dead-host-allowed bash -c "'$PY/ansible-playbook' -i $DEAD playbooks/baseline.yml -e cpu_flags_groups=source,target,lost \
  -e cpu_flags_baseline_allow_missing=true -e cpu_flags_baseline_output_dir='$OUT/report-allowed'; test \$? -eq 4"
check dead-host-allowed-summary contains dead-host-allowed 'computed WITHOUT dead-01, lost-01'
check dead-host-allowed-snippet grep -qx '# computed without dead-01, lost-01: not checked against them' "$OUT/report-allowed/nova.conf.snippet"
check dead-host-allowed-report bash -c "grep -q 'computed WITHOUT 2 host(s) of the cluster: dead-01' '$OUT/report-allowed/report.md' && \
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert sorted(r[\"missing_hosts\"])==[\"dead-01\",\"lost-01\"], r.get(\"missing_hosts\"); assert sorted(h[\"name\"] for h in r[\"hosts\"])==[\"bdw-01\",\"clx-01\",\"rome-01\"]' '$OUT/report-allowed/report.json'"

# --- the plan the baseline wrote: valid against its JSON Schema, and checked
# against the hosts' facts gathered again (relative path on purpose)
check plan-schema "$PY/python" -c "import json, jsonschema; s = json.load(open('docs/plan.schema.json')); \
jsonschema.Draft202012Validator.check_schema(s); \
jsonschema.Draft202012Validator(s, format_checker=jsonschema.FormatChecker()).validate(json.load(open('$OUT/report/plan.json')))"
check plan-verify "$PY/ansible-playbook" -i "$INV" tests/integration/test_plan.yml -e plan_path="${OUT#"$ROOT"/}/report/plan.json"

# --- the rollout applies a reviewed plan exactly, or refuses it before it
# touches any host: real (not check-mode) runs on one copy of the example
# nova.conf with a restart command that leaves a marker (files/rollout-run.yml)
RP=$OUT/rollout-plan; mkdir -p "$RP"
cp examples/demo/nova/nova.conf "$RP/nova.conf.orig"
sed -e 's/^microcode\t: 0x5000021$/microcode\t: 0x5003102/' -e 's/ hle / /; s/ rtm / /' \
  examples/demo/cpus/intel-xeon-gold-6230-cascadelake.cpuinfo > "$RP/clx-01.cpuinfo"
ROLL=(env CPUFLAGS_TEST_OUT="$RP" "$PY/ansible-playbook" -i "$INV" playbooks/rollout.yml
      "${BASE[@]}" -e @tests/integration/files/rollout-run.yml)
untouched() { cmp "$RP/nova.conf" "$RP/nova.conf.orig" && [ ! -e "$RP/restarted" ] && echo "nova.conf unchanged, no restart"; }
refused() { # refused ARGS...: the rollout fails, and no host was touched
  cp "$RP/nova.conf.orig" "$RP/nova.conf"; rm -f "$RP/restarted"
  if "${ROLL[@]}" "$@"; then echo "the rollout did not refuse"; return 1; fi
  untouched
}
exact() { # exact LOG PLAN: every planned host gets a nova.conf change, and each change shown is exactly the plan's model and flags
  "$PY/python" - "$1" "$2" <<'PYEOF'
import json, re, sys
log, plan = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
models = re.findall(r"^\+cpu_models = (.*)$", log, re.M)
flags = re.findall(r"^\+cpu_model_extra_flags = (.*)$", log, re.M)
# Every planned host's nova.conf task changed (check mode: would write), and
# every change printed (one per distinct change) is the plan's.
shown = set(re.findall(r"^changed: \[([^\]\s]+)\]", log, re.M))
want = sorted(plan["nova"]["cpu_model_extra_flags"])
ok = models and set(models) == {plan["model"]} and flags and all(sorted(f.replace(" ", "").split(",")) == want for f in flags) \
    and set(plan["hosts"]) <= shown
print("diff for %s: model %s, flags %s: %s" % (sorted(shown), set(models), flags[:1], "exact" if ok else "NOT the plan"))
sys.exit(0 if ok else 1)
PYEOF
}
cp "$RP/nova.conf.orig" "$RP/nova.conf"
check plan-good-check "${ROLL[@]}" --check --diff -e cpu_flags_rollout_plan="$OUT/report/plan.json"
check plan-good-exact exact "$OUT/plan-good-check.log" "$OUT/report/plan.json"
check plan-good-says contains plan-good-check "holds for 6 host(s): cpu_models"
check plan-blocked-made "$PY/ansible-playbook" -i "$INV" playbooks/baseline.yml "${BASE[@]}" \
  -e cpu_flags_baseline_model=Cascadelake-Server -e cpu_flags_baseline_output_dir="$RP/blocked"
check plan-blocked refused -e cpu_flags_rollout_plan="$RP/blocked/plan.json"
check plan-blocked-says contains plan-blocked "bdw-01: the plan is blocked here: base model Cascadelake-Server cannot run on this host (lacking "
check plan-source-made "$PY/ansible-playbook" -i "$INV" playbooks/baseline.yml \
  -e cpu_flags_groups=source -e cpu_flags_baseline_output_dir="$RP/source"
check plan-outside refused -e cpu_flags_rollout_plan="$RP/source/plan.json"
check plan-outside-says contains plan-outside "rome-01: not in the plan (it covers bdw-01, clx-01)"
check plan-changed refused -i tests/integration/files/changed-host.yml -e cpu_flags_rollout_plan="$OUT/report/plan.json"
check plan-changed-says contains plan-changed "clx-01: changed since the plan was made (microcode 0x5000021 -> 0x5003102; features lost: hle, rtm)"
check plan-report-refused refused -e cpu_flags_rollout_report="$OUT/report/report.json"
check plan-report-says contains plan-report-refused "a report is not bound to the hosts it describes"
# Drift: nothing changed passes; the changed capture is named and fails.
check drift-none env CPUFLAGS_TEST_OUT="$RP" "$PY/ansible-playbook" -i "$INV" playbooks/drift.yml \
  "${BASE[@]}" -e cpu_flags_rollout_plan="$OUT/report/plan.json"
check drift-none-says contains drift-none "the plan still holds: every host given matches its fingerprint"
check drift-changed bash -c "! env CPUFLAGS_TEST_OUT='$RP' '$PY/ansible-playbook' -i '$INV' -i tests/integration/files/changed-host.yml \
  playbooks/drift.yml -e cpu_flags_groups=source,target,gen3 -e cpu_flags_rollout_plan='$OUT/report/plan.json'"
check drift-changed-says contains drift-changed "clx-01 changed (new microcode): microcode 0x5000021 -> 0x5003102; features lost: hle, rtm"

# --- a rerun continues where a rollout stopped (issue 10): each demo host has
# its own nova.conf and a FAKE nova-compute (files/rollout-resume.yml says why
# and what it cannot show; the rig shows the real one: tests/nova/resume.sh).
# A --limit run changes two hosts; the full run in growing batches skips them
# (their restart counts stay) and changes the other four; a rerun skips all
# six, also in check mode; a nova-compute found stopped is started, not skipped.
RS=$OUT/rollout-resume
RESUME=(env CPUFLAGS_TEST_OUT="$RS" CPUFLAGS_FAKE_NOVA="$ROOT/cmd/nova_cpu_flag_probe/testdata/fake-nova-compute.sh" "$PY/ansible-playbook"
  -i "$INV" playbooks/rollout.yml "${BASE[@]}" -e @tests/integration/files/rollout-resume.yml -e cpu_flags_rollout_plan="$OUT/report/plan.json"
  -e '{"cpu_flags_rollout_serial": [1, "50%"]}')
DEMO_HOSTS=(bdw-01 clx-01 rome-01 milan-01 genoa-01 spr-01)
for h in "${DEMO_HOSTS[@]}"; do mkdir -p "$RS/$h"; cp examples/demo/nova/nova.conf "$RS/$h/nova.conf"; touch "$RS/$h/running"; done
restarts() { for h in "$@"; do printf '%s=%s ' "$h" "$(cat "$RS/$h/restarts" 2>/dev/null | wc -l)"; done; }
# same_restarts FILE HOST...: the hosts' restart counts are those in FILE.
same_restarts() { local f=$1 now; shift; now=$(restarts "$@"); echo "before: $(cat "$f")"; echo "now:    $now"; [ "$now" = "$(cat "$f")" ]; }
check resume-limited "${RESUME[@]}" --limit bdw-01,clx-01
check resume-limited-says contains resume-limited "Rollout of 2 host(s): 0 already on the plan (skipped, no restart), 2 changed"
restarts bdw-01 clx-01 > "$RS/restarts.1"
check resume-full "${RESUME[@]}"
check resume-full-batch contains resume-full "This batch, hosts 2 to 4 of 6: 1 already on the plan (skipped, no restart), 2 changed"
check resume-full-says contains resume-full "Rollout of 6 host(s): 2 already on the plan (skipped, no restart), 4 changed"
check resume-full-skipped-not-restarted same_restarts "$RS/restarts.1" bdw-01 clx-01
PLAN_MODEL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["model"])' "$OUT/report/plan.json")
check resume-full-model bash -c "for h in ${DEMO_HOSTS[*]}; do grep -qx 'cpu_models = $PLAN_MODEL' '$RS/'\$h/nova.conf || { echo \$h; exit 1; }; done"
restarts "${DEMO_HOSTS[@]}" > "$RS/restarts.2"
check resume-again "${RESUME[@]}"
check resume-again-idempotent changed_zero "$OUT/resume-again.log"
check resume-again-says contains resume-again "Rollout of 6 host(s): 6 already on the plan (skipped, no restart), 0 changed, 0 nova-compute restart(s)"
check resume-again-no-restart same_restarts "$RS/restarts.2" "${DEMO_HOSTS[@]}"
check resume-check "${RESUME[@]}" --check --diff
check resume-check-says contains resume-check "Rollout of 6 host(s): 6 already on the plan (skipped, no restart), 0 would change"
check resume-check-unchanged changed_zero "$OUT/resume-check.log"
rm "$RS/genoa-01/running"
check resume-stopped "${RESUME[@]}"
check resume-stopped-started bash -c "test -e '$RS/genoa-01/running' && grep -Eq '^genoa-01 .* changed=1 ' '$OUT/resume-stopped.log'"
check resume-stopped-says contains resume-stopped "Rollout of 6 host(s): 5 already on the plan (skipped, no restart), 1 changed, 1 nova-compute restart(s)"

# --- Debian 12's ansible-core 2.14
if [ -x /usr/bin/ansible-playbook ]; then
  check facts-core214 /usr/bin/ansible-playbook -i "$INV" tests/integration/test_facts.yml "${ALL[@]}"
  check facts-core214-check /usr/bin/ansible-playbook -i "$INV" --check tests/integration/test_facts.yml "${ALL[@]}"
  check dead-host-core214 fails_with 'fatal: [dead-01]: UNREACHABLE!' \
    /usr/bin/ansible-playbook -i "$DEAD" playbooks/baseline.yml -e cpu_flags_groups=source,target -e cpu_flags_baseline_output_dir="$OUT/report-dead214"
  check wrong-group-core214 fails_before_hypervisors "no inventory group 'targt' (did you mean 'target'?)" \
    /usr/bin/ansible-playbook -i "$INV" playbooks/site.yml -e cpu_flags_groups=sorce,targt
  check bad-input-core214 /usr/bin/ansible-playbook -i localhost, -c local tests/integration/test_bad_input.yml
  check module-cache-core214 /usr/bin/ansible-playbook tests/integration/test_module_cache.yml
  if command -v redis-server >/dev/null && [ -d /usr/lib/python3/dist-packages/ansible_collections/community/general ]; then
    check sliced-gather-redis-core214 bash tests/integration/sliced-gather.sh /usr/bin/ansible-playbook "$OUT/sliced-redis" redis
  elif [ "${CI:-}" = true ]; then
    failed=$((failed+1)); failures+=("redis-missing"); echo "FAIL redis-server or Debian's ansible collections not installed (tests/setup-host.sh)"
  fi
  check baseline-core214 /usr/bin/ansible-playbook -i "$INV" tests/integration/test_baseline.yml "${BASE[@]}" -e cpu_flags_baseline_output_dir="$OUT/report214"
elif [ "${CI:-}" = true ]; then
  failed=$((failed+1)); failures+=("core214-missing"); echo "FAIL Debian ansible-core 2.14 not installed (tests/setup-host.sh)"
fi

# --- AWX as code (collection/awx): configure.yml's every task run by the real
# awx.awx modules (up to the connection: no controller here), the workflow's
# structure and surveys against AWX's rules (tests/awx/check.py), and the
# workflow run job after job with ansible-runner, as AWX runs it
# (tests/awx/workflow.py): the plan job's artifact is the plan the rollout job
# applies; the rollout job alone refuses.
AWXC=$(bash tests/awx/fetch-collection.sh) || AWXC=/nonexistent
check awx-syntax env ANSIBLE_COLLECTIONS_PATH="$ANSIBLE_COLLECTIONS_PATH:$AWXC" "$PY/ansible-playbook" --syntax-check collection/awx/configure.yml
check awx-configure "$PY/python" tests/awx/check.py "$AWXC"
check awx-workflow env CPUFLAGS_DEMO_DIR="$ROOT/examples/demo" "$PY/python" tests/awx/workflow.py --inventory "$INV" \
  --out "$OUT/awx" --rollout-check -e @examples/demo/rollout-check.yml -e @tests/awx/demo-vars.yml

# --- lint (configure.yml's modules come from awx.awx; ANSIBLE_HOME of its own: ansible-lint installs the collection under
# it, and a shared ~/.ansible is raced by other checkouts' runs)
check ansible-lint env ANSIBLE_HOME="$OUT/ansible-home" ANSIBLE_COLLECTIONS_PATH="$ANSIBLE_COLLECTIONS_PATH:$AWXC" "$PY/ansible-lint" --profile production --offline

# --- make demo says each thing once (tests/demo.sh). 80 lines, each earned:
# per run (2 runs: baseline, rollout in check mode) a header, the input check's
# banner and a recap of the 6 hosts and localhost (11 lines with blanks, 22);
# one line per host (6) after the gather-where-missing include (3: it reads
# a sliced gather's fact cache); the baseline's banners and its summary: model (read
# from report.json, not assumed),
# 2 warnings, the 4-line [libvirt] snippet, the report and the plan (20); the
# rollout's banners, the plan it checked, its one line of flags, the demo's
# no-CPU-check warning, the apply task's changed line per host, the diff
# once for the 6 hosts and the line counting hosts already on the plan and
# changed (29). Before
# this (one playbook after another, every result printed) it was 520 lines.
check demo env CPUFLAGS_DEMO_OUT="$OUT/demo" ANSIBLE_NOCOLOR=1 bash tests/demo.sh
check demo-line-count bash -c "n=\$(wc -l < '$OUT/demo.log'); [ \$n -eq 80 ] || { echo \"demo printed \$n lines, expected 80\"; exit 1; }"
check demo-one-line-per-host bash -c "for h in bdw-01 clx-01 rome-01 milan-01 genoa-01 spr-01; do [ \$(grep -c \"^\$h  *[A-Z].*: x86-64-v[1-4], [0-9]* features\" '$OUT/demo.log') -eq 1 ] || { echo \"\$h: not exactly one line\"; exit 1; }; done"
MODEL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["model"])' "$OUT/demo/report/report.json" 2>/dev/null)
NEXTRA=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["extra_flags"]))' "$OUT/demo/report/report.json" 2>/dev/null)
check demo-model-once bash -c "[ -n '$MODEL' ] && [ \$(grep -c '^Model: $MODEL (recommended), $NEXTRA extra flags, for 6 hosts in source, target, gen3$' '$OUT/demo.log') -eq 1 ]"
check demo-snippet-pasteable bash -c "grep -A3 -x '\[libvirt\]' '$OUT/demo.log' | diff - <(printf '%s\n' '[libvirt]' 'cpu_mode = custom' 'cpu_models = $MODEL' \"\$(grep '^cpu_model_extra_flags = ' '$OUT/demo/report/nova.conf.snippet')\")"
check demo-nothing-escaped bash -c "! grep -F '\\n' '$OUT/demo.log'"
check demo-diff-once bash -c "[ \$(grep -c '^+cpu_models = $MODEL$' '$OUT/demo.log') -eq 1 ] && grep -q '^nova.conf change on bdw-01, clx-01, rome-01, milan-01, genoa-01, spr-01 (check mode: not written):$' '$OUT/demo.log'"
check demo-flags-once bash -c "[ \$(grep -c 'candidate flags to 6 hosts' '$OUT/demo.log') -eq 1 ]"
# A relative plan path is relative to where ansible-playbook runs (a
# relative report path was looked up in the role's files/ and failed "Unable
# to access the file"); a missing one is named.
check rollout-relative-plan bash -c "cd '$OUT' && '$PY/ansible-playbook' -i '$INV' '$ROOT/playbooks/rollout.yml' --check \
  -e cpu_flags_groups=source -e @'$ROOT/examples/demo/rollout-check.yml' -e cpu_flags_rollout_plan=demo/report/plan.json"
check rollout-missing-plan fails_with "plan: open $OUT/nope/plan.json: no such file or directory" \
  bash -c "cd '$OUT' && '$PY/ansible-playbook' -i '$INV' '$ROOT/playbooks/rollout.yml' --check \
  -e cpu_flags_groups=source -e @'$ROOT/examples/demo/rollout-check.yml' -e cpu_flags_rollout_plan=nope/plan.json"
# Bad input to nova_cpu_flag_probe through the rollout playbook: refused
# before anything is written or restarted (the demo's service would fail any
# restart: restart_command false), naming the input; nova.conf unchanged.
DEMO_CONF=examples/demo/nova/nova.conf
cp "$DEMO_CONF" "$OUT/demo-nova.conf.orig"
ROLL=(-e cpu_flags_groups=source -e @examples/demo/rollout-check.yml -e cpu_flags_rollout_serial=1)
check rollout-unknown-model fails_with 'model \"NoSuchCPU9000\"' \
  "$PY/ansible-playbook" -i "$INV" playbooks/rollout.yml "${ROLL[@]}" -e '{"cpu_flags_rollout_model": "NoSuchCPU9000", "cpu_flags_rollout_flags": ["pcid"]}'
check rollout-unknown-model-named contains rollout-unknown-model 'defines no such CPU model'
check rollout-bad-flags fails_with 'not CPU feature names: \"avx2;reboot\"' \
  "$PY/ansible-playbook" -i "$INV" playbooks/rollout.yml "${ROLL[@]}" -e '{"cpu_flags_rollout_model": "Westmere", "cpu_flags_rollout_flags": ["pcid", "avx2;reboot"]}'
check rollout-bad-input-conf-unchanged cmp "$DEMO_CONF" "$OUT/demo-nova.conf.orig"
check demo-in-readme python3 - "$OUT/demo.log" "$ROOT" "$OUT/demo" <<'PYEOF'
# The README shows the real output: the same lines (forks order the "changed:"
# lines at random), with the checkout written as ~/cpu_flags (and this test's
# output directory as the demo's).
import re, sys
out = open(sys.argv[1]).read().replace(sys.argv[3], "~/cpu_flags/demo-output").replace(sys.argv[2], "~/cpu_flags").rstrip("\n").split("\n")
readme = open("README.md").read()
block = re.search(r"<!-- demo-output -->\n```\n(.*?)\n```\n<!-- /demo-output -->", readme, re.S).group(1).split("\n")
# The plan's digest and creation time differ in every run, and an include lists its
# hosts in the order they finished: compare without them.
def hostorder(l):
    # an include's "included: ... for a, b, c" names its hosts in the order they finished
    m = re.match(r"(included: \S+ for )(.*)$", l)
    return m.group(1) + ", ".join(sorted(m.group(2).split(", "))) if m else l
def plain(lines):
    lines = [hostorder(l) for l in lines]
    return sorted(re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", re.sub(r"\b[0-9a-f]{12}\b", "<digest>", l)) for l in lines)
out, block = plain(out), plain(block)
if out != block:
    print("README.md's demo output differs from the real one (bash tests/demo-readme.sh rewrites it); missing from README:", sorted(set(out) - set(block)),
          "not printed any more:", sorted(set(block) - set(out)))
    sys.exit(1)
PYEOF

# --- the built artifact installs into a fresh path and runs from there
ART=$OUT/artifact; FRESH=$OUT/fresh-collections
check build "$PY/ansible-galaxy" collection build --force --output-path "$ART" .
mkdir -p collection/dist && cp "$ART"/*.tar.gz collection/dist/
check artifact-no-go-sources bash -c "! tar tzf '$ART'/*.tar.gz | grep -E '^(cmd|internal|sdk|tests)/|\.go$|go\.(mod|sum)$'"
check artifact-under-galaxy-limit bash -c "[ \$(stat -c %s '$ART'/*.tar.gz) -lt 20000000 ]"
check artifact-has-binaries bash -c "tar tzf '$ART'/*.tar.gz | grep -q 'plugins/bin/cpu_flags_facts_linux_amd64'"
check install env ANSIBLE_COLLECTIONS_PATH="$FRESH" "$PY/ansible-galaxy" collection install --force -p "$FRESH" "$ART"/*.tar.gz
check facts-from-artifact env ANSIBLE_COLLECTIONS_PATH="$FRESH" "$PY/ansible-playbook" -i "$INV" tests/integration/test_facts.yml "${ALL[@]}"

# --- the execution environment definition builds a context with the artifact
check ee-create "$PY/ansible-builder" create -f collection/execution-environment.yml --context "$OUT/ee-context" --output-filename Containerfile
check ee-has-collection bash -c "ls '$OUT'/ee-context/_build/collection/kvm_migration-cpu_flags-*.tar.gz"

# --- the whole procedure in check mode from the installed artifact: the plan
check site-check-from-artifact env ANSIBLE_COLLECTIONS_PATH="$FRESH" "$PY/ansible-playbook" -i "$INV" collection/awx/site.yml \
  --check --diff -e cpu_flags_groups=source,target,gen3 -e @examples/demo/rollout-check.yml -e cpu_flags_validate_preflight=false \
  -e cpu_flags_baseline_output_dir="$OUT/site-check"
# --- growing batches: serial as a list, progress per batch and per host
SERIAL=(-i "$INV" playbooks/site.yml --check --diff -e cpu_flags_groups=source,target,gen3 -e @examples/demo/rollout-check.yml
  -e cpu_flags_validate=false -e cpu_flags_baseline_output_dir="$OUT/site-serial")
check serial-list "$PY/ansible-playbook" "${SERIAL[@]}" -e '{"cpu_flags_rollout_serial": [1, "40%", "100%"]}'
check serial-list-batches bash -c "grep -q 'hosts 1 to 1 of 6 in this batch: bdw-01' '$OUT/serial-list.log' && grep -q 'hosts 2 to 3 of 6 in this batch: clx-01, rome-01' '$OUT/serial-list.log' && grep -q 'hosts 4 to 6 of 6 in this batch' '$OUT/serial-list.log' && grep -q 'host 6 of 6: spr-01' '$OUT/serial-list.log'"
if [ -x /usr/bin/ansible-playbook ]; then
  check serial-string-core214 /usr/bin/ansible-playbook "${SERIAL[@]}" -e cpu_flags_rollout_serial=1,40%,100%
  check serial-string-core214-batches grep -q 'hosts 2 to 3 of 6 in this batch: clx-01, rome-01' "$OUT/serial-string-core214.log"
fi
check wrong-serial-list fails_before_hypervisors "give how many hypervisors to change" \
  "$PY/ansible-playbook" -i "$INV" playbooks/rollout.yml -e cpu_flags_groups=source -e '{"cpu_flags_rollout_serial": [1, "0"]}'
check site-check-shows-diff grep -q '^+cpu_models = ' "$OUT/site-check-from-artifact.log"
check site-check-wrote-the-plan test -s "$OUT/site-check/plan.json"
check site-check-exact exact "$OUT/site-check-from-artifact.log" "$OUT/site-check/plan.json"

echo
[ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
echo "ansible: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
