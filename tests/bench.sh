#!/usr/bin/env bash
# make bench: sizes and run times of the built binaries, and the Go
# benchmarks. Prints Markdown for docs/BENCHMARKS.md. Timings are measured
# here, never asserted in tests.
set -euo pipefail
cd "$(dirname "$0")/.."
SAMPLES=${CPUFLAGS_REF:-$(cd .. && pwd)/shared/ref}/samples
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

echo "## Binary sizes (stripped, CGO off, -trimpath)"
echo
echo "| binary | bytes | MiB |"
echo "|---|---:|---:|"
for f in plugins/bin/* bin/cpuflags; do
  [[ $f == *.sha256 ]] && continue
  b=$(stat -c %s "$f"); printf '| %s | %d | %.1f |\n' "$f" "$b" "$(echo "$b/1048576" | bc -l)"
done
if ls collection/dist/*.tar.gz >/dev/null 2>&1; then
  a=$(ls -t collection/dist/*.tar.gz | head -1); b=$(stat -c %s "$a")
  printf '| %s (collection artifact) | %d | %.1f |\n' "$a" "$b" "$(echo "$b/1048576" | bc -l)"
fi

# ms per run of CMD over N runs (wall clock)
time_ms() { local n=$1; shift; local s e; s=$(date +%s%N); for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 || true; done; e=$(date +%s%N); echo $(( (e - s) / n / 1000000 )); }

echo
echo "## Module run time (wall clock, mean of 20 runs, this machine)"
echo
echo "| module run | ms |"
echo "|---|---:|"
printf '{"src": "%s", "libvirt": "never"}' "$SAMPLES/intel-xeon-platinum-8480plus-sapphirerapids.cpuinfo" > "$tmp/file.json"
printf '{"libvirt": "never"}' > "$tmp/live.json"
printf '{"libvirt": "always"}' > "$tmp/libvirt.json"
echo "| cpu_flags_facts, captured cpuinfo (Sapphire Rapids) | $(time_ms 20 plugins/bin/cpu_flags_facts_linux_amd64 "$tmp/file.json") |"
echo "| cpu_flags_facts, live /proc/cpuinfo, no libvirt | $(time_ms 20 plugins/bin/cpu_flags_facts_linux_amd64 "$tmp/live.json") |"
if virsh -c qemu:///system version >/dev/null 2>&1; then
  echo "| cpu_flags_facts, live, asking libvirt (virsh version, domcapabilities, hypervisor-cpu-baseline) | $(time_ms 5 plugins/bin/cpu_flags_facts_linux_amd64 "$tmp/libvirt.json") |"
fi

echo
echo "## cpuflags common over a realistic fleet"
echo
echo "A fleet of facts JSON files as the gather role writes them (internal/fleetsynth via"
echo "tests/fleetgen, fixed seed): Broadwell, Cascade Lake, Ice Lake and Sapphire Rapids Xeons and"
echo "Milan and Genoa EPYCs from the real samples, 2% of hosts on another microcode revision"
echo "(TSX off, no MD_CLEAR yet, AMD speculation bits not yet enumerated). One"
echo "\`bin/cpuflags common\` run over the whole CLI path: read and decode every file, compute,"
echo "render and write the JSON result. Wall time and peak RSS from /usr/bin/time."
echo
echo '```'
for n in ${BENCH_HOSTS:-1000 10000 100000}; do
  fleet="$tmp/fleet$n"
  go run ./tests/fleetgen -hosts "$n" -out "$fleet"
  if /usr/bin/time -f '%e %M' -o "$tmp/time$n" bin/cpuflags common "$fleet" > "$tmp/out$n.json" 2> "$tmp/err$n"; then
    read -r secs kb < "$tmp/time$n"
    printf 'hosts=%d wall_s=%s rss_mib=%.0f\n' "$n" "$secs" "$(echo "$kb/1024" | bc -l)"
  else
    printf 'hosts=%d error="%s"\n' "$n" "$(tail -1 "$tmp/err$n" | sed 's/.*: //')"
  fi
  rm -rf "$fleet"
done
echo '```'

if virsh -c qemu:///system version >/dev/null 2>&1; then
  echo
  echo "## Gather, 20 hosts, libvirt asked, against the brief's shell pipeline"
  echo
  echo "tests/bench/gather-inventory.ini: 20 inventory hosts on this machine (local connection);"
  echo "A = tests/bench/gather-cpu-flags.yml (cpu_flags_facts, libvirt: always),"
  echo "B = tests/bench/gather-brief-shell.yml (lscpu | grep | awk | sed | sort via ansible.builtin.shell)."
  echo "Runs alternate A B A B; wall seconds of each ansible-playbook run, medians and the ratio."
  echo
  gather_run() { local s e; s=$(date +%s%N); "$PY"/ansible-playbook -i tests/bench/gather-inventory.ini "$1" >/dev/null 2>&1 || echo "FAILED: $1" >&2; e=$(date +%s%N); echo "scale=3; ($e - $s)/1000000000" | bc; }
  PY=${VENV:-.venv}/bin
  gather_run tests/bench/gather-cpu-flags.yml >/dev/null   # warm-up (copies the binary once)
  gather_run tests/bench/gather-brief-shell.yml >/dev/null
  : > "$tmp/ga"; : > "$tmp/gb"
  for _ in 1 2 3 4 5; do
    gather_run tests/bench/gather-cpu-flags.yml >> "$tmp/ga"
    gather_run tests/bench/gather-brief-shell.yml >> "$tmp/gb"
  done
  ma=$(sort -n "$tmp/ga" | sed -n 3p); mb=$(sort -n "$tmp/gb" | sed -n 3p)
  echo '```'
  echo "gather hosts=20 cpu_flags_wall_s=$ma shell_wall_s=$mb ratio=$(echo "scale=3; $ma/$mb" | bc)"
  echo '```'
fi

echo
echo "## Go benchmarks"
echo
echo '```'
CPUFLAGS_BENCH_HOSTS=${BENCH_GO_HOSTS:-1000,10000} go test -run='^$' -bench=. -benchmem -benchtime=${BENCHTIME:-1x} ./internal/... ./cmd/... 2>&1 | grep -E '^(Benchmark|ok|goos|cpu)' || true
echo '```'
