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
.venv/bin/ansible-playbook -i examples/demo/inventory.yml playbooks/gather.yml \
  -e cpu_flags_gather_output_dir="$OUT/facts"
echo
echo "demo: per-host facts in $OUT/facts/"
