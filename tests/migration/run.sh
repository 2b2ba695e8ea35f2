#!/usr/bin/env bash
# Real live migrations between two local QEMU processes over loopback, with
# `cpuflags migrate-test`: cases that must migrate and cases that must be
# refused (a side cannot give a flag, or the target lacks one).
# Prints `migration: N passed, N failed`; exits 1 when any case failed.
# CPUFLAGS_BIN: a built cpuflags binary (default: build one). KVM cases run
# only when /dev/kvm is usable (this host's nested KVM lacks SSE3, hence
# qemu64,-pni).
set -uo pipefail
cd "$(dirname "$0")/../.."
command -v qemu-system-x86_64 >/dev/null || { echo "migration: qemu-system-x86_64 not installed" >&2; exit 2; }
BIN=${CPUFLAGS_BIN:-}
tmp=$(mktemp -d /tmp/cpuflags-migration.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if [[ -z $BIN ]]; then
    BIN=$tmp/cpuflags
    go build -o "$BIN" ./cmd/cpuflags || exit 2
fi
pass=0 fail=0

# case NAME WANT_EXIT WANT_STATUS ARGS...
case_() {
    local name=$1 want_rc=$2 want_status=$3; shift 3
    local out rc status secs
    out=$("$BIN" migrate-test "$@" 2>"$tmp/err"); rc=$?
    status=$(sed -n 's/^  "status": "\(.*\)",$/\1/p' <<<"$out")
    secs=$(sed -n 's/^  "seconds": \(.*\),$/\1/p' <<<"$out")
    if [[ $rc == "$want_rc" && $status == "$want_status" ]]; then
        pass=$((pass + 1)); printf 'PASS %-34s %-20s %ss %s\n' "$name" "$status" "$secs" "$(head -c 160 "$tmp/err")"
    else
        fail=$((fail + 1)); printf 'FAIL %-34s exit %s status %q, want exit %s status %s\n%s\n' \
            "$name" "$rc" "$status" "$want_rc" "$want_status" "$(cat "$tmp/err")"
    fi
}

# Must migrate: the same definition on both sides.
case_ tcg-westmere-aes            0 completed          --cpu Westmere,+aes
case_ tcg-haswell-noTSX-computed  0 completed          --cpu Haswell-noTSX,-pcid,-x2apic,-tsc-deadline,-invpcid,+aes
case_ tcg-westmere-avx2           0 completed          --cpu Westmere,+avx,+avx2,+fma
# Must be refused: the target cannot give a flag of the same definition.
case_ tcg-target-no-pcid          1 target-refused     --cpu Westmere,+aes --target-cpu Westmere,+aes,+pcid
case_ tcg-source-no-x2apic        1 source-refused     --cpu Westmere,+x2apic --target-cpu Westmere
case_ tcg-to-kvm-target-no-sse3   1 target-refused     --cpu Westmere,+aes --target-accel kvm
# Must be refused: both start, the target's definition lacks a flag.
case_ tcg-target-lacks-aes        1 target-lacks-flags --cpu Westmere,+aes --target-cpu Westmere,-aes
case_ tcg-target-older-model      1 target-lacks-flags --cpu Westmere,+aes --target-cpu Nehalem
# KVM, where this host's KVM can run a model at all.
if [[ -w /dev/kvm ]]; then
    case_ kvm-qemu64-no-pni       0 completed          --cpu qemu64,-pni --accel kvm
    case_ kvm-target-no-pcid      1 target-refused     --cpu qemu64,-pni --target-cpu qemu64,-pni,+pcid --accel kvm
fi

echo "migration: $pass passed, $fail failed"
[[ $fail == 0 ]]
