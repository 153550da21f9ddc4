# testScript of the oar-nxc `master` composition (nxc start -t, or nxc driver -t on a
# deployed composition). Runs in nixos-compose's test driver: `machines`, `start_all`,
# `subtest` and one object per host (frontend, server, node1..nodeN) are predefined.
import json
import re

start_all()
nodes = sorted((m for m in machines if re.fullmatch(r"node\d+", m.name)), key=lambda m: int(m.name[4:]))
names = [m.name for m in nodes]

server.wait_for_unit("oar-server.service")
for node in nodes:
    node.wait_for_unit("oar-node.service")

with subtest("every compute node has its resources, all Alive"):
    def alive_hosts():
        # OAR3: [{"node1": [{"1": "Alive"}, ...]}, ...]; OAR 2.5: {"node1": {"1": "Alive"}}
        data = json.loads(frontend.succeed("oarnodes -s -J"))
        items = data.items() if isinstance(data, dict) else (kv for d in data for kv in d.items())
        alive = set()
        for host, res in items:
            states = list(res.values()) if isinstance(res, dict) else [s for r in res for s in r.values()]
            if states and all(s == "Alive" for s in states):
                alive.add(host)
        return alive

    retry(lambda _: set(names) <= alive_hosts(), timeout=300)

with subtest("a batch job over all nodes ends Terminated, exit 0, and names every node"):
    frontend.succeed(
        "install -o user1 -m 755 /dev/stdin /home/user1/hosts.sh <<'EOF'\n"
        "#!/bin/sh\n"
        "for h in $(uniq \"$OAR_NODEFILE\"); do oarsh \"$h\" hostname; done\n"
        "EOF"
    )
    out = frontend.succeed(f"su - user1 -c 'cd && oarsub -l nodes={len(nodes)},walltime=0:05:00 ./hosts.sh'")
    job = int(re.search(r"^OAR_JOB_ID=(\d+)$", out, re.MULTILINE).group(1))
    frontend.wait_until_succeeds(f"oarstat -s -j {job} | grep -Eq ': (Terminated|Error)$'", timeout=300)
    frontend.succeed(f"oarstat -s -j {job} | grep -q ': Terminated$'")
    info = json.loads(frontend.succeed(f"oarstat -f -j {job} -J"))[str(job)]
    assert info["exit_code"] is not None and info["exit_code"] >> 8 == 0, f"job {job}: exit_code {info['exit_code']}"
    # no shared home: the output is in user1's home on the job's first node
    output = None
    for node in nodes:
        status, text = node.execute(f"cat /home/user1/OAR.{job}.stdout")
        if status == 0:
            output = text
    assert output is not None, f"OAR.{job}.stdout is on no compute node"
    assert sorted(output.split()) == names, f"job {job} output {output.split()} != {names}"
