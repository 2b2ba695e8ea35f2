#!/bin/sh
# FAKE nova-compute for tests: `restart` reads [libvirt] cpu_model_extra_flags
# from $WORK/nova.conf and logs what the real nova-compute logs: the
# InvalidCPUInfo line (and "stops") when a flag is listed in $WORK/bad-flags,
# else the marker logged after its CPU check passed (and "runs").
# `status` exits 0 while it "runs". Every restart appends to $WORK/restarts.
# $WORK/restart-delay makes restarts slow (seconds), for kill tests.
set -eu
d=${WORK:?}
log=$d/nova-compute.log
case "$1" in
restart)
	echo restart >>"$d/restarts"
	rm -f "$d/running"
	[ -s "$d/restart-delay" ] && sleep "$(cat "$d/restart-delay")"
	flags=$(sed -n 's/^cpu_model_extra_flags *= *//p' "$d/nova.conf" | tr ',' ' ')
	for f in $flags; do
		if [ -e "$d/bad-flags" ] && grep -qx -- "$f" "$d/bad-flags"; then
			echo "2026-01-01 00:00:00.000 4242 ERROR oslo_service.service [-] Error starting thread.: nova.exception.InvalidCPUInfo: Configured CPU model: Westmere and CPU Flags ['$f'] ar not compatible with host CPU. Please correct your config and try again. Unacceptable CPU info: CPU doesn't have compatibility." >>"$log"
			exit 0
		fi
	done
	echo "2026-01-01 00:00:00.000 4242 INFO nova.compute.manager [-] Looking for unclaimed instances stuck in BUILDING status for nodes managed by this host" >>"$log"
	touch "$d/running"
	;;
status)
	test -e "$d/running"
	;;
*)
	echo "usage: $0 restart|status" >&2
	exit 2
	;;
esac
