#!/bin/bash
# run.sh: the rig suite (needs root and `tests/rig/nova-rig.sh up`): the
# module against the real nova-compute (Go tests), then the rollout role and
# playbook with ansible-playbook.
set -uo pipefail
cd "$(dirname "$0")/../.."
bash tests/rig/nova-rig.sh status
CPUFLAGS_RIG=1 go test -count=1 -v -timeout 30m ./tests/nova/ "$@"; rc=$?
bash tests/nova/rollout.sh || rc=1
bash tests/nova/plan.sh || rc=1
bash tests/nova/resume.sh || rc=1
# molecule keeps a scenario's state across runs (in ~/.ansible/tmp, keyed by the
# project's path) and then skips prepare as "already prepared": cleanup would
# restore a nova.conf copied by an earlier run, for an earlier rig (seen on a
# clean clone whose path an earlier run had used). Reset it first.
PATH=$PWD/.venv/bin:$PATH .venv/bin/molecule reset -s nova >/dev/null || rc=1
PATH=$PWD/.venv/bin:$PATH .venv/bin/molecule test -s nova || rc=1
exit $rc
