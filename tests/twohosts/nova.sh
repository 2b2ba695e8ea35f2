#!/bin/bash
# The Nova part of make test-two-hosts (called by run.sh with the rig up):
# Nova Zed over hv1 and hv2 (tests/rig/two-hosts.sh nova-up), the test guest
# as glance images, a server with no network on hv1, then the validate role's
# openstack method live-migrates it hv1 -> hv2 -> hv1 through the Compute API.
# The rig has no keystone: nova-api trusts identity headers (see
# two-hosts.sh), which the openstack CLI cannot send, so the role makes the
# same calls with ansible.builtin.uri (cpu_flags_validate_compute_url).
set -uo pipefail
OUT=${1:?usage: nova.sh OUTDIR}
cd "$(dirname "$0")/../.."
ROOT=$PWD
RIG=${CPUFLAGS_TWOHOSTS_DIR:-/tmp/twohosts}
N=$RIG/nova C=10.250.0.1 MV=2.74
NS=cpuflags-hv1
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }
HDRS=(-H 'X-Auth-Token: admin:admin' -H 'X-User-Id: admin' -H 'X-Project-Id: admin'
	-H 'X-Roles: admin,member,reader' -H 'X-Identity-Status: Confirmed')
nova() { # METHOD PATH [JSON]
	ip netns exec $NS curl -sS -X "$1" "${HDRS[@]}" -H "X-OpenStack-Nova-API-Version: $MV" \
		-H 'Content-Type: application/json' ${3:+-d "$3"} "http://$C:8774/v2.1$2"
}
glance() { # METHOD PATH [DATA] [CONTENT-TYPE]
	ip netns exec $NS curl -sS -X "$1" -H 'X-Auth-Token: admin:admin' -H "Content-Type: ${4:-application/json}" \
		${3:+--data-binary "$3"} "http://$C:9292$2"
}
jget() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

t=$(now)
NOVA_CPU_MODEL=Westmere NOVA_CPU_FLAGS=pclmuldq bash tests/rig/two-hosts.sh nova-up >>"$OUT/nova-up.log" 2>&1 ||
	{ tail -20 "$OUT/nova-up.log"; exit 1; }
echo "nova up in $(since "$t") s: $(grep -E 'nova-db-sync|nova-up' "$OUT/nova-up.log" | tr '\n' ' ')"
grep -E '^\[libvirt\]' -A5 "$N/etc/nova.conf" | grep cpu_ | tr '\n' ' '; echo

# Images: every one raw (this Nova's image-format inspection refuses ami/aki/ari
# content that qemu-img calls raw, at boot or in pre_live_migration).
image() { # name file [extra properties json]
	local id
	id=$(glance POST /v2/images "{\"name\":\"$1\",\"disk_format\":\"raw\",\"container_format\":\"bare\"${3:+,$3}}" | jget "d['id']") || return 1
	glance PUT "/v2/images/$id/file" "@$2" application/octet-stream >/dev/null && echo "$id"
}
t=$(now)
KID=$(image cpuflags-kernel "$RIG/guest/vmlinuz") && RID=$(image cpuflags-initramfs "$RIG/guest/initramfs.cpio.gz") &&
	truncate -s 1M "$N/disk.img" &&
	IID=$(image cpuflags-guest "$N/disk.img" "\"kernel_id\":\"$KID\",\"ramdisk_id\":\"$RID\",\"os_command_line\":\"console=ttyS0 panic=-1\"") ||
	{ echo "glance: images not created"; exit 1; }
nova POST /flavors '{"flavor":{"name":"cpuflags-tiny","ram":256,"vcpus":1,"disk":1,"id":"cpuflags-tiny"}}' >/dev/null
echo "images and flavor: $(since "$t") s"

t=$(now)
SID=$(nova POST /servers "{\"server\":{\"name\":\"cpuflags-test\",\"imageRef\":\"$IID\",\"flavorRef\":\"cpuflags-tiny\",\"networks\":\"none\",\"availability_zone\":\"nova:hv1\"}}" |
	tee "$OUT/server-create.json" | jget "d['server']['id']") || { cat "$OUT/server-create.json"; exit 1; }
for _ in $(seq 1 360); do
	st=$(nova GET "/servers/$SID" | jget "d['server']['status']")
	[ "$st" = ACTIVE ] || [ "$st" = ERROR ] && break
	sleep 0.5
done
host=$(nova GET "/servers/$SID" | jget "d['server']['OS-EXT-SRV-ATTR:host']")
echo "server $SID: $st on $host after $(since "$t") s"
echo "nova-server-active $(since "$t")" >>"$RIG/times"
[ "$st" = ACTIVE ] || { nova GET "/servers/$SID" | jget "d['server'].get('fault')"; exit 1; }
echo "libvirt CPU of the instance Nova defined on $host:"
virsh -c "qemu+unix:///system?socket=$RIG/$host/run/libvirt-sock" dumpxml "$(nova GET "/servers/$SID" | jget "d['server']['OS-EXT-SRV-ATTR:instance_name']")" |
	sed -n '/<cpu/,/<\/cpu>/p' | tee "$OUT/nova-instance-cpu.xml"

bash tests/rig/two-hosts.sh computes-alive || exit 1
t=$(now)
ip netns exec $NS env PATH="$PATH" "$ROOT/.venv/bin/ansible-playbook" -i "$OUT/inventory.yml" -e cpu_flags_groups=hypervisors tests/twohosts/test_openstack.yml \
	-e @tests/twohosts/vars-openstack.yml -e cpu_flags_validate_server="$SID" -e out="$OUT" \
	-e cpu_flags_validate_compute_url="http://$C:8774/v2.1" >"$OUT/openstack.log" 2>&1
rc=$?
echo "validate (openstack): rc=$rc, $(since "$t") s"
echo "neutron fake saw: $(cut -d' ' -f2,3 "$N/log/neutron-fake.requests" | sed 's/?.*//' | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
echo "migrations Nova recorded: $(nova GET "/os-migrations?instance_uuid=$SID" | jget "[(m['migration_type'], m['status'], m['source_compute'], m['dest_compute']) for m in sorted(d['migrations'], key=lambda m: m['id'])]")"
[ $rc -eq 0 ] || { grep -E 'fatal|FAILED!' -A3 "$OUT/openstack.log" | head -10; bash tests/rig/two-hosts.sh computes-alive; exit 1; }
python3 - "$OUT/openstack-result.json" "$RIG/times" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
with open(sys.argv[2], "a") as t:
    for i, h in enumerate(r["hops"]):
        print(f"nova hop {h['source']} -> {h['destination']}: {h['migration']}, {h['status']} on {h['host_after']} after {h['seconds']} s; "
              f"counter {h.get('last_tick_on_source')} before, {h.get('last_tick_on_destination')} on the destination")
        t.write(f"nova-live-migration-{h['source']}-{h['destination']} {h['seconds']}\n")
for c in r["flag_checks"]:
    print(f"guest flags (console) on {c['on']} {c['when']}: missing {' '.join(c['missing']) or 'none'}")
ok = len(r["hops"]) == 2 and all(h["migration"] == "completed" and h["status"] == "ACTIVE" and h["host_after"] == h["destination"] for h in r["hops"])
sys.exit(0 if ok and r["guest_flags"] == "match" else 1)
PY
