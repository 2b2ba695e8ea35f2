#!/bin/bash
# nova-rig.sh: a real nova-compute (Debian 12, Nova 26 "Zed") on this machine,
# with RabbitMQ, placement, nova-conductor and libvirt, without systemd.
#
# Recipe: /work/shared/rig/NOVA-RIG.md. Usage:
#   nova-rig.sh install   apt packages (idempotent; policy-rc.d keeps dpkg from starting services)
#   nova-rig.sh up        configure and start everything, wait until each service is ready (idempotent)
#   nova-rig.sh down      stop what `up` started, restore /etc/nova/nova.conf and libvirtd.conf
#   nova-rig.sh status    one line per service; exit 0 only when all are up
#   nova-rig.sh env       shell variables for tests: eval "$(nova-rig.sh env)"
#
# State lives under $CPUFLAGS_RIG_DIR (default /var/tmp/cpuflags-rig). Must run as root.
# Processes are only ever stopped by the PIDs this script recorded when it started them;
# a libvirtd started by someone else is used as it is and never stopped.
set -euo pipefail
# Pass no inherited descriptor to the daemons started here: flock(1) hands its
# lock on /tmp/cpuflags-*.lock to the command, and a daemon that keeps it holds
# the lock for ever (a libvirtd did, and every locked run waited behind it).
for __fd in /proc/$$/fd/*; do __fd=${__fd##*/}; case $__fd in 0|1|2|255) ;; *) eval "exec $__fd>&-" ;; esac; done

RIG=${CPUFLAGS_RIG_DIR:-/var/tmp/cpuflags-rig}
NOVA_CONF=/etc/nova/nova.conf
NOVA_LOG=/var/log/nova/nova-compute.log
NOVA_PIDFILE=/var/run/nova/nova-compute.pid
LIBVIRTD_CONF=/etc/libvirt/libvirtd.conf
RIG_HOST=cpuflags-rig
PLACEMENT_URL=http://127.0.0.1:8778
# Logged by ComputeManager.init_host after driver.init_host (which runs the CPU check).
READY_MARKER='Looking for unclaimed instances stuck in BUILDING status'
PACKAGES=(nova-compute nova-conductor placement-api python3-placement rabbitmq-server
	libvirt-daemon-system qemu-system-x86 socat)

log() { printf 'nova-rig: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts system services)"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

# wait_for SECONDS DESCRIPTION COMMAND...: poll COMMAND every 0.5 s.
wait_for() {
	local limit=$1 what=$2; shift 2
	local start; start=$(now)
	while ! "$@" >/dev/null 2>&1; do
		if awk -v a="$start" -v b="$(now)" -v l="$limit" 'BEGIN{exit !(b-a>l)}'; then
			die "$what not ready after ${limit}s"
		fi
		sleep 0.5
	done
	log "$what ready ($(elapsed "$start")s)"
}

pid_alive() { [ -n "${1:-}" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
# proc_start_epoch PID: when the process started, in seconds since the epoch.
proc_start_epoch() {
	local ticks btime
	ticks=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}') || return 1
	btime=$(awk '/^btime/{print $2}' /proc/stat)
	[ -n "$ticks" ] && echo $((btime + ticks / $(getconf CLK_TCK)))
}
# pidfile_alive FILE: the process FILE names is running and is the one FILE was written for:
# a pid file left by an earlier boot (a machine image, a reboot) or whose pid was reused by a
# process started after the file was written names nothing of ours.
pidfile_alive() {
	[ -s "$1" ] || return 1
	local pid started written
	pid=$(cat "$1")
	pid_alive "$pid" || return 1
	started=$(proc_start_epoch "$pid") || return 1
	written=$(stat -c %Y "$1")
	[ "$started" -le $((written + 2)) ]
}

# stop_pidfile FILE NAME: TERM the process group we started (setsid makes pid == pgid), then KILL.
stop_pidfile() {
	local f=$1 name=$2 pid i
	[ -s "$f" ] || return 0
	pid=$(cat "$f")
	if pid_alive "$pid"; then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 40); do pid_alive "$pid" || break; sleep 0.25; done
		if pid_alive "$pid"; then
			log "$name ($pid) ignored TERM; sending KILL"
			kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
		fi
		log "stopped $name ($pid)"
	fi
	rm -f "$f"
}

# ---------------------------------------------------------------- install
cmd_install() {
	need_root
	local start missing=() p made_policy=0
	start=$(now)
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		log "install: all packages present (${PACKAGES[*]}) ($(elapsed "$start")s)"
		return 0
	fi
	log "install: missing ${missing[*]}"
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		made_policy=1
	fi
	# Another apt run may hold the lock (e.g. one started at boot): wait for it instead of racing.
	local rc=0
	apt-get -o DPkg::Lock::Timeout=900 update -q || rc=$?
	[ $rc -eq 0 ] && { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q \
		--no-install-recommends "${PACKAGES[@]}" || rc=$?; }
	[ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
	[ $rc -eq 0 ] || die "apt-get failed (rc $rc); see output above"
	log "install: done ($(elapsed "$start")s)"
}

# ---------------------------------------------------------------- config files
write_nova_conf() { # $1 = target file, $2 = compute|conductor
	local db=""
	# nova-compute must not see database URLs (it logs "No DB access allowed in nova-compute").
	[ "$2" = conductor ] && db="
[api_database]
connection = sqlite:///$RIG/db/nova_api.sqlite

[database]
connection = sqlite:///$RIG/db/nova.sqlite
"
	cat >"$1" <<EOF
# Written by tests/rig/nova-rig.sh (cpuflags rig); the original is restored by 'nova-rig.sh down'.
[DEFAULT]
transport_url = rabbit://guest:guest@127.0.0.1:5672/
state_path = $RIG/state
host = $RIG_HOST
my_ip = 127.0.0.1
compute_driver = libvirt.LibvirtDriver
$db
[libvirt]
virt_type = kvm
cpu_mode = custom
cpu_models = Westmere
connection_uri = $(libvirt_uri)

[oslo_concurrency]
lock_path = $RIG/lock

[placement]
# placement runs with auth_strategy = noauth2, which maps the token "admin" to the admin role.
auth_type = admin_token
token = admin
endpoint = $PLACEMENT_URL
endpoint_override = $PLACEMENT_URL
EOF
}

libvirt_uri() {
	if pidfile_alive "$RIG/run/libvirt-proxy.pid"; then
		echo "qemu:///system?socket=$RIG/run/libvirt-sock"
	else
		echo "qemu:///system"
	fi
}

install_nova_conf() {
	mkdir -p "$RIG/backup"
	if [ ! -e "$RIG/backup/nova.conf.saved" ] && [ ! -e "$RIG/backup/nova.conf.absent" ]; then
		if [ -e "$NOVA_CONF" ] && ! grep -q 'Written by tests/rig/nova-rig.sh' "$NOVA_CONF"; then
			cp -a "$NOVA_CONF" "$RIG/backup/nova.conf.saved"
			log "backed up $NOVA_CONF to $RIG/backup/nova.conf.saved"
		elif [ ! -e "$NOVA_CONF" ]; then
			touch "$RIG/backup/nova.conf.absent"
		fi
	fi
	# An existing rig nova.conf is left alone: tests edit it, and a second 'up' must change nothing.
	if ! grep -q 'Written by tests/rig/nova-rig.sh' "$NOVA_CONF" 2>/dev/null; then
		write_nova_conf "$RIG/nova.conf.tmp" compute
		chown root:nova "$RIG/nova.conf.tmp" 2>/dev/null || true
		chmod 0640 "$RIG/nova.conf.tmp"
		mv -f "$RIG/nova.conf.tmp" "$NOVA_CONF"
		log "wrote $NOVA_CONF"
	fi
	# ... except for where libvirt is: a proxy socket from an earlier boot may be gone.
	local uri; uri=$(libvirt_uri)
	if ! grep -qxF "connection_uri = $uri" "$NOVA_CONF"; then
		sed -i "s|^connection_uri = .*|connection_uri = $uri|" "$NOVA_CONF"
		log "connection_uri in $NOVA_CONF is now $uri"
	fi
	# nova-conductor gets its own copy so that tests editing $NOVA_CONF only affect nova-compute.
	[ -e "$RIG/nova-conductor.conf" ] || write_nova_conf "$RIG/nova-conductor.conf" conductor
}

# drop_rig_backups: the probe's backups of the rig's own nova.conf (a suite that stopped
# before its cleanup leaves them); backups of any other content are not ours and stay.
drop_rig_backups() {
	local b
	for b in "$NOVA_CONF".*.cpuflags.bak; do
		[ -e "$b" ] || continue
		if head -1 "$b" | grep -q 'Written by tests/rig/nova-rig.sh'; then
			rm -f "$b"
			log "removed $b (a backup of the rig's nova.conf)"
		fi
	done
}

restore_nova_conf() {
	drop_rig_backups
	if [ -e "$RIG/backup/nova.conf.saved" ]; then
		cp -a "$RIG/backup/nova.conf.saved" "$NOVA_CONF" && rm -f "$RIG/backup/nova.conf.saved"
		log "restored $NOVA_CONF"
	elif [ -e "$RIG/backup/nova.conf.absent" ]; then
		rm -f "$NOVA_CONF" "$RIG/backup/nova.conf.absent"
		log "removed $NOVA_CONF (there was none before up)"
	fi
}

# ---------------------------------------------------------------- rabbitmq
rabbit_ready() { rabbitmqctl -q status >/dev/null 2>&1; }
up_rabbit() {
	if rabbit_ready; then log "rabbitmq already running"; return; fi
	# -detached forks; beam runs as root here. epmd is started along with it.
	rabbitmq-server -detached >"$RIG/log/rabbitmq-start.log" 2>&1
	touch "$RIG/run/rabbitmq.ours"
	wait_for 90 rabbitmq rabbitmqctl -q await_startup
	rabbitmqctl -q eval 'os:getpid().' | tr -dc 0-9 >"$RIG/run/rabbitmq.pid"
}
down_rabbit() {
	[ -e "$RIG/run/rabbitmq.ours" ] || return 0
	# With a pid file, 'rabbitmqctl stop' waits until the beam process has exited.
	if pidfile_alive "$RIG/run/rabbitmq.pid"; then
		rabbitmqctl -q stop "$RIG/run/rabbitmq.pid" >/dev/null 2>&1 || true
		stop_pidfile "$RIG/run/rabbitmq.pid" "rabbitmq (beam)" # only acts if it is still alive
		log "stopped rabbitmq"
	elif rabbit_ready; then
		rabbitmqctl -q stop >/dev/null 2>&1 || true
		log "stopped rabbitmq"
	fi
	rm -f "$RIG/run/rabbitmq.pid"
	# epmd outlives the broker; it is ours because we started the broker.
	epmd -kill >/dev/null 2>&1 || true
	rm -f "$RIG/run/rabbitmq.ours"
}

# ---------------------------------------------------------------- libvirt
LIBVIRT_MARK='# cpuflags-rig: nova-compute runs as user nova (group libvirt), no polkit'
ensure_libvirtd_conf() {
	grep -qF "$LIBVIRT_MARK" "$LIBVIRTD_CONF" && return 1
	[ -e "$RIG/backup/libvirtd.conf.saved" ] || cp -a "$LIBVIRTD_CONF" "$RIG/backup/libvirtd.conf.saved"
	cat >>"$LIBVIRTD_CONF" <<EOF
$LIBVIRT_MARK
unix_sock_group = "libvirt"
unix_sock_rw_perms = "0770"
auth_unix_rw = "none"
auth_unix_ro = "none"
EOF
	log "added socket settings to $LIBVIRTD_CONF"
	return 0
}
nova_can_use_libvirt() { runuser -u nova -- virsh -c "$(libvirt_uri)" uri >/dev/null 2>&1; }
root_virsh_ok() { virsh -c qemu:///system version >/dev/null 2>&1; }
start_libvirtd() {
	if ! pgrep -x virtlogd >/dev/null; then
		virtlogd -d; touch "$RIG/run/virtlogd.ours"
	fi
	libvirtd -d
	wait_for 30 libvirtd root_virsh_ok
	cat /run/libvirtd.pid >"$RIG/run/libvirtd.pid"
}
up_libvirt() {
	getent group libvirt | grep -qw nova || { usermod -aG libvirt nova; log "added nova to group libvirt"; }
	local changed=0
	ensure_libvirtd_conf && changed=1
	if ! pgrep -x libvirtd >/dev/null; then
		start_libvirtd
	elif [ $changed = 1 ] && [ -e "$RIG/run/libvirtd.pid" ] && pidfile_alive "$RIG/run/libvirtd.pid"; then
		stop_pidfile "$RIG/run/libvirtd.pid" libvirtd
		start_libvirtd
	else
		log "libvirtd already running (pid $(pgrep -x libvirtd | tr '\n' ' '))"
		wait_for 30 libvirtd root_virsh_ok
	fi
	if nova_can_use_libvirt; then return; fi
	if [ -e "$RIG/run/libvirtd.pid" ] && pidfile_alive "$RIG/run/libvirtd.pid"; then
		stop_pidfile "$RIG/run/libvirtd.pid" libvirtd
		start_libvirtd
	else
		# Someone else's libvirtd, started without the socket settings: we may not restart it.
		# Give nova a socket of its own, proxied by root (libvirt sees root as the peer).
		log "libvirtd (not ours) refuses user nova; proxying $RIG/run/libvirt-sock -> /run/libvirt/libvirt-sock"
		rm -f "$RIG/run/libvirt-sock"
		setsid socat "UNIX-LISTEN:$RIG/run/libvirt-sock,fork,user=nova,group=nova,mode=0600" \
			UNIX-CONNECT:/run/libvirt/libvirt-sock </dev/null >"$RIG/log/libvirt-proxy.log" 2>&1 &
		echo $! >"$RIG/run/libvirt-proxy.pid"
		wait_for 10 "libvirt socket proxy" test -S "$RIG/run/libvirt-sock"
	fi
	nova_can_use_libvirt || die "user nova cannot connect to $(libvirt_uri); check $LIBVIRTD_CONF and 'id nova'"
}
down_libvirt() {
	stop_pidfile "$RIG/run/libvirt-proxy.pid" "libvirt socket proxy"
	rm -f "$RIG/run/libvirt-sock"
	stop_pidfile "$RIG/run/libvirtd.pid" libvirtd
	if [ -e "$RIG/run/virtlogd.ours" ] && ! pgrep -x libvirtd >/dev/null; then
		local p; p=$(cat /run/virtlogd.pid 2>/dev/null || true)
		if pid_alive "$p"; then kill -TERM "$p"; log "stopped virtlogd ($p)"; fi
		rm -f "$RIG/run/virtlogd.ours"
	fi
	# libvirtd reads its config only at start, so restoring it never disturbs a running daemon.
	if [ -e "$RIG/backup/libvirtd.conf.saved" ]; then
		cp -a "$RIG/backup/libvirtd.conf.saved" "$LIBVIRTD_CONF" && rm -f "$RIG/backup/libvirtd.conf.saved"
		log "restored $LIBVIRTD_CONF"
	fi
}

# ---------------------------------------------------------------- databases
up_db() {
	if [ -e "$RIG/db/.synced" ]; then return; fi
	local start; start=$(now)
	local c="--config-file $RIG/nova-conductor.conf" out=$RIG/log/db-sync.log
	{
		nova-manage $c api_db sync &&
		nova-manage $c cell_v2 map_cell0 --database_connection "sqlite:///$RIG/db/nova_cell0.sqlite" &&
		nova-manage $c db sync &&
		{ nova-manage $c cell_v2 list_cells 2>/dev/null | grep -qw cell1 ||
			nova-manage $c cell_v2 create_cell --name cell1; } &&
		placement-manage --config-file "$RIG/placement/placement.conf" db sync
	} >>"$out" 2>&1 || die "database sync failed; see $out"
	touch "$RIG/db/.synced"
	log "databases synced ($(elapsed "$start")s)"
}

# ---------------------------------------------------------------- placement
placement_ready() { curl -fsS "$PLACEMENT_URL/" | grep -q '"versions"'; }
up_placement() {
	if pidfile_alive "$RIG/run/placement.pid" && placement_ready; then log "placement already running"; return; fi
	stop_pidfile "$RIG/run/placement.pid" placement-api
	OS_PLACEMENT_CONFIG_DIR=$RIG/placement setsid placement-api --port 8778 --host 127.0.0.1 \
		</dev/null >>"$RIG/log/placement-api.log" 2>&1 &
	echo $! >"$RIG/run/placement.pid"
	wait_for 60 placement-api placement_ready
}

# ---------------------------------------------------------------- conductor
conductor_ready() { rabbitmqctl -q list_queues name 2>/dev/null | grep -qx conductor; }
up_conductor() {
	if pidfile_alive "$RIG/run/conductor.pid" && conductor_ready; then log "nova-conductor already running"; return; fi
	stop_pidfile "$RIG/run/conductor.pid" nova-conductor
	setsid nova-conductor --config-file "$RIG/nova-conductor.conf" --log-file "$RIG/log/nova-conductor.log" \
		</dev/null >>"$RIG/log/nova-conductor.out" 2>&1 &
	echo $! >"$RIG/run/conductor.pid"
	wait_for 90 nova-conductor conductor_ready
}

# ---------------------------------------------------------------- compute
compute_pid() { [ -s "$NOVA_PIDFILE" ] && cat "$NOVA_PIDFILE"; }
compute_alive() { pid_alive "$(compute_pid 2>/dev/null || true)"; }
compute_ready_since() { # $1 byte offset in NOVA_LOG
	compute_alive && tail -c +"$(($1 + 1))" "$NOVA_LOG" 2>/dev/null | grep -qF "$READY_MARKER"
}
up_compute() {
	if compute_alive && rabbitmqctl -q list_queues name 2>/dev/null | grep -qx "compute.$RIG_HOST"; then
		log "nova-compute already running (pid $(compute_pid))"; return
	fi
	# Whatever runs without a pid file (left by a killed session) reads an
	# unknown configuration: replace it.
	compute_alive || down_compute
	local off=0
	[ -e "$NOVA_LOG" ] && off=$(stat -c %s "$NOVA_LOG")
	service nova-compute start >/dev/null
	local start; start=$(now)
	while ! compute_ready_since "$off"; do
		if ! compute_alive && [ "$(elapsed "$start" | cut -d. -f1)" -ge 3 ]; then
			tail -c +"$((off + 1))" "$NOVA_LOG" | grep -E 'ERROR|CRITICAL' | tail -5 >&2 || true
			die "nova-compute exited during start-up; see $NOVA_LOG"
		fi
		[ "$(elapsed "$start" | cut -d. -f1)" -ge 120 ] && die "nova-compute not ready after 120s; see $NOVA_LOG"
		sleep 0.5
	done
	log "nova-compute ready, pid $(compute_pid) ($(elapsed "$start")s)"
}
down_compute() {
	if compute_alive; then service nova-compute stop >/dev/null || true; log "stopped nova-compute"; fi
	# A nova-compute whose pid file was lost (a restart racing a stop) is
	# still the rig's: stop it too, by PID, so that no process outlives `down`.
	local p strays
	strays=$(stray_computes)
	if [ -n "$strays" ]; then
		kill -TERM $strays 2>/dev/null || true
		for _ in $(seq 1 40); do [ -n "$(stray_computes)" ] || break; sleep 0.25; done
		strays=$(stray_computes)
		[ -z "$strays" ] || kill -KILL $strays 2>/dev/null || true
		log "stopped a nova-compute without pid file"
	fi
	return 0
}

# stray_computes: PIDs of the system's nova-compute (Debian's /usr/bin/nova-compute
# reading /etc/nova) in this script's own network namespace. The two-hosts
# rig's nova-computes run in network namespaces of their own and are not ours.
stray_computes() {
	local p me
	me=$(readlink /proc/$$/ns/net)
	for p in $(pgrep -f '^/usr/bin/python3 /usr/bin/nova-compute' || true); do
		if [ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$me" ]; then echo "$p"; fi
	done
	return 0
}

# ---------------------------------------------------------------- commands
# clear_stale_run_state: forget what an earlier boot or a killed run left in $RIG/run
# (pid files of dead processes, markers of services no longer running, the proxy socket),
# so that 'up' starts what is missing and 'down' never signals a stranger.
clear_stale_run_state() {
	local f
	for f in "$RIG"/run/*.pid; do
		[ -e "$f" ] || continue
		pidfile_alive "$f" && continue
		rm -f "$f"
		log "removed stale $(basename "$f") (its process is gone)"
	done
	if [ ! -e "$RIG/run/libvirt-proxy.pid" ] && [ -e "$RIG/run/libvirt-sock" ]; then
		rm -f "$RIG/run/libvirt-sock"
	fi
	if [ -e "$RIG/run/rabbitmq.ours" ] && ! rabbit_ready; then
		rm -f "$RIG/run/rabbitmq.ours"
		log "removed stale rabbitmq.ours (rabbitmq is not running)"
	fi
	if [ -e "$RIG/run/virtlogd.ours" ] && ! pgrep -x virtlogd >/dev/null; then
		rm -f "$RIG/run/virtlogd.ours"
	fi
	# A probe journal beside the rig's nova.conf whose process is gone was left by a probe killed
	# with the machine (the watchdog died too). The module would restore that probe's backup
	# on its next run; the rig writes nova.conf itself, so the backup is of no use here.
	local j="$NOVA_CONF.cpuflags-probe.json" jpid
	if [ -e "$j" ] && grep -q 'Written by tests/rig/nova-rig.sh' "$NOVA_CONF" 2>/dev/null; then
		jpid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$j" | head -1)
		if ! pid_alive "$jpid"; then
			local backup; backup=$(sed -n 's/.*"backup": *"\([^"]*\)".*/\1/p' "$j" | head -1)
			rm -f "$j" ${backup:+"$backup"}
			log "removed the journal (and backup) of a probe that died unrecovered (pid ${jpid:-?}): the rig writes nova.conf itself"
		fi
	fi
}

cmd_up() {
	need_root
	local start; start=$(now)
	command -v nova-compute >/dev/null || die "packages missing: run '$0 install' first"
	mkdir -p "$RIG"/{db,state/instances,lock,log,placement,run,backup}
	chown -R nova:nova "$RIG/state" "$RIG/lock"
	chmod 0755 "$RIG"
	cat >"$RIG/placement/placement.conf" <<EOF
[api]
auth_strategy = noauth2
[placement_database]
connection = sqlite:///$RIG/db/placement.sqlite
EOF
	clear_stale_run_state
	up_libvirt
	install_nova_conf
	up_rabbit
	up_db
	up_placement
	up_conductor
	up_compute
	log "up: done ($(elapsed "$start")s)"
}

cmd_down() {
	need_root
	local start; start=$(now)
	[ -d "$RIG" ] || { log "down: nothing to do ($RIG absent)"; restore_nova_conf; return 0; }
	down_compute
	stop_pidfile "$RIG/run/conductor.pid" nova-conductor
	stop_pidfile "$RIG/run/placement.pid" placement-api
	down_rabbit
	down_libvirt
	restore_nova_conf
	log "down: done ($(elapsed "$start")s)"
}

cmd_status() {
	local ok=0 line
	line() { printf '%-16s %s\n' "$1" "$2"; }
	if rabbit_ready; then line rabbitmq up; else line rabbitmq down; ok=1; fi
	if pgrep -x libvirtd >/dev/null; then
		line libvirtd "up (pid $(pgrep -x libvirtd | tr '\n' ' '); $( [ -e "$RIG/run/libvirtd.pid" ] && echo ours || echo 'not started by rig'))"
	else line libvirtd down; ok=1; fi
	if [ -e "$RIG/run/libvirt-proxy.pid" ]; then
		if pidfile_alive "$RIG/run/libvirt-proxy.pid"; then line libvirt-proxy up; else line libvirt-proxy dead; ok=1; fi
	fi
	if placement_ready 2>/dev/null; then line placement-api "up ($PLACEMENT_URL)"; else line placement-api down; ok=1; fi
	if pidfile_alive "$RIG/run/conductor.pid" 2>/dev/null; then line nova-conductor "up (pid $(cat "$RIG/run/conductor.pid"))"; else line nova-conductor down; ok=1; fi
	if compute_alive; then line nova-compute "up (pid $(compute_pid))"; else line nova-compute down; ok=1; fi
	return $ok
}

cmd_env() {
	cat <<EOF
CPUFLAGS_RIG_DIR='$RIG'
NOVA_CONF='$NOVA_CONF'
NOVA_LOG='$NOVA_LOG'
NOVA_PIDFILE='$NOVA_PIDFILE'
NOVA_SERVICE_KIND='sysv'
NOVA_SERVICE_UNIT='nova-compute'
NOVA_SERVICE_CMD='service nova-compute'
NOVA_RIG_HOST='$RIG_HOST'
EOF
}

case "${1:-}" in
install) cmd_install ;;
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
env) cmd_env ;;
*) echo "usage: $0 {install|up|down|status|env}" >&2; exit 2 ;;
esac
