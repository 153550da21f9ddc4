#!/usr/bin/env bash
# The seed's manual flow in plain bash, the baseline of bench_pipeline: nxc build, nxc start -m,
# then the same OAR checks as the smoke tests, one after the other, from the frontend over ssh.
#   bench/baseline.sh COMPOSITION_DIR MACHINE_FILE [nxc start args...]
# Environment: NXC (the nxc command), KEY (private key of the nodes), SMOKE_USER, JOB_TYPES (-t args).
set -euo pipefail
comp=$1 machines=$2
shift 2
nxc=${NXC:-nxc}
ssh_opts=(-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -i "$KEY")
cd "$comp"
"$nxc" build -f g5k-nfs-store >/dev/null 2>&1
"$nxc" start -f g5k-nfs-store -m "$machines" -i "$KEY.pub" "$@" >/dev/null 2>&1
# the frontend's address, and the OAR names (machines) of the compute nodes
read -r frontend addresses < <(python3 - deploy/composition::g5k-nfs-store.json "$machines" <<'PY'
import json, socket, sys
deployment = json.load(open(sys.argv[1]))["deployment"]
machine_of = {socket.gethostbyname(m): m for m in open(sys.argv[2]).read().split()}
front = next(ip for ip, e in deployment.items() if e["role"] == "frontend")
print(front, ",".join(machine_of[ip] for ip, e in deployment.items() if e["role"] == "node"))
PY
)
# shellcheck disable=SC2029  # expanded here on purpose: each argument quoted with printf %q
on_frontend() { ssh "${ssh_opts[@]}" "root@$frontend" "$(printf '%q ' "$@")"; }  # each argument quoted
as_user() { on_frontend su - "$SMOKE_USER" -c "$(printf '%q ' "$@")"; }
n=$(tr ',' '\n' <<<"$addresses" | wc -l)
prop="network_address in ('${addresses//,/\',\'}')"
wait_job() {  # job id, states to reach
  for _ in $(seq 60); do
    state=$(on_frontend oarstat -s -j "$1" | awk -F': ' '{print $2}')
    [[ " $2 " == *" $state "* ]] && return 0
    sleep 2
  done
  echo "job $1 stuck in $state" >&2; return 1
}
job_of() { sed -n 's/^OAR_JOB_ID=//p'; }
# the nodes: OAR's sshd answers, resources Alive
for a in ${addresses//,/ }; do on_frontend timeout 10 bash -c "</dev/tcp/$a/6667"; done
read -ra job_types <<< "${JOB_TYPES:-}"  # its words, never globbed
on_frontend oarnodes -s >/dev/null
# a batch job over every node, a failing job, oardel, an advance reservation
# shellcheck disable=SC2016  # the job's script, expanded on the node that runs it
j=$(as_user oarsub "${job_types[@]}" -l "nodes=$n,walltime=0:05:00" -p "$prop" 'for h in $(uniq "$OAR_NODEFILE"); do oarsh "$h" hostname; done' | job_of)
wait_job "$j" "Terminated Error"
j=$(as_user oarsub "${job_types[@]}" -l "nodes=1,walltime=0:05:00" -p "$prop" 'exit 3' | job_of)
wait_job "$j" "Terminated Error"
j=$(as_user oarsub "${job_types[@]}" -l "nodes=1,walltime=0:05:00" -p "$prop" 'sleep 300' | job_of)
wait_job "$j" "Running"
as_user oardel "$j" >/dev/null
wait_job "$j" "Terminated Error"
j=$(as_user oarsub "${job_types[@]}" -r "$(date -d '+1 min' '+%F %T')" -l "nodes=1,walltime=0:02:00" -p "$prop" 'sleep 1' | job_of)
wait_job "$j" "Waiting Running"
as_user oardel "$j" >/dev/null
