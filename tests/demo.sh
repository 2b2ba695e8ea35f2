#!/usr/bin/env bash
# The README's first command (make demo): the main job on the embedded demo
# inventory, six real CPUs captured from servers plus this machine read live.
# Nothing is changed on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup-host.sh >/dev/null
bash tests/libvirt-up.sh >/dev/null 2>&1 || echo "demo: libvirt is not running here; this machine is read from /proc/cpuinfo only"
export ANSIBLE_COLLECTIONS_PATH=$PWD/.ansible/collections
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
OUT=${CPUFLAGS_DEMO_OUT:-$PWD/demo-output}
mkdir -p "$OUT"
INV=examples/demo/inventory.yml
# 1. Every hypervisor's CPU facts (the six captures and this machine, live).
.venv/bin/ansible-playbook -i "$INV" playbooks/gather.yml -e cpu_flags_groups=hypervisors -e cpu_flags_gather_output_dir="$OUT/facts"
# 2. What the six real hypervisors (Intel Broadwell, Cascade Lake, Sapphire
#    Rapids; AMD Rome, Milan, Genoa) can share, with the reports.
.venv/bin/ansible-playbook -i "$INV" playbooks/baseline.yml \
  -e cpu_flags_groups=source,target,gen3 \
  -e cpu_flags_baseline_output_dir="$OUT/report"
# 3. The nova.conf change each hypervisor would get, in check mode (nothing
#    is written or restarted): the rollout of the reviewed report.json.
.venv/bin/ansible-playbook -i "$INV" playbooks/rollout.yml --check --diff \
  -e cpu_flags_groups=source,target,gen3 -e @examples/demo/rollout-check.yml \
  -e cpu_flags_rollout_report="$OUT/report/report.json"
echo
echo "demo: per-host facts:  $OUT/facts/"
echo "demo: nova.conf:       $OUT/report/nova.conf.snippet"
echo "demo: report:          $OUT/report/report.html"
