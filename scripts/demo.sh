#!/usr/bin/env bash
# The demo: bring up the local OAR testbed, reserve 3 of its 4 nodes as a Grid'5000 user
# would, show the inventory that oar_nxc makes from the real $OAR_NODEFILE, ping the nodes
# through it, and release the job. Needs root. (The full nix/nxc/OAR pipeline joins later.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-dev.sh
tests/testbed/testbed.sh up
step() { printf '\n=== %s\n' "$*"; }
step "oarsub -l nodes=3 (as the normal user oartest)"
res=$(.venv/bin/python tests/testbed/oar_testbed.py reserve 3 --walltime 0:15:00)
echo "$res"
job=$(printf '%s' "$res" | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
nodefile=$(printf '%s' "$res" | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["nodefile"])')
trap '.venv/bin/python tests/testbed/oar_testbed.py release "$job" >/dev/null || true' EXIT
step "the real \$OAR_NODEFILE ($nodefile)"
cat "$nodefile"
step "ansible-inventory -i $nodefile --graph --vars"
.venv/bin/ansible-inventory -i "$nodefile" --graph --vars
step "ansible all -i $nodefile -m ping"
eval "$(.venv/bin/python tests/testbed/oar_testbed.py ssh-env)"
.venv/bin/ansible all -i "$nodefile" -m ansible.builtin.ping
step "oardel $job"
.venv/bin/python tests/testbed/oar_testbed.py release "$job"
trap - EXIT
echo "demo: done (tests/testbed/testbed.sh down removes the testbed)"
