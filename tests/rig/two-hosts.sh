#!/bin/bash
# two-hosts.sh: two libvirt hypervisors, hv1 and hv2, on this one machine,
# and a small Nova (Debian 12's Zed packages) over them.
#
# Each host is a libvirtd + virtlogd in its own network, mount and UTS
# namespaces: hostname hvN, its own host_uuid, sockets, state and logs
# (bind mounts of $RIG/hvN/* over /etc/libvirt, /run/libvirt,
# /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt), joined by one veth
# pair (10.250.0.1 <-> 10.250.0.2) that exists only inside those namespaces.
# The system libvirtd, /etc/libvirt and /etc/nova are never touched.
#
#   two-hosts.sh install    Debian packages (idempotent)
#   two-hosts.sh guest      the test guest: Debian's cloud kernel + a busybox initramfs
#                           that prints its /proc/cpuinfo on the serial console, then a counter
#   two-hosts.sh up         tear down any earlier rig, then bring up hv1 and hv2
#   two-hosts.sh nova-up    RabbitMQ, placement, glance, nova-api/scheduler/conductor,
#                           a Neutron stand-in, nova-compute host=hv1 and host=hv2
#   two-hosts.sh nova-down  stop what nova-up started
#   two-hosts.sh down       stop everything, remove the namespaces and $RIG
#   two-hosts.sh inventory  an Ansible inventory for hv1 and hv2 (stdout)
#
# Guests run under TCG (domain type qemu): Debian's kernel does not boot under
# this machine's nested KVM. NO_KVM="hv2" (the default) gives hv2 a private
# /dev without kvm, a host with no KVM at all.
# Everything runs as root and lives under $RIG (default /tmp/twohosts); run it
# under flock /tmp/cpuflags-twohosts.lock. Processes are stopped by the PIDs
# this script recorded, or because they run inside the rig's own namespaces.
set -euo pipefail
# Pass no inherited descriptor to the daemons started here: flock(1) hands its
# lock on /tmp/cpuflags-*.lock to the command, and a daemon that keeps it holds
# the lock for ever (a libvirtd did, and every locked run waited behind it).
for __fd in /proc/$$/fd/*; do __fd=${__fd##*/}; case $__fd in 0|1|2|255) ;; *) eval "exec $__fd>&-" ;; esac; done

RIG=${CPUFLAGS_TWOHOSTS_DIR:-/tmp/twohosts}
NET=${CPUFLAGS_TWOHOSTS_NET:-10.250.0}
NS_PREFIX=cpuflags-
NO_KVM=${NO_KVM-hv2}
HOSTS=(hv1 hv2)
GUEST=$RIG/guest
N=$RIG/nova
C=$NET.1 # the controller's address (hv1)
PACKAGES=(libvirt-daemon-system libvirt-clients qemu-system-x86 iproute2 util-linux
	linux-image-cloud-amd64 busybox-static cpio
	nova-api nova-scheduler nova-conductor nova-compute placement-api python3-placement
	glance-api rabbitmq-server python3-openstackclient curl)

log() { printf 'two-hosts: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }
ns() { echo "$NS_PREFIX$1"; }
ip_of() { echo "$NET.${1#hv}"; }
sock() { echo "$RIG/$1/run/libvirt-sock"; }
uri() { echo "qemu+unix:///system?socket=$(sock "$1")"; }
vsh() { local h=$1; shift; virsh -c "$(uri "$h")" "$@"; }
caps_of() { vsh "$1" capabilities >"$RIG/$1/capabilities.xml" && cat "$RIG/$1/capabilities.xml"; }
lvpid() { cat "$RIG/$1/run/libvirtd.pid"; }
alive() { [ -n "${1:-}" ] && [ -d "/proc/$1" ]; }
# timings go to $RIG/times (name seconds), for docs/BENCHMARKS.md
timing() { mkdir -p "$RIG"; echo "$1 $2" >>"$RIG/times"; log "$1: $2 s"; }

# ---------------------------------------------------------------- install
cmd_install() {
	local missing=() p t; t=$(now)
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && { log "install: all packages present"; return 0; }
	log "install: ${missing[*]}"
	local made_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
	fi
	local rc=0
	apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null || rc=$?
	[ $rc -eq 0 ] && { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q \
		--no-install-recommends "${missing[@]}" || rc=$?; }
	[ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
	[ $rc -eq 0 ] || die "apt-get failed (rc $rc)"
	timing install "$(since "$t")"
}

# ---------------------------------------------------------------- guest
# The validate role's test guest (roles/cpu_flags_validate/files/build-test-guest.sh)
# on Debian's cloud kernel.
cmd_guest() {
	local kernel here
	here=$(cd "$(dirname "$0")/../.." && pwd)
	kernel=${GUEST_KERNEL:-$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -1)}
	[ -n "$kernel" ] || die "no /boot/vmlinuz-*-cloud-amd64: run '$0 install' (linux-image-cloud-amd64)"
	local t; t=$(now)
	bash "$here/roles/cpu_flags_validate/files/build-test-guest.sh" "$GUEST" "$kernel" >&2
	timing guest-build "$(since "$t")"
}

# ---------------------------------------------------------------- hosts
write_host_files() { # host
	local h=$1 d=$RIG/$1 uuid
	mkdir -p "$d"/{etc,run,lib,log/qemu,cache}
	printf '127.0.0.1 localhost\n%s hv1\n%s hv2\n' "$(ip_of hv1)" "$(ip_of hv2)" >"$d/hosts"
	echo "$h" >"$d/hostname"
	[ -s "$d/host_uuid" ] || cat /proc/sys/kernel/random/uuid >"$d/host_uuid"
	uuid=$(cat "$d/host_uuid")
	cat >"$d/etc/libvirtd.conf" <<CONF
# $h's own libvirtd (tests/rig/two-hosts.sh); the system libvirtd is untouched
listen_tls = 0
listen_tcp = 1
listen_addr = "$(ip_of "$h")"
auth_tcp = "none"
unix_sock_dir = "/run/libvirt"
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
host_uuid = "$uuid"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
CONF
	echo 'log_outputs = "3:file:/var/log/libvirt/virtlogd.log"' >"$d/etc/virtlogd.conf"
	# qemu.conf is read only from /etc/libvirt/qemu.conf, hence the bind mount.
	# Both hosts share one cgroup tree: keep libvirt out of it.
	cat >"$d/etc/qemu.conf" <<CONF
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
migration_address = "$(ip_of "$h")"
migration_host = "$(ip_of "$h")"
CONF
	local nokvm=""
	if [[ " $NO_KVM " == *" $h "* ]]; then
		# A private /dev without kvm: libvirt then sees a host without KVM. (An empty
		# file over /dev/kvm makes libvirt re-probe QEMU on every call, 10-20 s each.)
		nokvm="mkdir -p $d/dev && mount -t tmpfs -o mode=755 nokvm $d/dev
for n in null zero full random urandom tty; do touch $d/dev/\$n; mount --bind /dev/\$n $d/dev/\$n; done
mkdir $d/dev/pts $d/dev/shm; mount --bind /dev/pts $d/dev/pts; ln -s pts/ptmx $d/dev/ptmx
mount -t tmpfs shm $d/dev/shm; ln -s /proc/self/fd $d/dev/fd
mount --move $d/dev /dev"
	fi
	cat >"$d/ns-init.sh" <<INIT
#!/bin/bash
# runs inside $h's new mount + UTS namespaces (and its network namespace)
set -e
hostname $h
mount --bind $d/etc /etc/libvirt
mount --bind $d/run /run/libvirt
mount --bind $d/lib /var/lib/libvirt
mount --bind $d/log /var/log/libvirt
mount --bind $d/cache /var/cache/libvirt
mount --bind $d/hosts /etc/hosts
mount --bind $d/hostname /etc/hostname
$nokvm
virtlogd -d -f /etc/libvirt/virtlogd.conf -p /run/libvirt/virtlogd.pid
libvirtd -d -l -f /etc/libvirt/libvirtd.conf -p /run/libvirt/libvirtd.pid
INIT
	chmod 0755 "$d/ns-init.sh"
}

cmd_up() {
	command -v libvirtd >/dev/null || die "libvirtd missing: run '$0 install'"
	cmd_down >/dev/null 2>&1 || true
	local t0 t h; t0=$(now)
	mkdir -p "$RIG/work"
	ip netns add "$(ns hv1)"
	ip netns add "$(ns hv2)"
	ip link add veth-hv1 netns "$(ns hv1)" type veth peer name veth-hv2 netns "$(ns hv2)"
	for h in "${HOSTS[@]}"; do
		ip -n "$(ns "$h")" link set lo up
		ip -n "$(ns "$h")" addr add "$(ip_of "$h")/24" dev "veth-$h"
		ip -n "$(ns "$h")" link set "veth-$h" up
	done
	for h in "${HOSTS[@]}"; do
		write_host_files "$h"
		t=$(now)
		ip netns exec "$(ns "$h")" unshare -m -u --propagation private "$RIG/$h/ns-init.sh"
		local i
		for i in $(seq 1 150); do vsh "$h" version >/dev/null 2>&1 && break; sleep 0.2; done
		vsh "$h" version >/dev/null 2>&1 || die "$h: libvirtd does not answer on $(sock "$h"); see $RIG/$h/log/libvirtd.log"
		timing "libvirtd-$h" "$(since "$t")"
		log "$h: libvirtd pid $(lvpid "$h"), hostname $(vsh "$h" hostname), host uuid $(caps_of "$h" | grep -m1 -o '<uuid>[^<]*' | cut -c7-), kvm: $(caps_of "$h" | grep -c "domain type='kvm'" | sed 's/^0$/no/;s/^[1-9].*/yes/')"
	done
	for h in "${HOSTS[@]}"; do
		log "tcp from hv1's netns to $h: $(ip netns exec "$(ns hv1)" virsh -c "qemu+tcp://$(ip_of "$h")/system" hostname)"
	done
	timing rig-up "$(since "$t0")"
}

# ---------------------------------------------------------------- nova
in_hv() { local h=$1; shift; nsenter -t "$(lvpid "$h")" -n -m -u "$@"; }
bg() { # name cmd...: start in the background in its own session, remember the PID
	local name=$1; shift
	setsid "$@" >>"$N/log/$name.out" 2>&1 </dev/null &
	echo $! >"$N/pids/$name.pid"
}
waitport() { # port [tries]
	local i
	for i in $(seq 1 "${2:-300}"); do
		ip netns exec "$(ns hv1)" bash -c "exec 3<>/dev/tcp/$C/$1" 2>/dev/null && return 0
		sleep 0.2
	done
	die "port $1 on $C not up; see $N/log"
}

write_nova_files() {
	cat >"$N/etc/nova.conf" <<CONF
# tests/rig/two-hosts.sh: Nova over hv1 and hv2, sqlite, no keystone (rig only)
[DEFAULT]
transport_url = rabbit://guest:guest@$C:5672/
state_path = $N/state-hv1
instances_path = $N/instances
enabled_apis = osapi_compute
osapi_compute_workers = 1
compute_driver = libvirt.LibvirtDriver
[api]
# Not noauth2: its context carries no token, so nova-api's own calls to glance
# fail (keystoneauth1 AuthorizationFailure). "keystone" with a paste pipeline
# that drops authtoken: keystonecontext trusts the client's X-User-Id,
# X-Project-Id, X-Roles and X-Auth-Token headers. For this rig only.
auth_strategy = keystone
[wsgi]
api_paste_config = $N/etc/api-paste.ini
[api_database]
connection = sqlite:///$N/db/nova_api.sqlite?timeout=30
[database]
connection = sqlite:///$N/db/nova.sqlite?timeout=30
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = -1
[glance]
api_servers = http://$C:9292
[neutron]
auth_type = none
endpoint_override = http://$C:9696
[placement]
# placement's noauth2 wants a token "user:project"
auth_type = admin_token
token = admin:admin
endpoint = http://$C:8778
endpoint_override = http://$C:8778
[oslo_concurrency]
lock_path = $N/lock
[vnc]
enabled = false
[libvirt]
virt_type = qemu
cpu_mode = custom
cpu_models = ${NOVA_CPU_MODEL:-Westmere}
cpu_model_extra_flags = ${NOVA_CPU_FLAGS:-aes}
live_migration_scheme = tcp
CONF
	local h
	for h in "${HOSTS[@]}"; do
		cat >"$N/etc/nova-$h.conf" <<CONF
[DEFAULT]
host = $h
my_ip = $(ip_of "$h")
state_path = $N/state-$h
log_file = $N/log/nova-compute-$h.log
[libvirt]
connection_uri = qemu+tcp://$(ip_of "$h")/system
live_migration_inbound_addr = $(ip_of "$h")
CONF
	done
	sed 's/ authtoken keystonecontext / keystonecontext /' /etc/nova/api-paste.ini >"$N/etc/api-paste.ini"
	grep -q 'keystonecontext' "$N/etc/api-paste.ini" || die "/etc/nova/api-paste.ini has no keystonecontext pipeline"
	cat >"$N/placement/placement.conf" <<CONF
[api]
auth_strategy = noauth2
[placement_database]
connection = sqlite:///$N/db/placement.sqlite?timeout=30
CONF
	cat >"$N/etc/glance-api.conf" <<CONF
[DEFAULT]
bind_host = $C
bind_port = 9292
workers = 1
enabled_backends = file:file
log_file = $N/log/glance-api.log
[database]
connection = sqlite:///$N/db/glance.sqlite?timeout=30
[paste_deploy]
# empty flavor: the unauthenticated-context pipeline (no keystone here)
flavor =
config_file = /etc/glance/glance-api-paste.ini
[glance_store]
default_backend = file
[file]
filesystem_store_datadir = $N/glance-images
[os_glance_staging_store]
filesystem_store_datadir = $N/glance-staging
[os_glance_tasks_store]
filesystem_store_datadir = $N/glance-tasks
CONF
	printf 'loopback_users = none\nlisteners.tcp.default = 5672\n' >"$N/rabbit/rabbitmq.conf"
}

cmd_nova_up() {
	[ -S "$(sock hv1)" ] && [ -S "$(sock hv2)" ] || die "hv1/hv2 are not up: run '$0 up' first"
	command -v nova-api >/dev/null || die "nova-api missing: run '$0 install'"
	cmd_nova_down >/dev/null 2>&1 || true
	local t0 t h; t0=$(now)
	mkdir -p "$N"/{etc,log,pids,db,lock,instances,instances-hv1,instances-hv2,glance-images,glance-staging,glance-tasks,rabbit,placement,state-hv1,state-hv2}
	write_nova_files
	# RabbitMQ: its own node, mnesia, logs and cookie, inside hv1's namespaces
	# (hostname hv1, private ports 5672/4369). hv2's compute comes over the veth,
	# hence loopback_users = none.
	chown -R rabbitmq:rabbitmq "$N/rabbit"
	in_hv hv1 env HOME="$N/rabbit" RABBITMQ_NODENAME=rabbit@hv1 RABBITMQ_MNESIA_BASE="$N/rabbit/mnesia" \
		RABBITMQ_LOG_BASE="$N/rabbit/log" RABBITMQ_CONFIG_FILE="$N/rabbit/rabbitmq.conf" \
		RABBITMQ_ENABLED_PLUGINS_FILE="$N/rabbit/enabled_plugins" RABBITMQ_PID_FILE="$N/rabbit/rabbit.pid" \
		RABBITMQ_CONF_ENV_FILE=/dev/null \
		setsid runuser -u rabbitmq -- /usr/lib/rabbitmq/bin/rabbitmq-server >>"$N/log/rabbitmq.out" 2>&1 </dev/null &
	echo $! >"$N/pids/rabbitmq.pid"
	t=$(now)
	local c="--config-file $N/etc/nova.conf"
	{
		nova-manage $c api_db sync &&
		nova-manage $c cell_v2 map_cell0 --database_connection "sqlite:///$N/db/nova_cell0.sqlite?timeout=30" &&
		nova-manage $c db sync &&
		nova-manage $c cell_v2 create_cell --name cell1 &&
		placement-manage --config-file "$N/placement/placement.conf" db sync &&
		glance-manage --config-file "$N/etc/glance-api.conf" db_sync
	} >>"$N/log/db-sync.log" 2>&1 || die "database sync failed; see $N/log/db-sync.log"
	# sqlite with several eventlet services: WAL lets readers overlap one writer
	# ("database is locked" otherwise); ?timeout=30 waits for the writer.
	local db
	for db in "$N"/db/*.sqlite; do
		python3 -c "import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA journal_mode=WAL')" "$db"
	done
	timing nova-db-sync "$(since "$t")"
	bg placement env OS_PLACEMENT_CONFIG_DIR="$N/placement" ip netns exec "$(ns hv1)" placement-api --port 8778 --host "$C"
	bg glance-api ip netns exec "$(ns hv1)" glance-api --config-file "$N/etc/glance-api.conf"
	bg neutron-fake ip netns exec "$(ns hv1)" python3 "$(dirname "$0")/neutron-fake.py" "$C" 9696 "$N/log/neutron-fake.requests"
	waitport 5672 600
	bg nova-api ip netns exec "$(ns hv1)" nova-api --config-file "$N/etc/nova.conf" --log-file "$N/log/nova-api.log"
	bg nova-conductor ip netns exec "$(ns hv1)" nova-conductor --config-file "$N/etc/nova.conf" --log-file "$N/log/nova-conductor.log"
	bg nova-scheduler ip netns exec "$(ns hv1)" nova-scheduler --config-file "$N/etc/nova.conf" --log-file "$N/log/nova-scheduler.log"
	waitport 8778; waitport 9292; waitport 9696; waitport 8774 600
	# instances_path is one path on both hosts (the migrated XML keeps disk
	# paths), but each host's mount namespace binds its own directory there:
	# disks are host-local and Nova block-migrates. (One shared directory makes
	# Nova assume shared storage, and libvirt refuses the unsafe migration; two
	# paths make the destination open the source's disk.)
	for h in "${HOSTS[@]}"; do
		nsenter -t "$(lvpid "$h")" -m mount --bind "$N/instances-$h" "$N/instances"
		# "/usr/bin/python3 -s /usr/bin/nova-compute", not "/usr/bin/python3 /usr/bin/nova-compute":
		# older copies of tests/rig/nova-rig.sh stop the system's nova-compute by
		# that command line, which would also have matched these.
		bg "nova-compute-$h" nsenter -t "$(lvpid "$h")" -m -u -n \
			/usr/bin/python3 -s /usr/bin/nova-compute --config-file "$N/etc/nova.conf" --config-file "$N/etc/nova-$h.conf"
	done
	local i
	for i in $(seq 1 240); do
		[ "$(grep -l 'Compute node record created\|Final resource view' "$N"/log/nova-compute-hv*.log 2>/dev/null | wc -l)" = 2 ] && break
		sleep 0.5
	done
	[ "$i" -lt 240 ] || die "the nova-computes did not report their resources; see $N/log/nova-compute-hv*.log"
	nova-manage --config-file "$N/etc/nova.conf" cell_v2 discover_hosts --verbose >>"$N/log/discover.log" 2>&1
	timing nova-up "$(since "$t0")"
}

# stop_ours PATTERN: TERM, then KILL, every process inside the rig's network
# namespaces whose command line matches PATTERN (all of them were started by this rig).
stop_ours() {
	local pat=$1 h p round
	for round in TERM KILL; do
		for h in "${HOSTS[@]}"; do
			for p in $(ip netns pids "$(ns "$h")" 2>/dev/null); do
				grep -qE "$pat" "/proc/$p/cmdline" 2>/dev/null && kill -"$round" "$p" 2>/dev/null || true
			done
		done
		if [ $round = TERM ]; then sleep 2; fi
	done
}

# computes_alive: both nova-computes still run (exit 1 naming the dead ones)
cmd_computes_alive() {
	local h dead=""
	for h in "${HOSTS[@]}"; do alive "$(cat "$N/pids/nova-compute-$h.pid" 2>/dev/null)" || dead+=" $h"; done
	[ -z "$dead" ] || { log "nova-compute died on$dead; see $N/log/nova-compute-*.log"; return 1; }
}

cmd_nova_down() {
	[ -d "$N" ] || return 0
	local h d pf
	for h in "${HOSTS[@]}"; do
		[ -S "$(sock "$h")" ] || continue
		for d in $(vsh "$h" list --all --name 2>/dev/null | grep '^instance-' || true); do
			vsh "$h" destroy "$d" >/dev/null 2>&1 || true; vsh "$h" undefine "$d" >/dev/null 2>&1 || true
		done
	done
	for pf in "$N"/pids/*.pid; do
		[ -f "$pf" ] && kill -TERM -- "-$(cat "$pf")" 2>/dev/null || true
	done
	stop_ours 'nova-|placement-api|glance-api|neutron-fake|beam.smp|epmd|rabbitmq|erl_child_setup|inet_gethost'
	for h in "${HOSTS[@]}"; do
		[ -f "$RIG/$h/run/libvirtd.pid" ] && alive "$(lvpid "$h")" && nsenter -t "$(lvpid "$h")" -m umount "$N/instances" 2>/dev/null || true
	done
	rm -rf "$N"
	log "nova down"
}

cmd_down() {
	local h d pf p
	cmd_nova_down || true
	for h in "${HOSTS[@]}"; do
		[ -d "$RIG/$h" ] || continue
		if [ -S "$(sock "$h")" ]; then
			for d in $(vsh "$h" list --name 2>/dev/null); do vsh "$h" destroy "$d" >/dev/null 2>&1 || true; done
			for d in $(vsh "$h" list --all --name 2>/dev/null); do vsh "$h" undefine "$d" >/dev/null 2>&1 || true; done
		fi
		for pf in "$RIG/$h"/run/qemu/*.pid "$RIG/$h/run/libvirtd.pid" "$RIG/$h/run/virtlogd.pid"; do
			[ -f "$pf" ] || continue
			p=$(cat "$pf")
			grep -qE 'qemu-system|libvirtd|virtlogd' "/proc/$p/cmdline" 2>/dev/null && kill -TERM "$p" 2>/dev/null || true
		done
	done
	sleep 1
	stop_ours '.' # whatever is still inside our own namespaces was started by this rig
	for h in "${HOSTS[@]}"; do ip netns del "$(ns "$h")" 2>/dev/null || true; done
	# keep the built guest: it does not depend on the rig
	find "$RIG" -mindepth 1 -maxdepth 1 ! -name guest ! -name times ! -name work -exec rm -rf {} + 2>/dev/null || true
	log "down"
}

cmd_inventory() {
	cat <<INV
# Written by tests/rig/two-hosts.sh inventory: hv1 and hv2 are libvirt hosts in
# namespaces of this machine. Ansible reaches each through its libvirt socket
# and reads each host's /var/log/libvirt where it is bind-mounted from.
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  children:
    hypervisors:
      vars:
        cpu_flags_validate_guest_kernel: "$GUEST/vmlinuz"
        cpu_flags_validate_guest_initrd: "$GUEST/initramfs.cpio.gz"
        cpu_flags_validate_work_dir: "$RIG/work"
      hosts:
INV
	local h
	for h in "${HOSTS[@]}"; do
		cat <<INV
        $h:
          cpu_flags_validate_libvirt_uri: "$(uri "$h")"
          cpu_flags_validate_migrate_uri: "qemu+tcp://$(ip_of "$h")/system"
          cpu_flags_validate_migrate_data_uri: "tcp://$(ip_of "$h")"
          cpu_flags_validate_libvirt_log_dir: "$RIG/$h/log"
INV
	done
}

case "${1:-}" in
install) cmd_install ;;
guest) cmd_guest ;;
up) cmd_up ;;
nova-up) cmd_nova_up ;;
nova-down) cmd_nova_down ;;
computes-alive) cmd_computes_alive ;;
down) cmd_down ;;
inventory) cmd_inventory ;;
*) echo "usage: $0 {install|guest|up|nova-up|nova-down|down|inventory}" >&2; exit 2 ;;
esac
