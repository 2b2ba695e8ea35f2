#!/usr/bin/env bash
# ansible-test sanity on the collection as Galaxy users get it: the tracked
# files (without the Go sources, which are not in the artifact) copied into an
# ansible_collections/ tree. ansible-test bootstraps pip with get-pip.py from a
# host that is not a package registry; ensurepip stands in for it, and the
# sanity requirements then come from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
work=$(mktemp -d /tmp/cpuflags-sanity.XXXXXX); trap 'rm -rf "$work"' EXIT
dest=$work/ansible_collections/kvm_migration/cpu_flags
mkdir -p "$dest"
git ls-files --cached --others --exclude-standard | grep -v -E '^(internal|cmd|sdk|tests|examples/prober)/|\.go$|^go\.(mod|sum)$' \
  | tar -cf - -T - | tar -xf - -C "$dest"
mkdir -p "$HOME/.ansible/test/cache"
for v in 24.2 25.0 25.1; do
  f="$HOME/.ansible/test/cache/get_pip_${v//./_}.py"
  [ -e "$f" ] || printf 'import ensurepip, sys\nsys.exit(ensurepip._main(["--upgrade", "--default-pip"]))\n' > "$f"
done
cd "$dest"
git init -q && git add -A
py=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
"$ROOT/.venv/bin/ansible-test" sanity --color no --python "$py" --local "$@"
