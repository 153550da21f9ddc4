"""The oar-nxc operations as Python functions, on ansible-runner.

    from oar_nxc import api
    result = api.deploy(api.Options(nodefile="OAR.1894417.stdout", flavour="g5k-nfs-store"))
    print(result.exit_code, result.checks, result.deployment_file)

Every function runs the project's playbook with the project's ansible.cfg (whatever the
current directory) and the ansible-playbook of this Python environment, and returns a
:class:`RunResult`. The run directory keeps ansible-runner's events (JSON), the smoke report
(report.json, junit.xml), the deployment file and the machine file, with no environment
variables in them.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from oar_nxc import nodefile as nodefile_mod
from oar_nxc.deployment import G5K_FLAVOURS
from oar_nxc.errors import ConfigError, OarNxcError
from oar_nxc.inventory import InventorySpec
from oar_nxc.progress import Progress
from oar_nxc.project import plays, project_dir

# Exit codes, documented in the README and `oar-nxc --help`
OK = 0
ERROR = 1  # an unexpected error of oar-nxc itself
BAD_INPUT = 2  # bad arguments, unreadable nodefile, preflight refused the inventory or options
FAILED_HOSTS = 3  # a task failed on a host
UNREACHABLE = 4  # a host could not be reached
SMOKE_FAILED = 5  # the deployment is up but OAR smoke checks failed
INTERRUPTED = 130  # Ctrl-C (SIGINT) or SIGTERM
EXIT_CODES = {OK: "success", ERROR: "internal error", BAD_INPUT: "bad input", FAILED_HOSTS: "failed hosts",
              UNREACHABLE: "unreachable hosts", SMOKE_FAILED: "smoke checks failed", INTERRUPTED: "interrupted"}

PREFLIGHT_PLAY = "Check the controller and the inventory"
SMOKE_VERDICT = "Check that no smoke check failed"


@dataclass
class Options:
    """What every operation accepts; the CLI maps its flags onto this."""

    nodefile: str | None = None
    flavour: str = "g5k-nfs-store"
    composition: str = "master"
    setup: str = ""
    nodes: int | None = None
    exclude: list[str] = field(default_factory=list)
    roles: dict[str, Any] = field(default_factory=dict)
    limit: str | None = None
    extra_vars: list[str] = field(default_factory=list)  # -e values: "k=v", "@file", JSON
    run_dir: str | None = None
    verbose: bool = False


@dataclass
class RunResult:
    command: str
    exit_code: int
    status: str  # ansible-runner status: successful, failed, canceled, timeout
    rc: int | None
    run_dir: str
    elapsed: float
    hosts: dict[str, dict[str, int]]  # per host: ok, changed, failures, dark (unreachable), skipped
    failures: list[str]  # "play / task @ host: message"
    checks: list[dict[str, Any]]  # the smoke checks: name, status, message, seconds
    deployment_file: str | None
    machine_file: str | None
    commands: list[dict[str, Any]] = field(default_factory=list)  # plan: the commands each step would run

    @property
    def meaning(self) -> str:
        return EXIT_CODES.get(self.exit_code, "unknown")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "meaning": self.meaning}


def composition_dir(project: Path, composition: str) -> Path:
    return Path(composition) if os.path.isabs(composition) else project / "compositions" / composition


def check_nodefile(path: str) -> None:
    """Refuse an unreadable or malformed nodefile before Ansible sees it (exit BAD_INPUT)."""
    nodefile_mod.load(path)


def _extravars(options: Options, extra: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"oar_nxc_flavour": options.flavour, "oar_nxc_composition": options.composition}
    if options.setup:
        out["oar_nxc_setup"] = options.setup
    if options.roles:
        out["oar_nxc_roles"] = options.roles
    out.update(extra)
    return out


def _cmdline(options: Options, more: list[str]) -> str:
    args = list(more)
    for value in options.extra_vars:
        args += ["-e", value]
    if options.limit:
        args += ["--limit", options.limit]
    return " ".join(shlex.quote(a) for a in args)


def _scrub(run_dir: Path) -> None:
    """ansible-runner writes the whole environment into artifacts/<ident>/command: drop it."""
    for command in run_dir.glob("artifacts/*/command"):
        data = json.loads(command.read_text())
        data.pop("env", None)
        command.write_text(json.dumps(data))
    for env_dir in run_dir.glob("env"):
        shutil.rmtree(env_dir, ignore_errors=True)


def run_playbook(command: str, playbook: str, options: Options, *, extra: dict[str, Any] | None = None,
                 cmdline: list[str] | None = None, out: TextIO | None = None, tty: bool | None = None) -> RunResult:
    import ansible_runner

    project = project_dir()
    if options.nodefile:
        check_nodefile(options.nodefile)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = Path(options.run_dir or Path.cwd() / "oar-nxc-runs" / f"{stamp}-{command}").resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    comp_dir = composition_dir(project, options.composition)
    envvars = {"ANSIBLE_CONFIG": str(project / "ansible.cfg")}
    if options.nodes is not None:
        envvars["OAR_NXC_NODES"] = str(options.nodes)
    if options.exclude:
        envvars["OAR_NXC_EXCLUDE"] = ",".join(options.exclude)
    extravars = _extravars(options, {"oar_nxc_report_dir": str(run_dir), **(extra or {})})
    progress = Progress(out or sys.stdout, plays(project / playbook), tty=tty, verbose=options.verbose)
    interrupted = {"flag": False}

    def on_signal(signum: int, frame: Any) -> None:
        interrupted["flag"] = True

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    events: list[dict[str, Any]] = []

    def handler(event: dict[str, Any]) -> bool:
        events.append(event)
        return progress(event)

    # the inventory plugin reads OAR_NXC_* from the environment; the ansible-playbook of this
    # Python environment comes first on PATH
    saved_path = os.environ.get("PATH", "")
    saved = {key: os.environ.get(key) for key in envvars}
    os.environ.update(envvars)
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{saved_path}"
    started = time.monotonic()
    try:
        runner = ansible_runner.run(
            private_data_dir=str(run_dir), project_dir=str(project), playbook=playbook,
            inventory=str(Path(options.nodefile).resolve()) if options.nodefile else None,
            extravars=extravars, cmdline=_cmdline(options, cmdline or []), envvars=envvars,
            event_handler=handler,
            cancel_callback=lambda: interrupted["flag"], quiet=True, suppress_env_files=True,
            ident="run", rotate_artifacts=0,
        )
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        os.environ["PATH"] = saved_path
        progress.finish()
    elapsed = time.monotonic() - started
    _scrub(run_dir)
    result = _collect(command, runner, events, run_dir, comp_dir, options, elapsed, interrupted["flag"])
    (run_dir / "summary.json").write_text(json.dumps(result.as_dict(), indent=1) + "\n")
    return result


def _collect(command: str, runner: Any, events: list[dict[str, Any]], run_dir: Path, comp_dir: Path,
             options: Options, elapsed: float, interrupted: bool) -> RunResult:
    hosts: dict[str, dict[str, int]] = {}
    failures: list[str] = []
    failed_plays: set[str] = set()
    failed_tasks: set[str] = set()
    unreachable = False
    commands: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        data = event.get("event_data", {})
        res = data.get("res", {}) if isinstance(data.get("res"), dict) else {}
        if kind == "runner_on_failed" and not data.get("ignore_errors"):
            failures.append(f"{data.get('play')} / {data.get('task')} @ {data.get('host')}: {res.get('msg', '')}")
            failed_plays.add(str(data.get("play")))
            failed_tasks.add(str(data.get("task")))
        elif kind == "runner_on_unreachable" and not data.get("ignore_unreachable"):
            unreachable = True
            failures.append(f"{data.get('play')} / {data.get('task')} @ {data.get('host')}: unreachable: "
                            f"{res.get('msg', '')}")
        elif kind == "runner_on_ok" and isinstance(res.get("msg"), dict) and "oar_nxc_step" in res["msg"]:
            commands.append(res["msg"])
        elif kind == "playbook_on_stats":
            for key in ("ok", "changed", "failures", "dark", "skipped"):
                for host, count in (data.get(key) or {}).items():
                    hosts.setdefault(host, {"ok": 0, "changed": 0, "failures": 0, "dark": 0, "skipped": 0})[key] = count
    if any(h["dark"] for h in hosts.values()):
        unreachable = True
    report = run_dir / "report.json"
    checks = json.loads(report.read_text())["checks"] if report.is_file() else []
    flavour_file = f"composition::{options.flavour}.json"
    deployment = comp_dir / "deploy" / flavour_file
    machines = comp_dir / ".oar-nxc" / f"machines-{options.flavour}"
    kept_deployment = kept_machines = None
    if deployment.is_file():
        kept_deployment = str(run_dir / "deployment.json")
        shutil.copyfile(deployment, kept_deployment)
    if machines.is_file() and options.flavour in G5K_FLAVOURS:
        kept_machines = str(run_dir / "machines")
        shutil.copyfile(machines, kept_machines)
    (run_dir / "stdout.txt").write_text("\n".join(e["stdout"] for e in events if e.get("stdout")) + "\n")
    status = getattr(runner, "status", "failed")
    rc = getattr(runner, "rc", None)
    if interrupted or status == "canceled":
        code = INTERRUPTED
    elif status == "successful" and rc == 0:
        code = OK
    elif PREFLIGHT_PLAY in failed_plays:
        code = BAD_INPUT
    elif unreachable:
        code = UNREACHABLE
    elif SMOKE_VERDICT in failed_tasks or any(c.get("status") == "failed" for c in checks):
        code = SMOKE_FAILED
    elif failures or rc:
        code = FAILED_HOSTS
    else:
        code = ERROR
    return RunResult(command=command, exit_code=code, status=status, rc=rc, run_dir=str(run_dir), elapsed=elapsed,
                     hosts=hosts, failures=failures, checks=checks, deployment_file=kept_deployment,
                     machine_file=kept_machines, commands=commands)


def deploy(options: Options, **kwargs: Any) -> RunResult:
    """nix, nxc build, nxc start, smoke tests (deploy.yml)."""
    return run_playbook("deploy", "deploy.yml", options, **kwargs)


def redeploy(options: Options, **kwargs: Any) -> RunResult:
    """nxc start again on the selected machines, no new reservation, no rebuild (redeploy.yml)."""
    return run_playbook("redeploy", "redeploy.yml", options, **kwargs)


def smoke(options: Options, **kwargs: Any) -> RunResult:
    """The OAR smoke tests on the current deployment (smoke.yml)."""
    return run_playbook("smoke", "smoke.yml", options, **kwargs)


def teardown(options: Options, *, release: bool = False, **kwargs: Any) -> RunResult:
    """Stop the composition; ``release`` also oardel's the reservation (teardown.yml)."""
    return run_playbook("teardown", "teardown.yml", options, extra={"oar_nxc_teardown_release": release}, **kwargs)


def plan(options: Options, **kwargs: Any) -> RunResult:
    """The commands each step of deploy.yml would run, from a --check run: nothing is run."""
    return run_playbook("plan", "deploy.yml", options, cmdline=["--check"], **kwargs)


def inventory(path: str, *, nodes: int | None = None, exclude: list[str] | None = None) -> InventorySpec:
    """The hosts, groups and variables the oar_nxc plugin makes of a nodefile or deployment file."""
    from oar_nxc import detect, sources

    if not os.path.isfile(path):
        raise ConfigError(f"{path}: no such file")
    request = sources.Request.for_file(path, detect.sniff(path), job_id=None, nodes=nodes, exclude=exclude or [],
                                       relax_host_key_checking=None, private_key_file=None, python_interpreter=None)
    return request.describe()


def parse_roles(items: list[str]) -> dict[str, Any]:
    from oar_nxc.composition import parse_assignments

    return parse_assignments(items, "--roles", names=True)


__all__ = ["BAD_INPUT", "ERROR", "EXIT_CODES", "FAILED_HOSTS", "G5K_FLAVOURS", "INTERRUPTED", "OK", "SMOKE_FAILED",
           "UNREACHABLE", "ConfigError", "OarNxcError", "Options", "RunResult", "deploy", "inventory", "parse_roles",
           "plan", "redeploy", "run_playbook", "smoke", "teardown"]
