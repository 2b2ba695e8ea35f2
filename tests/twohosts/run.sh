#!/bin/bash
# make test-two-hosts: steps 9 and 10 for real on two libvirt hosts of this
# machine (tests/rig/two-hosts.sh), through the validate role:
#   1. rig up (hv1, hv2 without KVM), the test guest built
#   2. virsh: boot the guest on hv1 with the rolled-out CPU definition, its
#      flags from inside vs the plan, live-migrate hv1 -> hv2 -> hv1, the counter
#      going on on every destination
#   3. a refused migration: a KVM guest (pcid given by KVM) to hv2, which has no
#      KVM and whose TCG cannot give pcid, in libvirt's words
#   4. Nova: two nova-computes, a server with no network, os-migrateLive
#      hv1 -> hv2 -> hv1 through the role's openstack method
# Prints one summary line and leaves the logs in tests/output/two-hosts.
# Run as root under flock /tmp/cpuflags-twohosts.lock.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/tests/output/two-hosts
RIG=${CPUFLAGS_TWOHOSTS_DIR:-/tmp/twohosts}
RIGSH="bash $ROOT/tests/rig/two-hosts.sh"
export ANSIBLE_COLLECTIONS_PATH=$ROOT/.ansible/collections ANSIBLE_ROLES_PATH=$ROOT/roles ANSIBLE_NOCOLOR=1 \
	ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
PLAY=$ROOT/.venv/bin/ansible-playbook
rm -rf "$OUT"; mkdir -p "$OUT"
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }
step() { echo "=== $* ($(date +%T))"; }
migrated=no guest_flags=differ refused=silent nova=no
trap '$RIGSH down >>"$OUT/rig.log" 2>&1' EXIT
T0=$(now)

step "rig: packages, test guest, hv1 + hv2"
rm -f "$RIG/times"
$RIGSH install >>"$OUT/rig.log" 2>&1 || { tail -20 "$OUT/rig.log"; exit 1; }
$RIGSH guest >>"$OUT/rig.log" 2>&1 && NO_KVM=hv2 $RIGSH up >>"$OUT/rig.log" 2>&1 || { tail -20 "$OUT/rig.log"; exit 1; }
grep -E 'hv[12]:|tcp from' "$OUT/rig.log"
$RIGSH inventory >"$OUT/inventory.yml"

step "virsh: boot the guest on hv1 with the rolled-out CPU, compare its flags, migrate hv1 -> hv2 -> hv1"
t=$(now)
"$PLAY" -i "$OUT/inventory.yml" -e cpu_flags_groups=hypervisors tests/twohosts/test_virsh.yml -e @tests/twohosts/vars-virsh.yml -e out="$OUT" >"$OUT/virsh.log" 2>&1
rc=$?
echo "validate (virsh): rc=$rc, $(since "$t") s"
if [ -s "$OUT/virsh-result.json" ]; then
	python3 - "$OUT/virsh-result.json" "$RIG/times" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for c in r["flag_checks"]:
    print(f"guest flags on {c['on']} {c['when']}: {' '.join(c['linux_flags'])}")
    print(f"  missing: {' '.join(c['missing']) or 'none'}; extra: {' '.join(c['extra']) or 'none'}")
print(f"guest boot (virsh create to its CPU flags on the console): {r['boot_seconds']} s")
with open(sys.argv[2], "a") as t:
    t.write(f"guest-boot-to-flags {r['boot_seconds']}\n")
    for h in r["hops"]:
        t.write(f"virsh-migrate-{h['source']}-{h['destination']} {h['seconds'].split(':')[-1]}\n")
for h in r["hops"]:
    print(f"hop {h['source']} -> {h['destination']}: rc {h['rc']} in {h['seconds']}; counter {h.get('last_tick_on_source')} on the source, "
          f"{h.get('first_tick_on_destination')}..{h.get('last_tick_on_destination')} on the destination")
PY
	read -r migrated guest_flags < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("yes" if r["migrated"] and all(h["rc"]==0 for h in r["hops"]) and len(r["hops"])==2 else "no", r["guest_flags"])' "$OUT/virsh-result.json")
fi
[ $rc -eq 0 ] || { migrated=no; grep -E 'fatal|FAILED' "$OUT/virsh.log" | head -5; }

step "refused: a KVM guest (kvm64+pcid) from hv1 to hv2 (no KVM; TCG cannot give pcid)"
t=$(now)
"$PLAY" -i "$OUT/inventory.yml" -e cpu_flags_groups=hypervisors playbooks/validate.yml -e @tests/twohosts/vars-refusal.yml >"$OUT/refusal.log" 2>&1
rc=$?
said=$(grep -o 'libvirt refused the live migration[^"]*' "$OUT/refusal.log" | head -1)
echo "validate (refusal): rc=$rc, $(since "$t") s: ${said:-no refusal reported}"
printf "<cpu mode='custom' match='exact'><model fallback='forbid'>kvm64</model><feature policy='require' name='pcid'/></cpu>\n" >"$OUT/kvm64-pcid.xml"
hv2_said=$(virsh -c "qemu+unix:///system?socket=$RIG/hv2/run/libvirt-sock" hypervisor-cpu-compare --virttype qemu --error "$OUT/kvm64-pcid.xml" 2>&1 | grep -v '^$' | tail -1 | sed 's/^error: //')
echo "hv2's libvirt on that CPU under TCG (what its incoming side checks for a qemu guest): $hv2_said"
if [ $rc -ne 0 ] && [[ $said == *"error: "* ]] && [[ $hv2_said == *"pcid"* ]]; then refused=named; fi

if [ -x tests/twohosts/nova.sh ]; then
	step "Nova: two nova-computes, a server with no network, os-migrateLive hv1 -> hv2 -> hv1"
	if bash tests/twohosts/nova.sh "$OUT"; then nova=yes; fi
fi

step "rig down"
# keep the services' logs (nova, glance, placement, rabbit, libvirt) with the run's
for d in "$RIG/nova/log" "$RIG/hv1/log" "$RIG/hv2/log"; do
	[ -d "$d" ] && { mkdir -p "$OUT/logs/$(basename "$(dirname "$d")")"; cp -a "$d/." "$OUT/logs/$(basename "$(dirname "$d")")/"; }
done
$RIGSH down >>"$OUT/rig.log" 2>&1
trap - EXIT
[ -f "$RIG/times" ] && { echo "times (s):"; sed 's/^/  /' "$RIG/times"; }
echo "two-hosts total: $(since "$T0") s"
line="two-hosts: migrated=$migrated guest_flags=$guest_flags refused=$refused nova_live_migration=$nova"
echo "$line" | tee "$OUT/summary.txt"
[ $migrated = yes ] && [ $guest_flags = match ] && [ $refused = named ] && { [ ! -x tests/twohosts/nova.sh ] || [ $nova = yes ]; }
