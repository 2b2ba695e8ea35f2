#!/usr/bin/env bash
# Starts virtlogd and libvirtd when they are not running (no systemd here) and
# waits until virsh answers. A libvirtd that is still shutting down (the rig's
# `down` just stopped it) is waited for and replaced.
set -uo pipefail
# Pass no inherited descriptor to the daemons started here: flock(1) hands its
# lock on /tmp/cpuflags-*.lock to the command, and a daemon that keeps it holds
# the lock for ever (a libvirtd did, and every locked run waited behind it).
for __fd in /proc/$$/fd/*; do __fd=${__fd##*/}; case $__fd in 0|1|2|255) ;; *) eval "exec $__fd>&-" ;; esac; done
answers() { virsh -c qemu:///system version >/dev/null 2>&1; }
pgrep -x virtlogd >/dev/null || virtlogd -d
for _ in $(seq 1 150); do
  if answers; then virsh -c qemu:///system version; exit 0; fi
  pgrep -x libvirtd >/dev/null || libvirtd -d
  sleep 0.2
done
echo "libvirt-up: libvirtd did not answer on qemu:///system within 30s" >&2
exit 1
