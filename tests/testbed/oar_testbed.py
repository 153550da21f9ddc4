"""Drive the local OAR testbed as a Grid'5000 user would: reserve, release, run batch jobs.

    python tests/testbed/oar_testbed.py reserve 3 [--walltime 0:30:00] [--out DIR]  -> JSON
    python tests/testbed/oar_testbed.py release JOB_ID
    eval "$(python tests/testbed/oar_testbed.py ssh-env)"   # ANSIBLE_* to reach the nodes

Every OAR command is the real one (Debian's OAR 2.5); jobs are submitted as the normal user
``oartest`` (OAR refuses root). Must run as root, like the testbed itself.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATE = Path("/run/oar-testbed")
LOG = Path(os.environ.get("TESTBED_LOG", "/tmp/oar-testbed"))  # testbed.sh's daemons' logs
USER = "oartest"
HOME = Path("/home") / USER
RUNTIME = Path("/var/lib/oar")
JOB_ID_RE = re.compile(r"^OAR_JOB_ID=(-?\d+)$", re.MULTILINE)
FINAL_STATES = ("Terminated", "Error")
# the testbed's fault knob (OAR 2.5, tests only; tests/testbed/server-epilogue.sh): while HOLD exists,
# OAR's server epilogue holds every job that ends, after its command and before OAR cleans its machines
FAULTS = STATE / "faults"
HOLD = FAULTS / "hold-server-epilogue"


class TestbedError(RuntimeError):
    """The testbed or OAR did not do what was asked."""


@dataclass(frozen=True)
class Reservation:
    job_id: int
    nodefile: str  # a copy of the real $OAR_NODEFILE, named by the job id
    stdout: str  # the job's OAR.<id>.stdout (unique host list)
    hosts: list[str]


def node_names() -> list[str]:
    """The testbed's compute nodes, as OAR names them (oarnode1...): testbed.sh's state holds how many."""
    return [f"oarnode{i}" for i in range(1, int((STATE / "nodes").read_text().strip()) + 1)]


def held_jobs() -> list[int]:
    """The jobs the server epilogue holds at their end (each wrote ``held-<job>``; see HOLD)."""
    names = [p.name.removeprefix("held-") for p in FAULTS.glob("held-*")]
    return sorted(int(n) for n in names if n.isdigit())


def hold_job_ends() -> None:
    """Hold the end of every job from now on, until :func:`release_job_ends` (no job held before)."""
    for old in FAULTS.glob("held-*"):
        old.unlink()
    HOLD.touch()


def release_job_ends() -> None:
    HOLD.unlink(missing_ok=True)


def set_link(machine: str, up: bool) -> None:
    """Cut MACHINE off the network (the host side of its veth down), or bring it back."""
    subprocess.run(["ip", "link", "set", f"veth-{machine}", "up" if up else "down"], check=True, timeout=30)


def ssh_env() -> dict[str, str]:
    """ANSIBLE_* settings that reach the testbed nodes as root, host keys checked."""
    return {
        "ANSIBLE_REMOTE_USER": "root",
        "ANSIBLE_PRIVATE_KEY_FILE": str(STATE / "id_ed25519"),
        "ANSIBLE_SSH_COMMON_ARGS": f"-o UserKnownHostsFile={STATE / 'known_hosts'}",
        "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
    }


def as_user(command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["su", "-", USER, "-c", command], capture_output=True, text=True, timeout=timeout,
                          check=False)


def submit(resources: str, command: str, types: tuple[str, ...] = ()) -> int:
    """``oarsub [-t TYPE...] -l RESOURCES COMMAND`` as the test user, from its home; returns the job id."""
    type_args = "".join(f"-t {shlex.quote(t)} " for t in types)
    result = as_user(f"cd && oarsub {type_args}-l {shlex.quote(resources)} {shlex.quote(command)}")
    match = JOB_ID_RE.search(result.stdout)
    if result.returncode != 0 or match is None or int(match.group(1)) < 0:
        raise TestbedError(f"oarsub -l {resources} failed (rc {result.returncode}): {result.stdout}{result.stderr}")
    return int(match.group(1))


def state(job_id: int) -> str | None:
    out = subprocess.run(["oarstat", "-s", "-j", str(job_id), "-J"], capture_output=True, text=True, check=True,
                         timeout=30).stdout
    return json.loads(out or "{}").get(str(job_id))


def wait_state(job_id: int, wanted: tuple[str, ...], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    current = None
    while time.monotonic() < deadline:
        current = state(job_id)
        if current in wanted:
            return current
        if current in FINAL_STATES:
            raise TestbedError(f"job {job_id} ended as {current} while waiting for {'/'.join(wanted)}")
        time.sleep(0.3)
    raise TestbedError(f"job {job_id} still {current} after {timeout:.0f} s (waiting for {'/'.join(wanted)})")


def details(job_id: int) -> dict:
    out = subprocess.run(["oarstat", "-f", "-j", str(job_id), "-J"], capture_output=True, text=True, check=True,
                         timeout=30).stdout
    return json.loads(out)[str(job_id)]


# The reservation shares its nodes with other timesharing jobs: on the testbed the OAR that
# the smoke tests hit (inside the "deployed" composition) is the testbed's own OAR, whose
# nodes the reservation holds. On Grid'5000 the composition runs its own OAR.
SHARED = ("timesharing=*,*",)


def reserve(nodes: int, *, walltime: str = "0:30:00", out: Path | None = None, timeout: float = 60) -> Reservation:
    """Reserve NODES nodes with the job script, as `oarsub -l nodes=K,walltime=...` on Grid'5000."""
    script = HOME / "oar-nxc-job.sh"
    shutil.copyfile(HERE / "job-script.sh", script)
    script.chmod(0o755)
    job_id = submit(f"nodes={nodes},walltime={walltime}", "./oar-nxc-job.sh", SHARED)
    wait_state(job_id, ("Running",), timeout)
    stdout = HOME / f"OAR.{job_id}.stdout"
    nodefile = RUNTIME / str(job_id)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:  # the stdout appears once the script has written the host list
        if stdout.exists() and len(stdout.read_text().split()) == nodes and nodefile.exists():
            break
        time.sleep(0.2)
    else:
        raise TestbedError(f"job {job_id}: {stdout} did not list {nodes} hosts within {timeout:.0f} s")
    target_dir = (out or STATE / "jobs") / "nodefiles"
    target_dir.mkdir(parents=True, exist_ok=True)
    copy = target_dir / str(job_id)
    shutil.copyfile(nodefile, copy)
    return Reservation(job_id=job_id, nodefile=str(copy), stdout=str(stdout), hosts=stdout.read_text().split())


def release(job_id: int, timeout: float = 60) -> str:
    """``oardel`` the job as its owner and wait until OAR has ended it."""
    result = as_user(f"oardel {int(job_id)}")
    if result.returncode not in (0, 6):  # 6: already being killed
        raise TestbedError(f"oardel {job_id} failed (rc {result.returncode}): {result.stdout}{result.stderr}")
    return wait_state(job_id, FINAL_STATES, timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    res = sub.add_parser("reserve")
    res.add_argument("nodes", type=int)
    res.add_argument("--walltime", default="0:30:00")
    res.add_argument("--out", type=Path)
    rel = sub.add_parser("release")
    rel.add_argument("job_id", type=int)
    sub.add_parser("ssh-env", help="print `export` lines of the ANSIBLE_* settings that reach the nodes")
    args = parser.parse_args(argv)
    if args.command == "ssh-env":
        print("\n".join(f"export {key}={shlex.quote(value)}" for key, value in ssh_env().items()))
        return 0
    try:
        if args.command == "reserve":
            print(json.dumps(asdict(reserve(args.nodes, walltime=args.walltime, out=args.out)), indent=2))
        else:
            print(json.dumps({"job_id": args.job_id, "state": release(args.job_id)}))
    except (TestbedError, subprocess.SubprocessError, OSError) as exc:
        print(f"oar_testbed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
