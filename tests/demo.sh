#!/usr/bin/env bash
# The README's first command (make demo): the main job on the embedded demo
# inventory, six hypervisors whose CPUs were captured from real servers (Intel
# Broadwell, Cascade Lake, Sapphire Rapids; AMD Rome, Milan, Genoa). Nothing
# on this machine is changed or restarted; the reports go to demo-output/.
#
# The output shows what a person needs and nothing twice: one line per host,
# one summary with the model, the warnings and the [libvirt] snippet as text
# that can be pasted, and the nova.conf change each host would get, printed
# once for all hosts that get the same one. The "ok:" and "skipping:" lines of
# every task are hidden (ANSIBLE_DISPLAY_OK_HOSTS/SKIPPED_HOSTS=false); run the
# playbooks without those settings to see them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup-host.sh >/dev/null
export ANSIBLE_COLLECTIONS_PATH=$PWD/.ansible/collections
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
export ANSIBLE_DISPLAY_OK_HOSTS=false ANSIBLE_DISPLAY_SKIPPED_HOSTS=false
OUT=${CPUFLAGS_DEMO_OUT:-demo-output}
rm -rf "$OUT"
INV=examples/demo/inventory.yml
GROUPS_=source,target,gen3
echo "demo 1/2: gather the six hypervisors' CPUs and compute what they can share (playbooks/baseline.yml)"
.venv/bin/ansible-playbook -i "$INV" playbooks/baseline.yml -e cpu_flags_groups=$GROUPS_ \
  -e cpu_flags_baseline_output_dir="$OUT/report"
echo "demo 2/2: the nova.conf change each hypervisor would get, from the reviewed plan.json, in check mode (playbooks/rollout.yml)"
.venv/bin/ansible-playbook -i "$INV" playbooks/rollout.yml --check --diff -e cpu_flags_groups=$GROUPS_ \
  -e @examples/demo/rollout-check.yml -e cpu_flags_rollout_plan="$OUT/report/plan.json"
