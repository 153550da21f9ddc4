
# nfs-home: appended to ../master/test_script.py (same driver symbols; `job`, `nodes`, `names` set there)
with subtest("the job output is on the frontend through the shared home"):
    shared = frontend.succeed(f"cat /home/user1/OAR.{job}.stdout").split()
    assert sorted(shared) == names, f"frontend sees {shared}, expected {names}"

with subtest("a file written on the frontend is seen by every node"):
    frontend.succeed("su - user1 -c 'echo from-frontend > shared-probe'")
    for node in nodes:
        node.succeed("grep -qx from-frontend /home/user1/shared-probe")
