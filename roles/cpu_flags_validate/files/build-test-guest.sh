#!/usr/bin/env bash
# build-test-guest.sh DIR [KERNEL]: the cpu_flags_validate test guest.
#
# DIR/vmlinuz is KERNEL (default: the newest /boot/vmlinuz-*; it needs a
# built-in 8250 serial console, as Debian's kernels have) and
# DIR/initramfs.cpio.gz a static busybox whose /init prints the guest
# kernel's view of its CPU on the serial console between GUEST-CPUINFO-BEGIN
# and GUEST-CPUINFO-END (again every 5 s), and "tick N uptime U" every second:
# the counter shows on the destination's console that the guest kept running
# through a live migration. Needs busybox-static and cpio (Debian packages).
set -euo pipefail
dir=${1:?usage: build-test-guest.sh DIR [KERNEL]}
kernel=${2:-$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)}
[ -n "$kernel" ] && [ -r "$kernel" ] || { echo "build-test-guest: no kernel (give KERNEL, or install one in /boot)" >&2; exit 1; }
busybox=$(command -v busybox || true)
[ -n "$busybox" ] && ! ldd "$busybox" >/dev/null 2>&1 || { echo "build-test-guest: no static busybox: install busybox-static" >&2; exit 1; }
command -v cpio >/dev/null || { echo "build-test-guest: install cpio" >&2; exit 1; }
mkdir -p "$dir"
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
mkdir -p "$w"/{bin,proc,sys,dev}
cp "$busybox" "$w/bin/busybox"
cat >"$w/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
cpuinfo() {
	echo "GUEST-CPUINFO-BEGIN"
	grep -m1 '^vendor_id' /proc/cpuinfo
	grep -m1 '^model name' /proc/cpuinfo
	grep -m1 '^flags' /proc/cpuinfo
	echo "GUEST-CPUINFO-END"
}
echo "GUEST-BOOTED $(uname -r)"
cpuinfo
i=0
while true; do
	i=$((i+1))
	echo "tick $i uptime $(cut -d' ' -f1 /proc/uptime)"
	[ $((i % 5)) -eq 0 ] && cpuinfo
	sleep 1
done
INIT
chmod 0755 "$w/init"
(cd "$w" && find . | cpio -o -H newc --quiet | gzip -9) >"$dir/initramfs.cpio.gz.tmp"
mv -f "$dir/initramfs.cpio.gz.tmp" "$dir/initramfs.cpio.gz"
cp -f "$kernel" "$dir/vmlinuz.tmp" && mv -f "$dir/vmlinuz.tmp" "$dir/vmlinuz"
echo "build-test-guest: $dir/vmlinuz ($(basename "$kernel")), $dir/initramfs.cpio.gz ($(stat -c %s "$dir/initramfs.cpio.gz") bytes)"
