#!/usr/bin/env bash
# The demo, on the local testbed (needs root): bring up a real OAR 2.5 cluster in network
# namespaces (OAR 3 from your checkout with TESTBED_OAR_SRC=<checkout or .tar.gz>), reserve its
# 4 nodes with oarsub as a normal user (as on Grid'5000), run
# `ansible-playbook deploy.yml -i <the job's real $OAR_NODEFILE>` (nix, nxc build, nxc start,
# OAR smoke tests), print the smoke report, release the job.
# Testbed mode (tests/testbed/testbed-vars.yml): only the NixOS image build and the reboot
# into the image are stood in for; nxc, nix, ssh and OAR are real.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-dev.sh
tests/testbed/testbed.sh up
step() { printf '\n=== %s\n' "$*"; }
py=.venv/bin/python

step "oarsub -l nodes=4 (as the normal user oartest)"
res=$($py tests/testbed/oar_testbed.py reserve 4 --walltime 0:30:00)
echo "$res"
job=$(printf '%s' "$res" | $py -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
nodefile=$(printf '%s' "$res" | $py -c 'import json,sys; print(json.load(sys.stdin)["nodefile"])')
trap '$py tests/testbed/oar_testbed.py release "$job" >/dev/null || true' EXIT

step "the real \$OAR_NODEFILE ($nodefile): one line per reserved core"
cat "$nodefile"

# the reports go into the checkout's run directory (git ignores it); the shipped composition itself is built
# from its copy in ~/.local/share/oar-nxc/work (oar_nxc_work_dir), never in the checkout
reports="$PWD/oar-nxc-runs/demo"
step "ansible-playbook deploy.yml -i $nodefile -e @tests/testbed/testbed-vars.yml"
start=$(date +%s)
.venv/bin/ansible-playbook deploy.yml -i "$nodefile" -e @tests/testbed/testbed-vars.yml \
  -e oar_nxc_report_dir="$reports"
echo "deploy.yml: $(( $(date +%s) - start )) s"

report="$reports/report.json"
step "smoke report ($report; junit.xml and report.html, a page with its timeline, beside it)"
$py - "$report" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
print(f"submit host {report['submit_host']} as {report['user']}, nodes {', '.join(report['nodes'])}")
for check in report["checks"]:
    print(f"  {check['status']:<8} {check['name']:<16} {check['seconds']:>5.1f}s  {check['message']}")
s = report["summary"]
print(f"oar-smoke: {s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped")
PY

step "oardel $job"
$py tests/testbed/oar_testbed.py release "$job"
trap - EXIT
echo "demo: done (tests/testbed/testbed.sh down removes the testbed)"
