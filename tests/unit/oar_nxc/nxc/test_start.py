"""oar_nxc.nxc.start: the decision of nxc start (exact argv, machine file, why) and its run.

The run tests use a stand-in `nxc` script (the real nixos-compose 0.7.11 runs in the testbed
tests): it rewrites setup.toml, writes the deployment file, sleeps or fails on demand."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
from pathlib import Path

import pytest

from oar_nxc.errors import ConfigError
from oar_nxc.nxc import start
from tests.unit.oar_nxc.formats.test_composition import COMP, make

MACHINES = ["m1", "m2", "m3", "m4", "m5"]


@pytest.fixture
def comp(tmp_path: Path) -> Path:
    (tmp_path / "comp").mkdir()
    return make(tmp_path / "comp", COMP)


def request(comp: Path, **kw: object) -> start.Request:
    base: dict[str, object] = {"composition_dir": str(comp), "flavour": "g5k-nfs-store", "machines": MACHINES,
                               "nxc": "/opt/nxc", "public_key": "/k.pub", "timeout": 60}
    return start.Request(**{**base, **kw})  # type: ignore[arg-type]


def deployed(p: start.Plan) -> None:
    """As after a successful nxc start: the record and the deployment file."""
    Path(p.paths.deployment).parent.mkdir(parents=True, exist_ok=True)
    Path(p.paths.deployment).write_text("{}")
    start._write_json(p.paths.current, p.wanted)


def test_first_start_runs_with_the_machines_needed(comp: Path) -> None:
    p = start.plan(request(comp))
    machine_file = str(comp / ".oar-nxc/machines-g5k-nfs-store")
    assert p.argv == ["timeout", "-k", "10", "60", "/opt/nxc", "start", "-f", "g5k-nfs-store", "-i", "/k.pub",
                      "-m", machine_file]
    assert (p.machines, p.unused) == (["m1", "m2", "m3", "m4"], ["m5"])
    assert (p.run, p.why) == (True, "no current deployment recorded")
    assert p.paths.deployment == str(comp / "deploy/composition::g5k-nfs-store.json")
    assert p.step() == {"step": "deploy", "command": " ".join(p.argv), "cwd": str(comp),
                        "machines": ["m1", "m2", "m3", "m4"], "run": True, "why": "no current deployment recorded"}


def test_same_build_on_same_machines_is_skipped(comp: Path) -> None:
    deployed(start.plan(request(comp)))
    p = start.plan(request(comp))
    assert (p.run, p.why) == (False, "this build is already deployed on m1, m2, m3, m4: nxc start skipped "
                                     "(force starts again)")
    assert start.plan(request(comp, force=True)).why == "forced (force=true)"
    stale = start.plan(request(comp, stale=["node1 (connection refused)"]))
    assert (stale.run, stale.why) == (True, "the recorded deployment does not answer: node1 (connection refused)")


def test_a_new_build_or_other_machines_start_again(comp: Path) -> None:
    deployed(start.plan(request(comp)))
    (comp / "build").mkdir()
    (comp / "build/.oar-nxc-g5k-nfs-store.json").write_text(json.dumps({"fingerprint": "abc"}))
    assert start.plan(request(comp)).why == "the build changed since the last deployment"
    deployed(start.plan(request(comp)))
    p = start.plan(request(comp, machines=["m2", "m1", "m3", "m4"]))
    assert p.why == "the machines changed since the last deployment"
    os.remove(p.paths.deployment)
    assert start.plan(request(comp, machines=MACHINES)).why == (
        f"the deployment file {p.paths.deployment} is gone")


def test_too_few_machines_names_counts_and_hosts(comp: Path) -> None:
    with pytest.raises(ConfigError) as err:
        start.plan(request(comp, machines=["m1", "m2"]))
    assert str(err.value).startswith("comp needs 4 hosts (frontend, node1, node2, server) but 2 machine(s) are "
                                     "selected: m1, m2. Reserve more nodes")
    # fewer hosts for a role fit: -r node=0 and three machines
    p = start.plan(request(comp, machines=["m1", "m2"], roles={"node": 0}))
    assert p.argv[-2:] == ["-r", "node=0"] and p.machines == ["m1", "m2"]


def test_argv_per_flavour(comp: Path) -> None:
    docker = start.plan(request(comp, flavour="docker", tag="t1", setup=""))
    assert docker.argv == ["timeout", "-k", "10", "60", "/opt/nxc", "start", "-f", "docker", "-i", "/k.pub", "-a", "t1"]
    assert (docker.machines, docker.paths.deployment) == ([], str(comp / "deploy/composition::docker::t1.json"))
    image = start.plan(request(comp, flavour="g5k-image"))
    assert "--remote-deployment-info" in image.argv
    with pytest.raises(ConfigError, match=r"^unknown flavour 'kvm': one of docker, g5k-image, "):
        start.plan(request(comp, flavour="kvm"))


STANDIN = """#!/bin/sh
# stand-in nxc for the unit tests: rewrites setup.toml, launches each machine of -m as nixos-compose 0.7.11 does
# for kexec flavours (through a shell, one after the other: <ssh command> IP "screen -dm bash -c ..."), then
# writes the deployment file
echo changed-by-nxc > setup.toml
ssh="${NIXOS_COMPOSE_START_SSH:-ssh -l root}" machines=""
while [ $# -gt 0 ]; do
  case "$1" in --ssh) ssh=$2; shift ;; -m) machines=$2; shift ;; esac
  shift
done
if [ -n "$machines" ] && [ -n "$LAUNCH" ]; then
  while read -r ip; do
    sh -c "$ssh $ip \\"screen -dm bash -c \\\\\\" /envdir/kexec_scripts/kexec.sh\\\\\\"\\""
  done < "$machines"
fi
case "$MODE" in
  fail) echo "Error: Kadeploy failed on m2" >&2; exit 1 ;;
  sleep) sleep 30 ;;
  nofile) exit 0 ;;
  hold) mkdir -p deploy && echo '{}' > deploy/composition::vm.json
        trap 'exit 130' INT
        while :; do sleep 0.1; done ;;
esac
mkdir -p deploy && echo '{}' > deploy/composition::g5k-nfs-store.json
"""


def standin(tmp_path: Path) -> str:
    script = tmp_path / "nxc"
    script.write_text(STANDIN)
    script.chmod(0o755)
    return str(script)


def test_run_records_and_restores_setup_toml(comp: Path, tmp_path: Path) -> None:
    setup = (comp / "setup.toml").read_bytes()
    req = request(comp, nxc=standin(tmp_path))
    p = start.plan(req)
    out = start.run(req, p)
    assert out["rc"] == 0
    assert (comp / "setup.toml").read_bytes() == setup
    assert (comp / ".oar-nxc/machines-g5k-nfs-store").read_text() == "m1\nm2\nm3\nm4\n"
    assert json.loads(Path(p.paths.current).read_text()) == p.wanted
    record = json.loads(Path(p.paths.record).read_text())
    assert (record["argv"], record["rc"], record["error"]) == (p.argv, 0, "")  # nxc's own launches by default
    assert not (comp / ".oar-nxc/launches-g5k-nfs-store").exists()
    assert start.plan(req).run is False
    # with parallel_launch, the launcher is nxc's ssh command; the plan's argv decides, without it
    parallel = request(comp, nxc=standin(tmp_path), parallel_launch=True, force=True)
    start.run(parallel, start.plan(parallel))
    launches = str(comp / ".oar-nxc/launches-g5k-nfs-store")
    wrapped = f"sh {start.LAUNCHER} {launches} {start.LAUNCH_PARALLEL} ssh -l root"  # nxc's own ssh command
    assert json.loads(Path(p.paths.record).read_text())["argv"] == [*p.argv, "--ssh", wrapped]
    assert start.plan(req).run is False


def test_run_names_nxc_error_and_forgets_the_deployment(comp: Path, tmp_path: Path) -> None:
    req = request(comp, nxc=standin(tmp_path), environment={"MODE": "fail"})
    p = start.plan(req)
    with pytest.raises(start.StartError) as err:
        start.run(req, p)
    assert str(err.value) == f"nxc start failed (rc 1): Error: Kadeploy failed on m2 [{p.command}]"
    assert err.value.rc == 1
    assert not os.path.exists(p.paths.current)
    assert json.loads(Path(p.paths.record).read_text())["error"] == "Error: Kadeploy failed on m2"
    nofile = request(comp, nxc=standin(tmp_path), environment={"MODE": "nofile"})
    with pytest.raises(start.StartError, match=r"^nxc start succeeded but did not write .*composition::g5k-nfs"):
        start.run(nofile, start.plan(nofile))


def test_run_times_out_within_its_bound(comp: Path, tmp_path: Path) -> None:
    req = request(comp, nxc=standin(tmp_path), environment={"MODE": "sleep"}, timeout=1)
    p = start.plan(req)
    began = time.monotonic()
    with pytest.raises(start.StartError) as err:
        start.run(req, p)
    assert time.monotonic() - began < 5
    assert err.value.rc == start.TIMEOUT_RC
    assert str(err.value).startswith("nxc start did not finish within 1 s: it waits for port 22 on every machine")
    # the machines that do not answer are named, each with its address and error (nxc prints a count only)
    assert f"and {len(p.machines)} of {len(p.machines)} do not answer: {p.machines[0]} ({p.machines[0]}:22: its " \
           "name does not resolve (" in str(err.value)
    assert (comp / "setup.toml").read_bytes() != b"changed-by-nxc\n"


HOLDER = """#!/usr/bin/env python3
# stands in for a background nxc start (vm): holds "the VMs" until SIGINT, then exits 130
import os, signal, sys, time
signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
open(os.environ["READY"] + str(os.getpid()), "w").close()
while True:
    time.sleep(0.1)
"""


def holder(tmp_path: Path) -> list[str]:
    script = tmp_path / "nxc-holder"
    script.write_text(HOLDER)
    script.chmod(0o755)
    return [str(script), "start", "-f", "vm"]


def spawn(argv: list[str], tmp_path: Path) -> subprocess.Popen[bytes]:
    """Start ARGV in its own session and wait until it has set its signal handlers (it says so in a file)."""
    proc = subprocess.Popen(argv, start_new_session=True, env={**os.environ, "READY": str(tmp_path / "ready-")})
    deadline = time.monotonic() + 20
    while not (tmp_path / f"ready-{proc.pid}").exists():
        assert time.monotonic() < deadline and proc.poll() is None, "the stand-in did not start"
        time.sleep(0.05)
    return proc


def test_stop_background_stops_the_recorded_process_and_only_it(comp: Path, tmp_path: Path) -> None:
    argv = holder(tmp_path)
    paths = start.Paths.of(str(comp), "composition", "vm")
    os.makedirs(paths.state, exist_ok=True)
    recorded = spawn(argv, tmp_path)
    twin = spawn(argv, tmp_path)  # the same command line, another user's run
    try:
        start._write_json(paths.background, {"pid": recorded.pid, "start_time": start._start_time(recorded.pid),
                                             "argv": argv})
        assert start.stop_background(paths, grace=5) == \
            f"the background nxc start (pid {recorded.pid}) stopped (SIGINT)"
        assert start._start_time(recorded.pid) is None  # gone (reaped by stop_background: our child here)
        assert twin.poll() is None  # still running
        assert not os.path.exists(paths.background)
        assert start.stop_background(paths) == ""  # nothing recorded any more
    finally:
        for proc in (recorded, twin):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_stop_background_kills_the_group_of_a_process_deaf_to_sigint(comp: Path, tmp_path: Path) -> None:
    script = tmp_path / "deaf"
    script.write_text("#!/usr/bin/env python3\nimport os, signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                      "open(os.environ['READY'] + str(os.getpid()), 'w').close()\nwhile True:\n    time.sleep(0.1)\n")
    script.chmod(0o755)
    paths = start.Paths.of(str(comp), "composition", "vm")
    os.makedirs(paths.state, exist_ok=True)
    deaf = spawn([str(script)], tmp_path)
    try:
        start._write_json(paths.background, {"pid": deaf.pid, "start_time": start._start_time(deaf.pid)})
        began = time.monotonic()
        assert start.stop_background(paths, grace=1) == (
            f"the background nxc start (pid {deaf.pid}) killed (SIGKILL to its process group, 1 s after SIGINT)")
        assert time.monotonic() - began < 4
        assert start._start_time(deaf.pid) is None
    finally:
        if deaf.poll() is None:
            deaf.kill()
            deaf.wait()


def test_stop_background_sends_nothing_to_a_pid_that_names_another_process(comp: Path, tmp_path: Path) -> None:
    """A stale record (the pid reused since): the start time differs, so no signal is sent."""
    argv = holder(tmp_path)
    paths = start.Paths.of(str(comp), "composition", "vm")
    os.makedirs(paths.state, exist_ok=True)
    other = spawn(argv, tmp_path)
    try:
        start._write_json(paths.background, {"pid": other.pid, "start_time": start._start_time(other.pid) - 1})
        assert start.stop_background(paths) == f"the background nxc start of {paths.background} no longer runs"
        assert other.poll() is None
        assert not os.path.exists(paths.background)
    finally:
        other.kill()
        other.wait()


def test_a_background_start_records_its_pid_and_teardown_stops_it(comp: Path, tmp_path: Path) -> None:
    req = request(comp, flavour="vm", machines=[], nxc=standin(tmp_path), environment={"MODE": "hold"})
    p = start.plan(req)
    out = start.run(req, p)
    record = json.loads(Path(p.paths.background).read_text())
    assert out["stdout"] == f"nxc start runs in the background (pid {record['pid']}, output in {p.paths.log})"
    assert record["argv"] == p.argv and start._start_time(record["pid"]) == record["start_time"]
    assert start.stop_background(p.paths, grace=5).startswith(f"the background nxc start (pid {record['pid']}) ")
    assert start._start_time(record["pid"]) is None


def test_after_probes_the_hosts_that_did_not_answer_start_again() -> None:
    assert start.after_probes(None) == ([], "")
    assert start.after_probes([{"host": "node1", "ok": True}, {"host": "node2", "ok": True}]) == (
        [], "the 2 deployed host(s) report their roles: nothing to start")
    assert start.after_probes([{"host": "node1", "ok": True}, {"host": "node2", "ok": False, "error": "timed out"},
                               {"host": "node3", "ok": False, "role": "server"}]) == (
        ["node2 (timed out)", "node3 (server)"], "")


FAKE_SSH = """#!/bin/sh
# stands in for ssh: $1 the machine, $2 the remote command. Records when it ran; per machine, fails or hangs
echo "start $(date +%s.%N)" >> "$LOG/$1"
case "$1" in
  bad) echo "ssh: connect to host bad port 22: Connection refused" >&2; exit 255 ;;
  hang) sleep 60 ;;
  *) sleep 0.4 ;;
esac
echo "end $(date +%s.%N) $2" >> "$LOG/$1"
"""


def launch_run(comp: Path, tmp_path: Path, machines: list[str], **kw: object) -> tuple[start.Request, start.Plan]:
    ssh = tmp_path / "fake-ssh"
    ssh.write_text(FAKE_SSH)
    ssh.chmod(0o755)
    (tmp_path / "log").mkdir()
    env = {"LAUNCH": "1", "NIXOS_COMPOSE_START_SSH": str(ssh), "LOG": str(tmp_path / "log")}
    req = request(comp, nxc=standin(tmp_path), machines=machines, environment=env, parallel_launch=True, **kw)
    return req, start.plan(req)


def spans(log: Path) -> list[tuple[float, float]]:
    out = []
    for path in log.iterdir():
        words = dict(line.split(" ", 1) for line in path.read_text().splitlines())
        out.append((float(words["start"]), float(words["end"].split()[0])))
    return out


def test_kexec_launches_overlap_at_most_the_bound_and_are_all_awaited(comp: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(start, "LAUNCH_PARALLEL", 2)
    req, p = launch_run(comp, tmp_path, ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"])
    out = start.run(req, p)
    assert out["rc"] == 0
    done = spans(tmp_path / "log")
    assert len(done) == 4  # every launch ended before run returned (each takes 0.4 s)
    # they overlap, two at a time (nxc waits for each command, which returns at once), never more
    assert max(sum(1 for s, e in done if s <= t < e) for t, _end in done) == 2
    # each launch ran nxc's command: the machine, then the remote command, as nxc wrote it
    ends = {path.name: path.read_text().splitlines()[-1].split(" ", 2)[2] for path in (tmp_path / "log").iterdir()}
    assert ends == {ip: 'screen -dm bash -c " /envdir/kexec_scripts/kexec.sh"' for ip in p.machines}
    launches = comp / ".oar-nxc/launches-g5k-nfs-store"
    assert sorted(f.name for f in launches.iterdir() if f.suffix == ".rc") == ["0.rc", "1.rc", "2.rc", "3.rc"]
    assert {(launches / f"{n}.rc").read_text() for n in range(4)} == {"0\n"}


def test_a_failed_launch_fails_the_start_naming_the_machine_and_sshs_error(comp: Path, tmp_path: Path) -> None:
    req, p = launch_run(comp, tmp_path, ["10.0.0.1", "bad", "10.0.0.3", "10.0.0.4"])
    with pytest.raises(start.StartError) as err:
        start.run(req, p)
    said = str(err.value)
    assert said.startswith("nxc start ended, but the launch of 1 of 4 machine(s) failed: bad (rc 255: ssh: connect "
                           "to host bad port 22: Connection refused) [timeout -k 10 60 ")
    assert err.value.rc == 0  # nxc's own exit status: it ignores its launches' (subprocess.call)
    assert not os.path.exists(p.paths.current)  # not recorded as deployed: the next run starts again
    assert json.loads(Path(p.paths.record).read_text())["error"].startswith("the launch of 1 of 4 machine(s) failed")


def test_a_launch_still_running_at_the_timeout_is_stopped_by_its_session(comp: Path, tmp_path: Path) -> None:
    req, p = launch_run(comp, tmp_path, ["10.0.0.1", "hang", "10.0.0.3", "10.0.0.4"], timeout=2)
    began = time.monotonic()
    with pytest.raises(start.StartError) as err:
        start.run(req, p)
    assert time.monotonic() - began < 6  # the 2 s timeout, not the 60 s the launch would take
    assert "the launch of 1 of 4 machine(s) did not end in time and was stopped: hang [" in str(err.value)
    pid = int((comp / ".oar-nxc/launches-g5k-nfs-store/1.pid").read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and start._start_time(pid) is not None:
        time.sleep(0.05)
    assert start._start_time(pid) is None  # the session (flock, sh, the fake ssh and its sleep) is gone
    assert session_members(pid) == []  # none of the session's processes runs (a zombie waits for init)


def session_members(session: int) -> list[int]:
    """The processes of SESSION that run (not zombies)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[3]) == session and fields[0] != "Z":
                found.append(int(entry))
    return found


def test_the_launcher_is_not_used_without_kexec_or_with_the_users_own_ssh(comp: Path, tmp_path: Path) -> None:
    env = {"NIXOS_COMPOSE_START_SSH": "my-ssh -p 2222"}
    kexec = start.plan(request(comp))
    assert start.launching(request(comp, environment=env), kexec, env) == (kexec.argv, "")  # not asked for
    command, launches = start.launching(request(comp, environment=env, parallel_launch=True), kexec, env)
    assert command == [*kexec.argv, "--ssh", f"sh {start.LAUNCHER} {launches} {start.LAUNCH_PARALLEL} my-ssh -p 2222"]
    assert launches == str(comp / ".oar-nxc/launches-g5k-nfs-store") and os.path.isdir(launches)
    own = request(comp, extra_args=["--ssh", "ssh -l admin"], parallel_launch=True)
    assert start.launching(own, start.plan(own), env) == (start.plan(own).argv, "")
    assert start.launching(request(comp, parallel_launch=True), kexec, {"PATH": str(tmp_path)}) == (
        kexec.argv, "")  # no setsid, no flock
    for flavour in ("g5k-image", "docker", "vm"):
        other = request(comp, flavour=flavour, parallel_launch=True)
        assert start.launching(other, start.plan(other), env) == (start.plan(other).argv, "")
    # a composition directory with a space, a quote and a dollar: one word for nxc's shell, as it is
    odd = tmp_path / "it's $HOME"
    odd.mkdir()
    (odd / "comp").mkdir()
    weird = make(odd / "comp", COMP)
    command, launches = start.launching(request(weird, parallel_launch=True), start.plan(request(weird)), {})
    assert launches == f"{weird}/.oar-nxc/launches-g5k-nfs-store"
    assert shlex.split(command[-1]) == ["sh", start.LAUNCHER, launches, str(start.LAUNCH_PARALLEL), "ssh", "-l", "root"]


def test_a_recorded_launch_pid_is_signalled_only_if_it_names_a_launch_started_since() -> None:
    leader = subprocess.Popen(["sleep", "30"], start_new_session=True)  # a session leader, as a launch is
    try:
        time.sleep(0.2)
        start._stop_session(str(leader.pid), start._uptime())  # started before: another process, by now
        assert leader.poll() is None
        start._stop_session("garbage", 0.0)
        assert leader.poll() is None
        start._stop_session(str(leader.pid), start._uptime() - 60)
        assert leader.wait(timeout=5) == -9
    finally:
        if leader.poll() is None:
            leader.kill()
            leader.wait()
