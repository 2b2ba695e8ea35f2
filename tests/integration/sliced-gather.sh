#!/usr/bin/env bash
# A gather in three slices (AWX job slices, or three --limit runs) combined
# into one baseline through Ansible's fact cache equals the unsliced baseline:
#   tests/integration/sliced-gather.sh ANSIBLE_PLAYBOOK OUTDIR jsonfile|redis
# The inventory is the demo's (six captured CPUs in groups source, target,
# gen3). The redis case starts a redis-server on 127.0.0.1 for the test and
# stops it; it needs Debian's redis-server and the community.general
# collection (Debian package ansible) with python3-redis.
set -euo pipefail
cd "$(dirname "$0")/../.."
PLAYBOOK=$1 OUT=$2 KIND=$3
INV=examples/demo/inventory.yml
GROUPS_ARG=(-e cpu_flags_groups=source,target,gen3)
rm -rf "$OUT"; mkdir -p "$OUT"

case $KIND in
  jsonfile)
    export ANSIBLE_CACHE_PLUGIN=ansible.builtin.jsonfile ANSIBLE_CACHE_PLUGIN_CONNECTION=$OUT/factcache ;;
  redis)
    port=$(( 20000 + RANDOM % 20000 ))
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize yes \
      --pidfile "$OUT/redis.pid" --logfile "$OUT/redis.log" --dir "$OUT"
    trap 'redis-cli -h 127.0.0.1 -p '"$port"' shutdown nosave >/dev/null 2>&1 || kill "$(cat "'"$OUT"'/redis.pid")" 2>/dev/null || true' EXIT
    for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    export ANSIBLE_CACHE_PLUGIN=community.general.redis ANSIBLE_CACHE_PLUGIN_CONNECTION=127.0.0.1:$port:0 ;;
  *) echo "usage: $0 ANSIBLE_PLAYBOOK OUTDIR jsonfile|redis" >&2; exit 2 ;;
esac
export ANSIBLE_CACHE_PLUGIN_TIMEOUT=3600

# The unsliced baseline: one run gathers and computes (no fact cache).
env -u ANSIBLE_CACHE_PLUGIN -u ANSIBLE_CACHE_PLUGIN_CONNECTION \
  "$PLAYBOOK" -i "$INV" playbooks/baseline.yml "${GROUPS_ARG[@]}" -e cpu_flags_baseline_output_dir="$OUT/unsliced" > "$OUT/unsliced.log"

# Three slices gather into the fact cache, each seeing only its hosts.
"$PLAYBOOK" -i "$INV" playbooks/gather.yml "${GROUPS_ARG[@]}" --limit 'bdw-01,clx-01' > "$OUT/slice1.log"
"$PLAYBOOK" -i "$INV" playbooks/gather.yml "${GROUPS_ARG[@]}" --limit 'rome-01,milan-01' > "$OUT/slice2.log"
"$PLAYBOOK" -i "$INV" playbooks/gather.yml "${GROUPS_ARG[@]}" --limit 'genoa-01,spr-01' > "$OUT/slice3.log"

# The combined baseline reads every host's facts from the cache and gathers
# nothing.
"$PLAYBOOK" -i "$INV" playbooks/baseline.yml "${GROUPS_ARG[@]}" -e cpu_flags_baseline_output_dir="$OUT/sliced" > "$OUT/combined.log"
# Every gather task of the combined run skips every host.
if awk '/^TASK \[/{f=/Gather|captured|live host/; next} f && /^(ok|changed): /{bad=1} END{exit !bad}' "$OUT/combined.log"; then
  echo "the combined baseline gathered again instead of reading the fact cache: see $OUT/combined.log" >&2; exit 1
fi
grep -q '^skipping: \[spr-01\]' "$OUT/combined.log" || { echo "the combined baseline did not skip the gather: see $OUT/combined.log" >&2; exit 1; }

for f in report.json nova.conf.snippet extra-flags.libvirt.list source.flags-lscpu.sorted target.flags-lscpu.sorted final-common.flags.list; do
  cmp "$OUT/unsliced/$f" "$OUT/sliced/$f" || { echo "sliced $f differs from the unsliced one" >&2; diff "$OUT/unsliced/$f" "$OUT/sliced/$f" | head -20 >&2; exit 1; }
done
echo "sliced ($KIND) baseline equals the unsliced one: $(grep -m1 'cpu_models' "$OUT/sliced/nova.conf.snippet")"
