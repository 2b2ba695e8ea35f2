#!/usr/bin/env bash
# The computed CPU definition, migrated for real: a cluster of this machine
# (libvirt's view of what QEMU's TCG can give guests) and a captured Broadwell
# hypervisor; `cpuflags common` computes the model and extra flags, and a small
# guest started by QEMU with exactly that -cpu definition is live-migrated
# over loopback to a second QEMU with the same definition. Then the same
# migration to a target whose definition lacks one of the flags must be
# refused, with the flag named. Needs libvirtd (tests/libvirt-up.sh) and QEMU.
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN=${CPUFLAGS_BIN:-bin/cpuflags}
SAMPLES=${CPUFLAGS_REF:-$(cd .. && pwd)/shared/ref}/samples
tmp=$(mktemp -d /tmp/cpuflags-e2e.XXXXXX); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

if "$BIN" facts --libvirt always --virt-type qemu > "$tmp/tcg.json" 2>"$tmp/err"; then
  ok "facts of this machine's TCG from libvirt"
else
  bad "facts of this machine's TCG from libvirt: $(cat "$tmp/err")"
fi
"$BIN" common source="$tmp/tcg.json" target="$SAMPLES/intel-xeon-e5-2690v4-broadwell-ep.cpuinfo" > "$tmp/common.json" 2>"$tmp/err" \
  && ok "baseline of TCG + Broadwell" || bad "baseline: $(cat "$tmp/err")"
cpu=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['qemu_cpu'])" "$tmp/common.json" 2>/dev/null)
flags=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['extra_flags']))" "$tmp/common.json" 2>/dev/null)
echo "     computed -cpu $cpu"
[ "${flags:-0}" -gt 5 ] && ok "the definition has $flags extra flags" || bad "the definition has ${flags:-no} extra flags"

if "$BIN" migrate-test --cpu "$cpu" > "$tmp/same.json" 2>"$tmp/err" && grep -q '"status": "completed"' "$tmp/same.json"; then
  ok "live migration with the computed definition on both sides ($(sed -n 's/^  "seconds": \(.*\),$/\1/p' "$tmp/same.json") s)"
else
  bad "live migration with the computed definition: $(cat "$tmp/err")"
fi

drop=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['extra_flags'][-1])" "$tmp/common.json" 2>/dev/null)
lacking=$(python3 - "$cpu" "$drop" <<'PY'
import sys
cpu, drop = sys.argv[1], sys.argv[2]
parts = cpu.split(",")
print(",".join(p for p in parts if p.split("=")[0].lstrip("+") != drop))
PY
)
if ! "$BIN" migrate-test --cpu "$cpu" --target-cpu "$lacking" > "$tmp/lack.json" 2>"$tmp/err" \
   && grep -q '"status": "target-lacks-flags"' "$tmp/lack.json" && grep -q "$drop" "$tmp/err"; then
  ok "refused when the target lacks $drop: $(head -c 140 "$tmp/err")"
else
  bad "a target lacking $drop was not refused with the reason: $(cat "$tmp/lack.json" "$tmp/err")"
fi

echo "migration e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
