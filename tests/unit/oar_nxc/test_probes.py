"""The reservation's preflight findings: the OAR job's state and time left, machines outside the
job, and the ssh probe (on real sockets of this machine)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from oar_nxc import probes
from oar_nxc.oar import findings
from oar_nxc.oar.findings import Finding
from oar_nxc.probes import Target

NOW = 1_795_800_000


def job(state: str = "Running", ends: int | None = NOW + 3600, job_id: int = 7) -> dict:
    return {"id": job_id, "state": state, "owner": "alice", "walltime": 3600, "started": NOW, "ends": ends,
            "remaining": None if ends is None else ends - NOW, "oar": "2.5"}


def test_a_running_job_with_time_left_finds_nothing() -> None:
    machines = {"n1": {"oar_job": job(), "oar_in_job": True}, "n2": {"oar_job": job(), "oar_in_job": True}}
    assert findings.job_findings(machines, min_remaining=900, now=NOW) == []


@pytest.mark.parametrize(("state", "hint"), [
    ("Error", "its machines are not yours any more: reserve again and give the new job's nodefile"),
    ("Terminated", "its machines are not yours any more: reserve again and give the new job's nodefile"),
    ("Waiting", "wait until it runs (oarstat -s -j 7)"),
    ("Launching", "wait until it runs (oarstat -s -j 7)"),
])
def test_a_job_that_is_not_running_is_refused(state: str, hint: str) -> None:
    machines = {"n1": {"oar_job": job(state)}, "n2": {"oar_job": job(state)}}
    assert findings.job_findings(machines, min_remaining=900, now=NOW) == [
        Finding("job_state", f"OAR job 7 is {state}, not Running: {hint}")]


def test_little_walltime_left_is_a_refusal_of_the_reservation_naming_the_time() -> None:
    (finding,) = findings.job_findings({"n1": {"oar_job": job(ends=NOW + 245)}}, min_remaining=900, now=NOW)
    assert (finding.check, finding.refuse, finding.reservation) == ("walltime", True, True)
    assert finding.message.startswith("OAR job 7 ends in 4 min 05 s (at ")
    assert finding.message.endswith(
        "less than the 15 min 00 s of oar_nxc_min_walltime: the run would outlive the job and be cut short, so "
        "nothing was started. oarwalltime 7 +1:00 asks for more where the cluster allows it, or reserve a longer "
        "job; -e oar_nxc_min_walltime=0 goes on anyway")
    # 0 is no minimum, and a job that ends after the minimum is no finding
    assert findings.job_findings({"n1": {"oar_job": job(ends=NOW + 245)}}, min_remaining=0, now=NOW) == []
    assert findings.job_findings({"n1": {"oar_job": job(ends=NOW + 901)}}, min_remaining=900, now=NOW) == []


def test_machines_outside_the_job_are_refused_by_name() -> None:
    machines = {"n1": {"oar_job": job(), "oar_in_job": True}, "n9": {"oar_job": job(), "oar_in_job": False},
                "n8": {"oar_job": job(), "oar_in_job": False}}
    assert findings.job_findings(machines, min_remaining=60, now=NOW) == [Finding(
        "not_in_job", "n9, n8 are not among the machines of OAR job 7: leave them out (OAR_NXC_EXCLUDE) or give "
                      "this job's own nodefile")]


def test_machines_without_a_job_find_nothing() -> None:
    assert findings.job_findings({"n1": {"oar_cores": 2}}, min_remaining=900, now=NOW) == []


def test_a_job_that_could_not_be_read_is_a_warning() -> None:  # oarstat could not be asked
    assert findings.job_findings({"n1": {"oar_cores": 2, "oar_job_id": 5}}, min_remaining=900, now=NOW) == [
        Finding("job_unread", "OAR job 5 was not read from OAR (live_job is never, or oarstat is not here or "
                              "failed: see the oar_nxc warning), so its state and walltime are not checked",
                refuse=False)]


def test_several_jobs_are_each_judged() -> None:
    machines = {"a": {"oar_job": job()}, "b": {"oar_job": job("Error", job_id=9)}}
    assert [f.message.split(":")[0] for f in findings.job_findings(machines, min_remaining=60, now=NOW)] == [
        "OAR job 9 is Error, not Running"]


@pytest.fixture
def servers() -> Iterator[dict[str, int]]:
    """Three real listeners on 127.0.0.1: an sshd-like one, a silent one, a web-like one; and a closed port."""
    made: list[socket.socket] = []
    stop = threading.Event()

    def listen(banner: bytes | None) -> int:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.settimeout(0.1)
        made.append(sock)

        def serve() -> None:
            while not stop.is_set():
                try:
                    conn, _unused = sock.accept()
                except OSError:
                    continue
                if banner is not None:
                    conn.sendall(banner)
                made.append(conn)

        threading.Thread(target=serve, daemon=True).start()
        return int(sock.getsockname()[1])

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = int(closed.getsockname()[1])
    closed.close()
    yield {"ssh": listen(b"SSH-2.0-OpenSSH_9.2\r\n"), "silent": listen(None), "http": listen(b"HTTP/1.1 400 Bad\r\n"),
           "closed": closed_port}
    stop.set()
    for sock in made:
        sock.close()


def test_the_probe_names_each_machine_that_does_not_answer_as_sshd(servers: dict[str, int]) -> None:
    targets = [Target(name, "127.0.0.1", port) for name, port in servers.items()]
    started = time.monotonic()
    problems = probes.probe(targets, timeout=1.5)
    elapsed = time.monotonic() - started
    assert list(problems) == ["silent", "http", "closed"]  # in the machines' order
    assert problems["silent"].startswith(f"127.0.0.1:{servers['silent']}: no answer within 1.")
    assert problems["http"] == (f"127.0.0.1:{servers['http']}: answers, but not as an ssh server "
                                "(b'HTTP/1.1 400 Bad\\r\\n')")
    assert problems["closed"].startswith(f"127.0.0.1:{servers['closed']}: connection refused after 0.")
    assert elapsed < 2.5  # the whole probe is bounded by its timeout, not timeout x machines


def test_the_probe_is_bounded_for_many_silent_machines(servers: dict[str, int]) -> None:
    targets = [Target(f"m{i}", "127.0.0.1", servers["silent"]) for i in range(300)]
    started = time.monotonic()
    problems = probes.probe(targets, timeout=1.0)
    assert time.monotonic() - started < 2.0
    assert len(problems) == 300


def test_an_unresolvable_name_is_named() -> None:
    problems = probes.probe([Target("x", "no-such-host.invalid")], timeout=5)
    assert problems["x"].startswith("no-such-host.invalid:22: its name does not resolve (")


def test_the_ssh_finding_names_machines_addresses_and_the_fix() -> None:
    targets = [Target("n1", "n1"), Target("n2", "n2"), Target("n3", "n3")]
    finding = findings.ssh_finding({"n2": "10.0.0.2:22: connection refused after 0.0 s"}, targets)
    assert finding == Finding("ssh", (
        "1 of the 3 reserved machines does not answer on its ssh port, and nxc start would wait out its timeout: "
        "n2 (10.0.0.2:22: connection refused after 0.0 s). Leave it out (OAR_NXC_EXCLUDE=n2) or reserve other "
        "machines"))
    assert findings.ssh_finding({}, targets) is None
    many = {f"n{i}": "x:22: no answer within 10 s" for i in range(25)}
    message = findings.ssh_finding(many, [Target(n, n) for n in many]).message  # type: ignore[union-attr]
    assert "; and 15 more. Leave them out (OAR_NXC_EXCLUDE=n0,n1,n2,n3,n4,n5,n6,n7,n8,n9,...)" in message


def test_waiting_for_an_sshd_that_starts_late_answers(servers: dict[str, int]) -> None:
    """A daemon that starts listening 0.6 s after the first attempt is found by the next ones."""
    late = socket.socket()
    late.bind(("127.0.0.1", 0))
    port = int(late.getsockname()[1])

    def start() -> None:
        time.sleep(0.6)
        late.listen()
        conn, _unused = late.accept()
        conn.sendall(b"SSH-2.0-late\r\n")
        conn.close()

    threading.Thread(target=start, daemon=True).start()
    try:
        problem, address, waited = probes.wait_answer(Target("n", "127.0.0.1", port), timeout=5)
    finally:
        late.close()
    assert (problem, address) == (None, "127.0.0.1")
    assert 0.6 <= waited < 2.0


BAD_BANNER = "answers, but not as an ssh server (b'HTTP/1.1 400 Bad\\r\\n')"


@pytest.mark.parametrize(("server", "said"), [("closed", "connection refused"), ("silent", "no answer within 1.0 s"),
                                              ("http", BAD_BANNER)])
def test_waiting_names_the_last_error_within_the_timeout(servers: dict[str, int], server: str, said: str) -> None:
    started = time.monotonic()
    problem, address, waited = probes.wait_answer(Target("n", "127.0.0.1", servers[server]), timeout=1.0)
    assert (problem, address) == (said, "127.0.0.1")
    assert waited >= 0.7
    assert time.monotonic() - started < 1.6


def test_waiting_on_a_name_that_does_not_resolve_is_bounded() -> None:
    started = time.monotonic()
    problem, address, _unused = probes.wait_answer(Target("x", "no-such-host.invalid"), timeout=1.0)
    assert address == "no-such-host.invalid" and problem is not None
    assert problem.startswith("its name does not resolve (")
    assert time.monotonic() - started < 1.6
