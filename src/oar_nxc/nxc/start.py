"""nxc start of a composition on the selected machines: the decision, the run and its records.

One function decides (:func:`plan`: machine file, argv per flavour, whether the same build is
already deployed on the same machines, or whether a probe found it gone), one runs
(:func:`run`: under timeout(1), setup.toml put back byte for byte, vm flavours in the background
until their deployment file appears), and :func:`deployed` returns the deployed hosts as the
oar_nxc inventory plugin describes them. The ``oar.nxc.nxc_start`` action is their Ansible face.

Files, under ``<composition>/.oar-nxc/``: ``machines-<flavour>`` (the machine file),
``start-<flavour>.json`` (the last nxc start: argv, rc, times, nxc's error line),
``deployed-<flavour>.json`` (what the current deployment is: argv, machines, build digest).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oar_nxc import probes
from oar_nxc.errors import ConfigError, OarNxcError
from oar_nxc.formats import composition as composition_mod
from oar_nxc.formats import deployment as deployment_mod
from oar_nxc.formats import flavours as flavours_mod
from oar_nxc.formats import reading
from oar_nxc.inventory.hosts import deployed_hosts
from oar_nxc.inventory.spec import NIXOS_PYTHON, Options

TIMEOUT_RC = 124  # timeout(1): the time ran out
KILL_AFTER = 10  # seconds between timeout(1)'s SIGTERM and SIGKILL
MAX_TIMEOUT = 7 * 24 * 3600  # seconds: as module_utils.nxc's (a unit test keeps them equal)
POLL = 0.5  # seconds between looks at a background nxc start
# seconds a background nxc start must keep running after it wrote the deployment file: nxc writes
# it before it starts the VMs' network, so a missing vde_switch or KVM ends it just after
SETTLE = 3.0
STOP_GRACE = 20.0  # seconds a background nxc start has to stop its VMs after SIGINT
# kexec flavours with parallel_launch: nxc start's ssh command is kexec-launch.sh, which starts each machine's launch
# in the background (at most LAUNCH_PARALLEL at a time) instead of nxc's one after the other, waiting for each
LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kexec-launch.sh")
LAUNCH_PARALLEL = 32
LAUNCH_TOOLS = ("sh", "setsid", "flock")  # what kexec-launch.sh runs (util-linux: Debian, Grid'5000's frontends)
NXC_SSH = "ssh -l root"  # nxc start's own ssh command (its --ssh default, or $NIXOS_COMPOSE_START_SSH)


class StartError(OarNxcError):
    """nxc start failed, timed out or wrote no deployment file; ``rc``/``stdout``/``stderr`` when it ran."""

    def __init__(self, message: str, *, rc: int | None = None, stdout: str = "", stderr: str = "",
                 cmd: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.cmd = list(cmd)  # the command that ran (with parallel_launch, the launcher as nxc's ssh)
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr


@dataclass(frozen=True)
class Request:
    composition_dir: str
    flavour: str
    machines: Sequence[str] = ()  # the selected reserved machines, in order (ignored by local flavours)
    setup: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    roles: Mapping[str, Any] = field(default_factory=dict)  # nxc start -r overrides
    nxc: str = "nxc"
    public_key: str = ""
    tag: str = ""
    timeout: int = 900
    extra_args: Sequence[str] = ()
    environment: Mapping[str, str] = field(default_factory=dict)
    force: bool = False
    stale: Sequence[str] = ()  # deployed hosts a probe found not reporting their role
    job_id: int | None = None
    private_key: str = ""
    python_interpreter: str = NIXOS_PYTHON
    parallel_launch: bool = False  # kexec flavours: nxc's launches in the background (launching)


@dataclass(frozen=True)
class Paths:
    state: str
    machine_file: str
    record: str  # the last nxc start
    current: str  # the deployment that nxc start made and the probes check
    build_record: str
    deployment: str
    log: str  # the output of a background nxc start
    background: str  # the pid of a background nxc start that runs (vm), and what identifies it

    @classmethod
    def of(cls, comp_dir: str, name: str, flavour: str, tag: str = "") -> Paths:
        state = os.path.join(comp_dir, ".oar-nxc")
        return cls(state=state, machine_file=os.path.join(state, f"machines-{flavour}"),
                   record=os.path.join(state, f"start-{flavour}.json"),
                   current=os.path.join(state, f"deployed-{flavour}.json"),
                   build_record=os.path.join(comp_dir, "build", f".oar-nxc-{flavour}.json"),
                   deployment=os.path.join(comp_dir, "deploy", deployment_mod.file_name(name, flavour, tag or None)),
                   log=os.path.join(state, f"start-{flavour}.log"),
                   background=os.path.join(state, f"start-{flavour}.pid.json"))


@dataclass(frozen=True)
class Plan:
    argv: list[str]
    machines: list[str]  # the machine file's lines (empty for local flavours)
    unused: list[str]  # selected machines beyond what the composition needs
    wanted: dict[str, Any]  # what deployed-<flavour>.json must say for nxc start to be skipped
    run: bool
    why: str
    paths: Paths
    cwd: str
    hosts: dict[str, list[str]]  # host names per role, as nxc will name them
    source: dict[str, Any] = field(default_factory=dict)  # the build's variant and source digests (build record)

    @property
    def command(self) -> str:
        return " ".join(shlex.quote(a) for a in self.argv)

    def step(self) -> dict[str, Any]:
        """The step as ``oar-nxc plan`` shows it."""
        return {"step": "deploy", "command": self.command, "cwd": self.cwd, "machines": self.machines,
                "run": self.run, "why": self.why}


def _read_json(path: str) -> Any:
    """A record of this module's (the deployment, the background start's pid), or None when there is none or it
    is not one: it is rebuilt. Read as any input (reading.load_record): never a hang nor a crash."""
    try:
        return reading.load_record(path, "state record")
    except (OarNxcError, OSError):
        return None


def _write_json(path: str, data: Any) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)


def argv(req: Request, role_args: Sequence[str], machine_file: str | None) -> list[str]:
    """The nxc start command line for the request's flavour, under timeout(1)."""
    flavour = flavours_mod.FLAVOURS[req.flavour]
    out = ["timeout", "-k", str(KILL_AFTER), str(int(req.timeout)), req.nxc, "start", "-f", req.flavour,
           "-i", req.public_key]
    if machine_file is not None:
        out += ["-m", machine_file]
    out += list(role_args)
    if flavour.remote_deployment_info:
        out.append("--remote-deployment-info")
    if req.tag:
        out += ["-a", req.tag]
    if req.setup:
        out += ["-s", req.setup]
    return out + [str(a) for a in req.extra_args]


def after_probes(probes: Sequence[Any] | None) -> tuple[list[str], str]:
    """The decision after the deployed hosts were probed (oar.nxc.nxc_roles's ``probes``, one per host, with
    timeout 0): (the hosts that did not answer, with why; and, when every one answered, why nothing is to
    start). No probes (None): nothing was probed, so ([], "") and :func:`plan` decides alone."""
    if probes is None:
        return [], ""
    stale = [f"{p.get('host')} ({p.get('error') or p.get('role')})" for p in probes
             if isinstance(p, dict) and not p.get("ok")]
    return stale, "" if stale else f"the {len(probes)} deployed host(s) report their roles: nothing to start"


def plan(req: Request, *, check_machines: bool = True) -> Plan:
    """Decide whether nxc start must run. Raises ConfigError/SourceError for bad input.

    ``check_machines`` False (to read the current deployment only) accepts too few machines."""
    problem = flavours_mod.unknown(req.flavour)
    if problem:
        raise ConfigError(problem)
    if isinstance(req.timeout, bool) or not 0 < req.timeout <= MAX_TIMEOUT:
        raise ConfigError(f"timeout (oar_nxc_deploy_timeout): {req.timeout} is not a number of seconds from 1 to "
                          f"{MAX_TIMEOUT}")
    flavour = flavours_mod.FLAVOURS[req.flavour]
    comp_dir = os.path.abspath(req.composition_dir)
    comp = composition_mod.load(comp_dir, setup=req.setup or None, params=dict(req.params) or None,
                                flavour=req.flavour)
    roles = dict(req.roles)
    hosts = comp.hosts(roles)
    needed = comp.required_hosts(roles)
    paths = Paths.of(comp_dir, comp.name, req.flavour, req.tag)
    for path, what in ((paths.record, "the deployment record"), (paths.current, "the current deployment's record"),
                       (paths.deployment, "nxc's deployment file"), (paths.build_record, "the build record")):
        if os.path.lexists(path) and not os.path.isfile(path):  # a directory, a FIFO: refused, never written over
            raise ConfigError(f"{path}: {what}'s path is not a regular file (a directory?): remove it")
    selected = list(dict.fromkeys(req.machines))
    if flavour.local:
        machines: list[str] = []
        unused: list[str] = []
    else:
        if len(selected) < needed and check_machines:
            names = ", ".join(n for role_hosts in hosts.values() for n in role_hosts)
            raise ConfigError(
                f"{os.path.basename(comp_dir)} needs {needed} hosts ({names}) but {len(selected)} machine(s) are "
                f"selected: {', '.join(selected) or 'none'}. Reserve more nodes, select more of them (the "
                f"oar_nxc plugin's nodes/exclude, OAR_NXC_NODES/OAR_NXC_EXCLUDE), or give fewer hosts to a role "
                f'with oar_nxc_roles (role variable nxc_deploy_roles), e.g. {{"node": 1}}')
        machines, unused = selected[:needed], selected[needed:]
    command = argv(req, composition_mod.role_args(roles), None if flavour.local else paths.machine_file)
    build = _read_json(paths.build_record)
    wanted = {"argv": command, "machines": machines,
              "build": build.get("fingerprint", "") if isinstance(build, dict) else ""}
    current = _read_json(paths.current)
    where = ", ".join(machines) or f"the local {req.flavour}"
    if req.force:
        run, why = True, "forced (force=true)"
    elif req.stale:
        run, why = True, f"the recorded deployment does not answer: {'; '.join(req.stale)}"
    elif current is None:
        run, why = True, "no current deployment recorded"
    elif current != wanted:
        changed = [k for k in ("build", "machines", "argv") if current.get(k) != wanted[k]]
        run, why = True, f"the {', '.join(changed)} changed since the last deployment"
    elif not os.path.isfile(paths.deployment):
        run, why = True, f"the deployment file {paths.deployment} is gone"
    else:
        run, why = False, f"this build is already deployed on {where}: nxc start skipped (force starts again)"
    source = {"variant": build.get("variant", ""), "sources": build.get("sources", {}),
              "fingerprint": build.get("fingerprint", "")} if isinstance(build, dict) else {}
    return Plan(argv=command, machines=machines, unused=unused, wanted=wanted, run=run, why=why, paths=paths,
                cwd=comp_dir, hosts=hosts, source=source)


def _last_line(text: str) -> str:
    found = [line.strip() for line in text.splitlines() if line.strip()]
    return found[-1] if found else "no output"


def run(req: Request, p: Plan, *, error_line: Callable[[str], str] = _last_line,
        cancel: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Run nxc start as planned; record it. Returns {rc, stdout, stderr, started, elapsed}.

    ``error_line`` picks nxc's error out of its output (the collection's module_utils.nxc)."""
    flavour = flavours_mod.FLAVOURS[req.flavour]
    os.makedirs(p.paths.state, exist_ok=True)
    for stale in (p.paths.current, p.paths.record):
        if os.path.exists(stale):
            os.remove(stale)
    if p.machines:
        with open(p.paths.machine_file, "w", encoding="utf-8") as handle:
            handle.write("".join(f"{m}\n" for m in p.machines))
    setup_file = os.path.join(p.cwd, "setup.toml")
    saved = Path(setup_file).read_bytes() if os.path.isfile(setup_file) else None
    env = {**os.environ, **{str(k): str(v) for k, v in req.environment.items()}}
    command, launches = launching(req, p, env)
    since = _uptime()  # the launches start after this (seconds since boot, the clock of their start times)
    started = time.time()
    try:
        if flavour.background:
            rc, stdout, stderr = _run_background(p, env, req.timeout, started, cancel)
        else:
            # g5k-image asks "Do you want to launch kadeploy": answer it; nothing else reads stdin
            stdin: dict[str, Any] = {"input": "y\n"} if flavour.answer_prompt else {"stdin": subprocess.DEVNULL}
            proc = subprocess.run(command, cwd=p.cwd, env=env, capture_output=True, text=True, check=False, **stdin)
            rc, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
        # the machines' launches nxc started: all ended, else stopped (at once when nxc failed)
        launched = wait_launches(launches, started + req.timeout if rc == 0 else 0.0, since=since) \
            if launches else None
    finally:
        if saved is not None and Path(setup_file).read_bytes() != saved:
            Path(setup_file).write_bytes(saved)
    ended = time.time()
    error = "" if rc == 0 else error_line(stderr or stdout)
    quoted = " ".join(shlex.quote(a) for a in command)
    problem = launched.problem if launched is not None else ""
    _write_json(p.paths.record, {"argv": command, "rc": rc, "started": started, "ended": ended,
                                 "deployment_file": p.paths.deployment, "error": error or problem})
    if rc != 0 or problem:
        if rc == TIMEOUT_RC:
            head = f"nxc start did not finish within {req.timeout} s{_unanswered(p.machines)}"
        elif rc != 0:
            head = f"nxc start failed (rc {rc}): {error}"
        else:
            head = f"nxc start ended, but {problem}"
        raise StartError(f"{head} [{quoted}]", rc=rc, stdout=stdout, stderr=stderr, cmd=command)
    if not os.path.isfile(p.paths.deployment) or os.path.getmtime(p.paths.deployment) < started - 1:
        raise StartError(f"nxc start succeeded but did not write {p.paths.deployment} [{quoted}]", rc=rc, cmd=command,
                         stdout=stdout, stderr=stderr)
    _write_json(p.paths.current, p.wanted)
    return {"rc": rc, "stdout": stdout, "stderr": stderr, "started": started, "elapsed": round(ended - started, 3),
            "argv": command}


def launching(req: Request, p: Plan, env: Mapping[str, str]) -> tuple[list[str], str]:
    """The command that runs nxc start, and the directory of its machines' launches ('' for none). When the
    request asks for it (parallel_launch), for a kexec flavour, nxc's ssh command (its default, or
    $NIXOS_COMPOSE_START_SSH) goes through kexec-launch.sh, which starts each machine's launch in the
    background; not when the request gives nxc an ssh command of its own (--ssh in extra_args), nor where
    util-linux's setsid and flock are missing. The plan's argv, which decides whether to start, does not hold
    it."""
    extra = [str(a) for a in req.extra_args]
    own_ssh = any(a == "--ssh" or a.startswith("--ssh=") for a in extra)
    if not (req.parallel_launch and flavours_mod.FLAVOURS[req.flavour].kexec) or own_ssh \
            or not all(shutil.which(tool, path=env.get("PATH")) for tool in LAUNCH_TOOLS):
        return list(p.argv), ""
    launches = os.path.join(p.paths.state, f"launches-{req.flavour}")
    shutil.rmtree(launches, ignore_errors=True)  # the last start's
    os.makedirs(launches, mode=0o700)
    ssh = env.get("NIXOS_COMPOSE_START_SSH") or NXC_SSH  # a shell fragment for nxc: given to it as it is
    wrapped = f"sh {shlex.quote(LAUNCHER)} {shlex.quote(launches)} {LAUNCH_PARALLEL} {ssh}"
    return [*p.argv, "--ssh", wrapped], launches


@dataclass(frozen=True)
class Launches:
    count: int  # launches nxc started
    failed: list[str]  # "IP (rc N: last line)"
    stopped: list[str]  # IPs whose launch was still running at the deadline (stopped)

    @property
    def problem(self) -> str:
        """Why the launches did not all succeed, naming the machines; '' when they did."""
        said = []
        if self.failed:
            said.append(f"the launch of {len(self.failed)} of {self.count} machine(s) failed: "
                        f"{'; '.join(self.failed[:probes.SHOWN])}")
        if self.stopped:
            said.append(f"the launch of {len(self.stopped)} of {self.count} machine(s) did not end in time and was "
                        f"stopped: {', '.join(self.stopped[:probes.SHOWN])}")
        return "; ".join(said)


def wait_launches(directory: str, deadline: float, *, since: float, poll: float = 0.05) -> Launches:
    """Wait until every launch kexec-launch.sh recorded in DIRECTORY has ended, or until DEADLINE (time.time());
    then stop, by its session, each that still runs (the pid it recorded, if that process is still that
    launch's: a session leader started since SINCE, seconds since boot when nxc start began). The launches'
    outcome."""
    while True:
        names = sorted({f.split(".", 1)[0] for f in os.listdir(directory) if f.endswith(".pid")}, key=_number)
        running = [n for n in names if not os.path.exists(os.path.join(directory, f"{n}.rc"))]
        if not running or time.time() >= deadline:
            break
        time.sleep(poll)
    stopped = []
    for name in running:
        _stop_session(_read_text(os.path.join(directory, f"{name}.pid")), since)
        stopped.append(_launch_target(directory, name))
    failed = []
    for name in names:
        rc = _read_text(os.path.join(directory, f"{name}.rc")).strip()
        if name not in running and rc != "0":
            said = _last_line(_read_text(os.path.join(directory, f"{name}.out"), 4096))
            failed.append(f"{_launch_target(directory, name)} (rc {rc or '?'}: {said})")
    return Launches(count=len(names), failed=failed, stopped=stopped)


def _number(name: str) -> int:
    return int(name) if name.isdigit() else -1


def _read_text(path: str, limit: int = 65536) -> str:
    """The last LIMIT bytes of PATH, as text ('' when it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - limit))
            return handle.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _launch_target(directory: str, name: str) -> str:
    """The destination of launch NAME (the word before the remote command: [user@]IP)."""
    words = _read_text(os.path.join(directory, f"{name}.argv")).splitlines()
    return words[-2] if len(words) >= 2 else f"launch {name}"


def _uptime() -> float:
    """Seconds since boot (/proc/uptime): the clock of a process's start time (/proc/PID/stat field 22)."""
    try:
        return float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0


def _stop_session(pid_text: str, since: float) -> None:
    """SIGKILL the session of PID_TEXT, if that pid still names a session leader started after SINCE (seconds
    since boot): a pid reused by another process since is left alone."""
    pid = int(pid_text) if pid_text.strip().isdigit() else 0
    fields = _stat(pid) if pid > 1 else None  # one read: the session (field 6) and the start time (field 22)
    if fields is None:
        return
    if int(fields[3]) == pid and int(fields[19]) / os.sysconf("SC_CLK_TCK") >= since - 0.05:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


def _unanswered(machines: Sequence[str], timeout: float = 5) -> str:
    """After a timeout: which machines do not answer on port 22 now (nxc waits for port 22 on every
    machine of its machine file, with no timeout of its own, and prints only a count)."""
    if not machines:
        return ""
    problems = probes.probe([probes.Target(m, m) for m in machines], timeout)
    if not problems:
        return f": all {len(machines)} machines answer on port 22 now, so nxc waited for something else"
    named = "; ".join(f"{name} ({problem})" for name, problem in list(problems.items())[:probes.SHOWN])
    return (f": it waits for port 22 on every machine, and {len(problems)} of {len(machines)} do not answer: "
            f"{named}")


def _run_background(p: Plan, env: dict[str, str], timeout: int, started: float,
                    cancel: Callable[[], bool] | None) -> tuple[int, str, str]:
    """vm flavours: nxc start holds the VMs in the foreground. Start it in its own session, its output
    in start-<flavour>.log, and return once it wrote the deployment file (rc 0) or ended (its rc)."""
    stop_background(p.paths)  # the VMs of an earlier start of this composition and flavour
    with open(p.paths.log, "wb") as log:
        proc = subprocess.Popen(p.argv, cwd=p.cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True)
    _write_json(p.paths.background, {"pid": proc.pid, "start_time": _start_time(proc.pid), "argv": p.argv,
                                     "started": started})
    deadline = time.monotonic() + timeout + KILL_AFTER
    written: float | None = None  # when the deployment file of this start was first seen
    while True:
        rc = proc.poll()
        if rc is not None:
            break
        if written is None and os.path.isfile(p.paths.deployment) \
                and os.path.getmtime(p.paths.deployment) >= started - 1:
            written = time.monotonic()
        if written is not None and time.monotonic() - written >= SETTLE:
            return 0, f"nxc start runs in the background (pid {proc.pid}, output in {p.paths.log})", ""
        if time.monotonic() > deadline or (cancel is not None and cancel()):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc = TIMEOUT_RC
            break
        time.sleep(POLL)
    _remove(p.paths.background)
    output = Path(p.paths.log).read_text(errors="replace")
    return rc, "", output


def _stat(pid: int) -> list[str] | None:
    """/proc/PID/stat from field 3 (the state) onwards, for a process that runs (not a zombie); else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": field 3 onwards
    return fields if len(fields) > 19 and fields[0] != "Z" else None


def _start_time(pid: int) -> int | None:
    """The process's start time (clock ticks since boot, /proc/PID/stat field 22): with the pid, it names
    one process, not a later one that got the same pid; None when PID does not run."""
    fields = _stat(pid)
    return int(fields[19]) if fields is not None else None


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def stop_background(paths: Paths, grace: float = STOP_GRACE) -> str:
    """Stop the background nxc start recorded in ``paths.background`` (vm), and only it: SIGINT, as nxc
    expects from a Ctrl-C (timeout(1) passes it on), then SIGKILL to its process group after GRACE
    seconds. Returns what was done; "" when nothing is recorded. A record whose process no longer runs
    (or whose pid now names another process) is forgotten without a signal."""
    record = _read_json(paths.background)
    if record is None:
        return ""
    pid, start_time = record.get("pid"), record.get("start_time")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 1 or start_time is None \
            or _start_time(pid) != start_time:
        _remove(paths.background)
        return f"the background nxc start of {paths.background} no longer runs"
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _start_time(pid) == start_time:
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our own child (the same process started it)
                break
        time.sleep(0.1)
    how = "stopped (SIGINT)"
    if _start_time(pid) == start_time:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        how = f"killed (SIGKILL to its process group, {grace:g} s after SIGINT)"
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    _remove(paths.background)
    return f"the background nxc start (pid {pid}) {how}"


def deployed(req: Request, p: Plan, *, not_older_than: float | None = None) -> list[dict[str, Any]]:
    """The deployed hosts, as the oar_nxc plugin describes them: [{name, groups, vars}]."""
    options = Options(job_id=req.job_id, private_key_file=req.private_key or None,
                      python_interpreter=req.python_interpreter)
    local = flavours_mod.FLAVOURS[req.flavour].local
    nodefile = p.paths.machine_file if not local and os.path.isfile(p.paths.machine_file) else None
    data = deployed_hosts(p.paths.deployment, nodefile_path=nodefile, options=options, not_older_than=not_older_than)
    hosts: list[dict[str, Any]] = data["hosts"]
    return hosts
