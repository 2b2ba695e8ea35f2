#!/usr/bin/env bash
# Puts the awx.awx collection (the modules collection/awx/configure.yml uses)
# under .ansible/awx-collections, for the AWX-as-code tests and ansible-lint.
# Ansible Galaxy is not reachable from this project's machines; the
# community `ansible` package on PyPI bundles awx.awx up to its version 12
# (awx.awx 24.6.1 in ansible 12.3.0), so its wheel is downloaded with pip and
# only that collection is unpacked. Idempotent; prints the collection path.
set -euo pipefail
cd "$(dirname "$0")/../.."
ANSIBLE_PKG=ansible==12.3.0
WANT=24.6.1
DEST=$PWD/.ansible/awx-collections
CACHE=$PWD/.ansible/awx-cache
MANIFEST=$DEST/ansible_collections/awx/awx/MANIFEST.json
if [ -f "$MANIFEST" ] && grep -q "\"version\": \"$WANT\"" "$MANIFEST"; then echo "$DEST"; exit 0; fi
mkdir -p "$CACHE"
ls "$CACHE"/ansible-12.3.0-*.whl >/dev/null 2>&1 || .venv/bin/pip download -q --no-deps -d "$CACHE" "$ANSIBLE_PKG" >&2
rm -rf "$DEST.tmp"; mkdir -p "$DEST.tmp"
.venv/bin/python - "$CACHE"/ansible-12.3.0-*.whl "$DEST.tmp" <<'PYEOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith("ansible_collections/awx/awx/")])
PYEOF
grep -q "\"version\": \"$WANT\"" "$DEST.tmp/ansible_collections/awx/awx/MANIFEST.json" || { echo "awx.awx in $ANSIBLE_PKG is not $WANT" >&2; exit 1; }
rm -rf "$DEST"; mv "$DEST.tmp" "$DEST"
echo "$DEST"
