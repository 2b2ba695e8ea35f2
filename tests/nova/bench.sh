#!/bin/bash
# bench.sh: nova-compute restarts and wall time per strategy on the rig, for
# the same 30 candidate flags (4 of them bad on this AMD nested-KVM host).
# Prints one line per strategy:
#   strategy=NAME restarts=N wall_s=T accepted=N rejected=N
# and fails when the strategies do not accept the same flags.
# Needs the rig up (tests/rig/nova-rig.sh up) and root.
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(bash tests/rig/nova-rig.sh env)"
BIN=${NOVA_PROBE_BIN:-$(mktemp -d)/nova_cpu_flag_probe}
[ -x "$BIN" ] || CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$BIN" ./cmd/nova_cpu_flag_probe
STRATEGIES=${BENCH_STRATEGIES:-one_by_one bisect auto}
# 26 good (libvirt names, Linux names sse4_1 / tsc_deadline_timer) and 4 bad:
# constant_tsc (Linux-only synthetic), avx512f, hle, rtm (Intel-only; this host is AMD).
CANDIDATES='["pcid","sse4_1","tsc_deadline_timer","ssse3","fma","constant_tsc","sse4.2","x2apic","movbe","popcnt",
 "aes","xsave","avx512f","avx","f16c","rdrand","fsgsbase","bmi1","hle","avx2","smep","bmi2","erms","rdseed",
 "adx","smap","rtm","clflushopt","sha-ni","abm"]'
cp -a "$NOVA_CONF" "${TMPDIR:-/tmp}/bench-nova.conf.orig"
out=$(mktemp -d)
for s in $STRATEGIES; do
	cat >"$out/args-$s.json" <<JSON
{"model": "Westmere", "candidates": $CANDIDATES, "strategy": "$s", "apply": false,
 "nova_conf": "$NOVA_CONF", "service": {"kind": "$NOVA_SERVICE_KIND", "unit": "$NOVA_SERVICE_UNIT",
 "pid_file": "$NOVA_PIDFILE", "log_path": "$NOVA_LOG"}}
JSON
	start=$(date +%s.%N)
	"$BIN" "$out/args-$s.json" >"$out/result-$s.json" 2>"$out/stderr-$s.log" || true
	end=$(date +%s.%N)
	python3 - "$out/result-$s.json" "$s" "$start" "$end" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
if r.get("failed"):
    sys.exit("strategy %s failed: %s" % (sys.argv[2], r.get("msg")))
print("strategy=%s restarts=%d wall_s=%.1f accepted=%d rejected=%d" % (
    sys.argv[2], r["restarts"], float(sys.argv[4]) - float(sys.argv[3]), len(r["accepted"]), len(r["rejected"])))
PY
	cmp -s "$NOVA_CONF" "${TMPDIR:-/tmp}/bench-nova.conf.orig" || { echo "nova.conf changed by strategy $s" >&2; exit 1; }
done
python3 - "$out" $STRATEGIES <<'PY'
import json, sys
sets = {s: sorted(json.load(open("%s/result-%s.json" % (sys.argv[1], s)))["accepted"]) for s in sys.argv[2:]}
first = next(iter(sets.values()))
for s, a in sets.items():
    if a != first:
        sys.exit("strategies disagree: %s accepted %s, %s accepted %s" % (sys.argv[2], first, s, a))
print("all strategies accept the same %d flags: %s" % (len(first), " ".join(first)))
PY
echo "results in $out"
