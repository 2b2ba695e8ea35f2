#!/usr/bin/env bash
# Starts virtlogd and libvirtd when they are not running (no systemd here) and
# waits until virsh answers.
set -euo pipefail
pgrep -x virtlogd >/dev/null || virtlogd -d
pgrep -x libvirtd >/dev/null || libvirtd -d
for _ in $(seq 1 50); do
  if virsh -c qemu:///system version >/dev/null 2>&1; then virsh -c qemu:///system version; exit 0; fi
  sleep 0.2
done
echo "libvirt-up: libvirtd did not answer on qemu:///system within 10s" >&2
exit 1
