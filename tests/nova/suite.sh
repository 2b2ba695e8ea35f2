# suite.sh: what the rig's playbook suites (plan.sh, resume.sh, rollout.sh)
# share; sourced from the repository root. It sets ROOT, PY (the venv's
# bin), INV (the rig's inventory: the group "hypervisors"), CONF (nova.conf)
# and PIDFILE (nova-compute's); the caller sets OUT (its logs) before
# suite_start.
#   suite_start [fresh]   keep a copy of nova.conf; "fresh" empties $OUT first
#   check NAME CMD...     run CMD into $OUT/NAME.log and count it; a caller's
#                         check_preamble function, if defined, opens each log
#   contains NAME TEXT    $OUT/NAME.log holds TEXT
#   suite_end SUITE       put nova.conf back, restart nova-compute, print the
#                         counts; its status is the suite's
ROOT=$PWD
PY=$ROOT/.venv/bin
export ANSIBLE_COLLECTIONS_PATH=$ROOT/.ansible/collections ANSIBLE_NOCOLOR=1
INV=tests/nova/inventory.yml
CONF=/etc/nova/nova.conf
PIDFILE=/var/run/nova/nova-compute.pid

suite_start() {
  [ "${1:-}" = fresh ] && rm -rf "$OUT"
  mkdir -p "$OUT"
  cp -a "$CONF" "$OUT/nova.conf.orig"
  passed=0; failed=0; failures=()
}
check() {
  local name=$1; shift
  if { if declare -F check_preamble >/dev/null; then check_preamble; fi; "$@"; } >"$OUT/$name.log" 2>&1; then
    passed=$((passed+1)); echo "ok   $name"
  else
    failed=$((failed+1)); failures+=("$name"); echo "FAIL $name (log: $OUT/$name.log)"; tail -20 "$OUT/$name.log" | sed 's/^/     /'
  fi
}
contains() { grep -q -- "$2" "$OUT/$1.log" || { echo "expected '$2' in $1.log"; return 1; }; }
suite_end() {
  cp -a "$OUT/nova.conf.orig" "$CONF"
  service nova-compute restart >/dev/null 2>&1 || true
  rm -f /etc/nova/nova.conf.*.cpuflags.bak
  echo
  [ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
  echo "$1: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
