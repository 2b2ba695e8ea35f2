#!/usr/bin/env bash
# Writes the real output of tests/demo.sh into README.md's demo block (between
# <!-- demo-output --> and <!-- /demo-output -->), the checkout written as
# ~/cpu_flags. tests/integration/run.sh (demo-in-readme) fails when the block
# and a real run differ; run this after a change to what the playbooks print.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp); trap 'rm -f "$out"' EXIT
ANSIBLE_NOCOLOR=1 bash tests/demo.sh >"$out" 2>&1
python3 - "$out" "$PWD" <<'PYEOF'
import re, sys
out = open(sys.argv[1]).read().replace(sys.argv[2], "~/cpu_flags").rstrip("\n")
readme = open("README.md").read()
new, n = re.subn(r"(<!-- demo-output -->\n```\n)(.*?)(\n```\n<!-- /demo-output -->)",
                 lambda m: m.group(1) + out + m.group(3), readme, flags=re.S)
if n != 1:
    sys.exit("README.md has no demo-output block")
open("README.md", "w").write(new)
print("README.md: demo output, %d lines" % (out.count("\n") + 1))
PYEOF
