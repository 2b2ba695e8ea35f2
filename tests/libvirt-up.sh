#!/usr/bin/env bash
# Starts virtlogd and libvirtd when they are not running (no systemd here) and
# waits until virsh answers. A libvirtd that is still shutting down (the rig's
# `down` just stopped it) is waited for and replaced.
set -uo pipefail
answers() { virsh -c qemu:///system version >/dev/null 2>&1; }
pgrep -x virtlogd >/dev/null || virtlogd -d
for _ in $(seq 1 150); do
  if answers; then virsh -c qemu:///system version; exit 0; fi
  pgrep -x libvirtd >/dev/null || libvirtd -d
  sleep 0.2
done
echo "libvirt-up: libvirtd did not answer on qemu:///system within 30s" >&2
exit 1
