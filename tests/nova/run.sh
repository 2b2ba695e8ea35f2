#!/bin/bash
# run.sh: the rig suite (needs root and `tests/rig/nova-rig.sh up`).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tests/rig/nova-rig.sh status
CPUFLAGS_RIG=1 go test -count=1 -v -timeout 30m ./tests/nova/ "$@"
