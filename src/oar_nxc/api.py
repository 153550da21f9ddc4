"""The oar-nxc operations as Python functions, on ansible-runner.

    from oar_nxc import api
    result = api.deploy(api.Options(nodefile="OAR.1894417.stdout", flavour="g5k-nfs-store"))
    print(result.exit_code, result.checks, result.deployment_file)

Every function runs a playbook of the installed oar.nxc collection by FQCN (``oar.nxc.deploy``)
with the ansible-playbook of this Python environment, from the caller's directory (so the
caller's ansible.cfg and collections path apply), and returns a :class:`RunResult`. The
settings the run needs (the oar.nxc.oar_nxc inventory plugin first, unparsed sources fatal)
are passed to that one child process: nothing here changes ``os.environ``, the working
directory or the signal handlers of the caller, so the functions can be called from a thread.
Pass ``cancel=`` (a callable) to stop a run; the CLI does so from its SIGINT/SIGTERM handler.
The run directory keeps ansible-runner's events (JSON), the smoke report (report.json,
junit.xml, report.html with the run's phases on its timeline), the deployment file and the
machine file, with no environment variables in them.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from oar_nxc import collection as collection_mod
from oar_nxc import rundir, unsafe_vars, uservars
from oar_nxc.errors import (
    BAD_INPUT_SIGNAL,
    EXIT_SIGNAL,
    RESERVATION_SIGNAL,
    UNREACHABLE_SIGNAL,
    ConfigError,
    OarNxcError,
)
from oar_nxc.formats import flavours, reading
from oar_nxc.inventory import sources
from oar_nxc.inventory.spec import InventorySpec
from oar_nxc.progress import Progress

# forks: one per machine within these bounds (README, "How large a job"); ansible.cfg's 20 without a nodefile
FORKS_MIN, FORKS_CAP = 5, 50
# Exit codes, documented in the README and `oar-nxc --help`
OK = 0
ERROR = 1  # an unexpected error of oar-nxc itself
BAD_INPUT = 2  # bad arguments, unreadable nodefile, preflight refused the inventory or options
FAILED_HOSTS = 3  # a task failed on a host
UNREACHABLE = 4  # a host could not be reached
SMOKE_FAILED = 5  # the deployment is up but OAR smoke checks failed
RESERVATION = 6  # the OAR job: oarsub refused it, it did not run in time, or it ended before it ran (retryable)
INTERRUPTED = 130  # Ctrl-C (SIGINT) or SIGTERM
EXIT_CODES = {OK: "success", ERROR: "internal error", BAD_INPUT: "bad input", FAILED_HOSTS: "failed hosts",
              UNREACHABLE: "unreachable hosts", SMOKE_FAILED: "smoke checks failed", RESERVATION: "reservation failed",
              INTERRUPTED: "interrupted"}

# What the run needs from Ansible's configuration, whatever the caller's ansible.cfg says:
# the oar.nxc.oar_nxc plugin first, no `ini` (it accepts any file, so a nodefile oar_nxc
# rejected would come back as an INI inventory), a source nobody parsed is an error, and the
# yaml plugin leaves .json (nxc deployment files) to oar_nxc.
ANSIBLE_SETTINGS = {
    "ANSIBLE_INVENTORY_ENABLED": f"{collection_mod.FQCN}.oar_nxc,host_list,script,auto,yaml,toml",
    "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
    "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "True",
    "ANSIBLE_YAML_FILENAME_EXT": ".yaml,.yml",
    "ANSIBLE_RETRY_FILES_ENABLED": "False",
}


@dataclass
class Options:
    """What every operation accepts; the CLI maps its flags onto this."""

    nodefile: str | None = None
    # None: not given, so not passed to Ansible, and the inventory's group_vars (or the settings' defaults) decide
    flavour: str | None = None
    composition: str | None = None
    setup: str = ""
    nodes: int | None = None
    exclude: list[str] = field(default_factory=list)
    roles: dict[str, Any] = field(default_factory=dict)
    extra_vars: list[str] = field(default_factory=list)  # -e values: "k=v", "@file", JSON
    run_dir: str | None = None
    verbose: bool = False
    cwd: str | None = None  # where ansible-playbook runs (its ansible.cfg applies); default: the current directory
    min_machines: int | None = None  # the preflight refuses fewer reserved machines (oar_nxc_min_machines)


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
    # the preflight's findings on the reservation (the OAR job, the machines' ssh ports): check, message,
    # refuse; a plan lists them, a deploy refuses on those marked refuse
    findings: list[dict[str, Any]] = field(default_factory=list)
    phases: list[dict[str, Any]] = field(default_factory=list)  # each play: name, seconds, start, in order
    report_html: str | None = None  # the smoke report's page, with the run's phases on its timeline
    # run: the OAR job it held (job.json: id, state, machines) and who released it (guard: released, kept,
    # released by the guard); None when it reserved none
    job: dict[str, Any] | None = None
    # what ran, for the status table (oar-nxc report --table): the composition (its name, and its directory
    # when given as a path), the flavour, when the run started (epoch seconds) and the commit of the
    # composition's git checkout ('' outside one)
    composition: str = ""
    composition_dir: str = ""
    flavour: str = ""
    started: float = 0.0
    commit: str = ""

    @property
    def meaning(self) -> str:
        return EXIT_CODES.get(self.exit_code, "unknown")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "meaning": self.meaning}


G5K_FLAVOURS = flavours.G5K  # the flavours that deploy on reserved machines
REFUSALS = "refusals.jsonl"  # in the run directory: the inventory plugin's refusals ($OAR_NXC_REFUSALS)


def check_nodefile(path: str, options: Options | None = None) -> int:
    """Refuse, before Ansible sees it, what the oar_nxc plugin would refuse (exit BAD_INPUT): the
    file, and the selection --nodes/--exclude makes of it. The number of hosts it gives."""
    spec = inventory(path, nodes=options.nodes if options else None, exclude=options.exclude if options else None,
                     job_id=os.environ.get("OAR_JOB_ID"), live_job="never")
    return len(spec.hosts)


def forks_for(machines: int) -> int:
    """ansible-playbook's forks for a run on MACHINES hosts: one per host, within FORKS_MIN and FORKS_CAP. The
    collection's playbooks run no task per host on their default path (the checks of every host are one
    controller-side task each), so forks only serve a user's own plays over the machines."""
    return max(FORKS_MIN, min(FORKS_CAP, machines))


def composition_dir(options: Options, cwd: Path) -> Path | None:
    """The composition's directory when ``options.composition`` is a path (it holds a ``/`` or starts with
    ``.``), relative to ``cwd``; None for a name, which the playbooks look up in ``oar_nxc_compositions_dir``."""
    text = options.composition
    if text is None or ("/" not in text and not text.startswith(".")):
        return None
    return (cwd / text).resolve()


def git_commit(directory: Path | None) -> str:
    """The commit checked out where ``directory`` is ('' when it is not in a git checkout, or git is missing)."""
    import subprocess

    if directory is None or not directory.is_dir():
        return ""
    from oar_nxc import bounded

    try:
        done = bounded.run(["git", "-C", str(directory), "rev-parse", "HEAD"], timeout=10, limit=4096)
    except (OSError, subprocess.SubprocessError, bounded.OutputTooLarge):
        return ""
    commit = done.stdout.decode("ascii", "replace").strip()
    return commit if done.returncode == 0 and len(commit) in (40, 64) and commit.isalnum() else ""


def _extravars(options: Options, extra: dict[str, Any], cwd: Path | None = None) -> dict[str, Any]:
    path = composition_dir(options, cwd or Path.cwd())
    out: dict[str, Any] = {}
    if options.flavour is not None:
        out["oar_nxc_flavour"] = options.flavour
    if path is not None or options.composition is not None:
        out["oar_nxc_composition"] = str(path) if path else options.composition
    if options.setup:
        out["oar_nxc_setup"] = options.setup
    if options.roles:
        out["oar_nxc_roles"] = options.roles
    if options.min_machines is not None:
        out["oar_nxc_min_machines"] = options.min_machines
    out.update(extra)
    return out


def _cmdline(options: Options, more: list[str], extravars_file: Path | None = None) -> str:
    """ansible-playbook's arguments: MORE, the CLI's own variables (-e @FILE, data only), then the user's -e."""
    args = list(more)
    if extravars_file is not None:
        args += ["-e", f"@{extravars_file}"]
    for value in options.extra_vars:
        args += ["-e", value]
    return " ".join(shlex.quote(a) for a in args)


def _scrub(run_dir: Path) -> None:
    """ansible-runner writes the whole environment into artifacts/<ident>/command: drop it. Only in the run
    directory oar-nxc made (rundir.prepare); what is not runner's JSON object there is removed, unread."""
    for command in run_dir.glob("artifacts/*/command"):
        try:
            data = json.loads(reading.read_bytes(str(command), "ansible-runner's command record")) \
                if command.is_file() and not command.is_symlink() else None
        except (OarNxcError, ValueError, RecursionError):
            data = None
        if isinstance(data, dict):
            data.pop("env", None)
            command.write_text(json.dumps(data))
        else:
            command.unlink(missing_ok=True)
    env_dir = run_dir / "env"
    if env_dir.is_dir() and not env_dir.is_symlink():
        shutil.rmtree(env_dir, ignore_errors=True)


def run_playbook(command: str, playbook: str, options: Options, *, extra: dict[str, Any] | None = None,
                 cmdline: list[str] | None = None, out: TextIO | None = None, tty: bool | None = None,
                 cancel: Callable[[], bool] | None = None) -> RunResult:
    """Run the collection's playbook ``playbook`` (``deploy`` or ``oar.nxc.deploy``)."""
    import ansible_runner

    uservars.check(options.extra_vars)  # the user's -e values Ansible could not read: refused, naming them
    forks: list[str] = []
    if options.nodefile:  # bad input first, before anything about this machine
        forks = ["--forks", str(forks_for(check_nodefile(options.nodefile, options)))]
    cwd = Path(options.cwd or Path.cwd()).resolve()
    collection = collection_mod.locate(cwd)
    fqcn = f"{collection_mod.FQCN}.{playbook.removeprefix(collection_mod.FQCN + '.').removesuffix('.yml')}"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = rundir.prepare(Path(options.run_dir or cwd / "oar-nxc-runs" / f"{stamp}-{command}").resolve())
    bin_dir = Path(sys.executable).parent
    # for the child process only: the ansible-playbook of this Python environment first on PATH
    # (ansible-runner's `binary=` would switch it to raw mode, without the playbook argument)
    envvars = {**ANSIBLE_SETTINGS, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}"}
    (run_dir / REFUSALS).unlink(missing_ok=True)  # an earlier run's, in a run directory given again
    envvars[sources.REFUSALS_ENV] = str(run_dir / REFUSALS)
    if options.nodes is not None:
        envvars["OAR_NXC_NODES"] = str(options.nodes)
    if options.exclude:
        envvars["OAR_NXC_EXCLUDE"] = ",".join(options.exclude)
    extravars = _extravars(options, {"oar_nxc_report_dir": str(run_dir), **(extra or {})}, cwd)
    progress = Progress(out or sys.stdout, collection_mod.plays(collection, fqcn), tty=tty, verbose=options.verbose)
    events: list[dict[str, Any]] = []

    def handler(event: dict[str, Any]) -> bool:
        events.append(event)
        return progress(event)

    started, started_at = time.monotonic(), time.time()
    try:
        # an explicit cancel_callback also keeps ansible-runner from installing its own signal handlers
        runner = ansible_runner.run(
            private_data_dir=str(run_dir), project_dir=str(cwd), playbook=fqcn,
            inventory=str(Path(options.nodefile).resolve()) if options.nodefile else None,
            cmdline=_cmdline(options, [*forks, *(cmdline or [])], unsafe_vars.write(run_dir, extravars)),
            envvars=envvars,
            event_handler=handler, cancel_callback=cancel or (lambda: False), quiet=True,
            suppress_env_files=True, ident="run", rotate_artifacts=0,
        )
    finally:
        progress.finish()
    elapsed = time.monotonic() - started
    _scrub(run_dir)
    interrupted = bool(cancel and cancel())
    result = _collect(command, runner, events, run_dir, elapsed, interrupted)
    path = composition_dir(options, cwd)
    result.composition = path.name if path else (options.composition or result.composition)
    result.composition_dir = str(path) if path else result.composition_dir
    result.flavour = options.flavour or result.flavour  # the preflight's when not given
    result.started = round(started_at, 3)
    result.commit = git_commit(path or collection / "compositions")
    (run_dir / "summary.json").write_text(json.dumps(result.as_dict(), indent=1) + "\n")
    return result


def read_refusals(path: Path, limit: int = 1 << 20) -> list[str]:
    """The messages of the inventory plugin's refusals (sources.record_refusal), in order; a line that is not
    one of its records is skipped (the file is ours, but bounded and read defensively all the same)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            text = handle.read(limit)
    except FileNotFoundError:
        return []
    found: list[str] = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("message"), str):
            found.append(record["message"])
    return found


def _collect(command: str, runner: Any, events: list[dict[str, Any]], run_dir: Path, elapsed: float,
             interrupted: bool) -> RunResult:
    hosts: dict[str, dict[str, int]] = {}
    failures: list[str] = []
    bad_input = False
    reservation = False
    unreachable = False
    commands: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    deployment_file, machine_lines = "", list[str]()
    flavour = ""
    for event in events:
        kind = event.get("event")
        data = event.get("event_data", {})
        res = data.get("res", {}) if isinstance(data.get("res"), dict) else {}
        if kind == "runner_on_failed" and not data.get("ignore_errors"):
            failures.append(f"{data.get('play')} / {data.get('task')} @ {data.get('host')}: {res.get('msg', '')}")
            if res.get(EXIT_SIGNAL) == BAD_INPUT_SIGNAL:  # the preflight action's refusal
                bad_input = True
            elif res.get(EXIT_SIGNAL) == RESERVATION_SIGNAL:  # oar.nxc.oar_job: OAR refused or did not run the job
                reservation = True
            elif res.get(EXIT_SIGNAL) == UNREACHABLE_SIGNAL:  # oar.nxc.nxc_roles: hosts that never answered
                unreachable = True
        elif kind == "runner_on_unreachable" and not data.get("ignore_unreachable"):
            unreachable = True
            failures.append(f"{data.get('play')} / {data.get('task')} @ {data.get('host')}: unreachable: "
                            f"{res.get('msg', '')}")
        if kind in ("runner_on_ok", "runner_on_failed") and isinstance(res.get("deployment_file"), str):
            deployment_file, machine_lines = res["deployment_file"], list(res.get("machines") or [])  # nxc_start's
        if kind == "runner_on_ok" and isinstance(res.get("findings"), list):  # the preflight's
            findings.extend(f for f in res["findings"] if isinstance(f, dict))
        if kind == "runner_on_ok" and "ansible_core" in res and isinstance(res.get("flavour"), str):
            flavour = res["flavour"]  # the preflight's: the flavour the run used, wherever it was set
        if kind == "runner_on_ok" and isinstance(res.get("plan"), dict):  # a module's own plan of its step
            plan = res["plan"]
            commands.append({"oar_nxc_step": plan.get("step"), **{k: plan.get(k) for k in ("command", "cwd", "run",
                                                                                           "why", "inputs")}})
        elif kind == "playbook_on_stats":
            for key in ("ok", "changed", "failures", "dark", "skipped"):
                for host, count in (data.get(key) or {}).items():
                    hosts.setdefault(host, {"ok": 0, "changed": 0, "failures": 0, "dark": 0, "skipped": 0})[key] = count
    if any(h["dark"] for h in hosts.values()):
        unreachable = True
    # the inventory plugin's refusal (it stops ansible-playbook before any play): its first error first
    refusals = read_refusals(run_dir / REFUSALS)
    if refusals:
        failures.insert(0, f"oar_nxc: {refusals[0]}")
        bad_input = True
    report = run_dir / "report.json"
    smoke_report: dict[str, Any] = {}
    if report.exists() or report.is_symlink():
        try:
            smoke_report = reading.load_record(str(report), "state record")
        except OarNxcError as exc:
            failures.append(f"the smoke report is not one: {exc}")
    checks = [c for c in smoke_report.get("checks", []) if isinstance(c, dict)] \
        if isinstance(smoke_report.get("checks"), list) else []
    phases = phases_of(events)
    report_html = None
    if smoke_report:  # the page again, with the phases of the whole run on its timeline
        from oar_nxc.smoke import reports

        report_html = str(run_dir / "report.html")
        Path(report_html).write_text(reports.html(smoke_report, phases), encoding="utf-8")
    # the deployment file and machine file the run used, as oar.nxc.nxc_start reported them
    kept_deployment = kept_machines = None
    if deployment_file and os.path.isfile(deployment_file):
        kept_deployment = str(run_dir / "deployment.json")
        shutil.copyfile(deployment_file, kept_deployment)
    if machine_lines:
        kept_machines = str(run_dir / "machines")
        Path(kept_machines).write_text("".join(f"{m}\n" for m in machine_lines))
    (run_dir / "stdout.txt").write_text("\n".join(e["stdout"] for e in events if e.get("stdout")) + "\n")
    status = getattr(runner, "status", "failed")
    rc = getattr(runner, "rc", None)
    if interrupted or status == "canceled":
        code = INTERRUPTED
    elif status == "successful" and rc == 0:
        code = OK
    elif reservation:
        code = RESERVATION
    elif bad_input:
        code = BAD_INPUT
    elif unreachable:
        code = UNREACHABLE
    elif any(c.get("status") == "failed" for c in checks):  # the smoke report of this run
        code = SMOKE_FAILED
    elif failures or rc:
        code = FAILED_HOSTS
    else:
        code = ERROR
    return RunResult(command=command, exit_code=code, status=status, rc=rc, run_dir=str(run_dir), elapsed=elapsed,
                     hosts=hosts, failures=failures, checks=checks, deployment_file=kept_deployment,
                     machine_file=kept_machines, commands=commands, findings=findings, phases=phases,
                     report_html=report_html, flavour=flavour,
                     # <composition>/deploy/<name>::<flavour>.json: the composition the run deployed
                     composition=Path(deployment_file).parent.parent.name if deployment_file else "",
                     composition_dir=str(Path(deployment_file).parent.parent) if deployment_file else "")


def phases_of(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each play's name, wall time and start (epoch seconds), from the runner events' timestamps (a
    play lasts until the next play starts, the last one until the stats)."""
    from datetime import datetime

    marks: list[tuple[str, float]] = []
    for event in events:
        kind = event.get("event")
        if kind in ("playbook_on_play_start", "playbook_on_stats") and event.get("created"):
            try:
                when = datetime.fromisoformat(str(event["created"]).replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
            marks.append((str(event.get("event_data", {}).get("name", "")) if kind != "playbook_on_stats" else "",
                          when))
    marks.sort(key=lambda mark: mark[1])
    return [{"name": name, "seconds": round(marks[i + 1][1] - when, 1), "started": round(when, 3)}
            for i, (name, when) in enumerate(marks[:-1]) if name]


def deploy(options: Options, **kwargs: Any) -> RunResult:
    """nix, nxc build, nxc start, smoke tests (deploy.yml)."""
    return run_playbook("deploy", "deploy", options, **kwargs)


def dev(options: Options, **kwargs: Any) -> RunResult:
    """The OAR developer's loop with a setup variant that points OAR's src at a checkout: rebuild
    only if an input (the checkout included) changed, start again on the machines already held
    only if the build changed, then the smoke tests (deploy.yml, the variant required)."""
    if not options.setup:
        raise ConfigError("dev needs --setup VARIANT: the setup.toml variant whose build.<package>.src is your OAR "
                          "checkout (compositions/master: laptop or g5k-dev)")
    return run_playbook("dev", "deploy", options, **kwargs)


def redeploy(options: Options, **kwargs: Any) -> RunResult:
    """nxc start again on the selected machines, no new reservation, no rebuild (redeploy.yml)."""
    return run_playbook("redeploy", "redeploy", options, **kwargs)


def smoke(options: Options, **kwargs: Any) -> RunResult:
    """The OAR smoke tests on the current deployment (smoke.yml)."""
    return run_playbook("smoke", "smoke", options, **kwargs)


def teardown(options: Options, *, release: bool = False, **kwargs: Any) -> RunResult:
    """Stop the composition; ``release`` also oardel's the reservation (teardown.yml)."""
    return run_playbook("teardown", "teardown", options, extra={"oar_nxc_teardown_release": release}, **kwargs)


def run(options: Options, *, job: dict[str, Any] | None = None, keep_job: bool = False,
        **kwargs: Any) -> RunResult:
    """Reserve (or reuse by name) the OAR job ``job`` asks for (its keys: ``ansible-doc oar.nxc.oar_job``,
    option request), deploy, smoke-test, collect and release it (run.yml); with ``options.nodefile``
    the job of that nodefile is used and never released. The job it reserved is released whatever
    ends the run, ``cancel`` included, before this returns; ``keep_job`` keeps it for the next run."""
    from oar_nxc.oar import guard as jobguard
    from oar_nxc.oar import request as jobrequest

    if job is not None and not options.nodefile:
        jobrequest.from_mapping(job, "job")  # bad input first: before Ansible starts
    extra: dict[str, Any] = {"oar_nxc_keep_job": keep_job}
    if job is not None:
        extra["oar_nxc_job"] = job
    result = run_playbook("run", "run", options, extra=extra, **kwargs)
    record = Path(result.run_dir) / "job.json"
    if record.is_file():
        result.job = jobguard.wait(record)
        result.job.pop("release_argv", None)
        result.job.pop("state_argv", None)
        (Path(result.run_dir) / "summary.json").write_text(json.dumps(result.as_dict(), indent=1) + "\n")
    return result


def release(run_dir: str) -> tuple[int, str]:
    """Make sure the OAR job that ``oar-nxc run`` or ``submit`` recorded in ``run_dir/job.json`` has ended
    (a CI job's ``after_script``: the run may have been cancelled, or killed with its guard): OK and what was
    done, or ERROR when OAR still runs the job after the release. No record: OK, nothing to release (the run
    ended before it reserved a job). A record that is not one: BAD_INPUT, and nothing runs."""
    from oar_nxc.oar import guard as jobguard

    record = Path(run_dir) / "job.json"
    if not os.path.lexists(record):
        return OK, f"{record}: no OAR job recorded there, nothing to release"
    try:
        ended, said = jobguard.release_now(record)
    except OarNxcError as exc:  # not a job record (a special file, too large, garbage, a bad key): never run
        return BAD_INPUT, f"{exc}: nothing released"
    return (OK if ended else ERROR), said


def plan(options: Options, **kwargs: Any) -> RunResult:
    """The commands each step of deploy.yml would run, from a --check run: nothing is run."""
    return run_playbook("plan", "deploy", options, cmdline=["--check"], **kwargs)


NOT_OURS = ("the oar_nxc plugin does not read this file, so Ansible would hand it to its yaml, toml or script "
            "plugin: a nodefile has no .yml, .yaml, .toml, .cfg, .py or .sh extension and no execute bit; a deployment "
            "file is named <composition>::<flavour>[::<tag>].json")


def inventory(path: str, *, nodes: int | None = None, exclude: list[str] | None = None,
              job_id: str | None = None, live_job: str = "auto", properties_file: str | None = None) -> InventorySpec:
    """The hosts, groups and variables the oar_nxc plugin makes of a nodefile or deployment file, or
    the error it would give; with ``live_job`` (auto, always, never) what OAR knows of the job, and
    in ``notes`` why it could not be read."""
    from oar_nxc.errors import SourceError
    from oar_nxc.formats import detect
    from oar_nxc.inventory import sources

    kind = detect.sniff(path)
    if kind is None:
        if not os.path.lexists(path):
            raise SourceError(path, "no such file")
        if os.path.isdir(path):
            raise SourceError(path, "is a directory: give the nodefile or deployment file itself")
        raise SourceError(path, NOT_OURS)
    if kind == "config":
        return _config_inventory(path, nodes=nodes, exclude=exclude)
    request = sources.Request.for_file(
        path, kind, job_id=job_id, nodes=nodes, exclude=exclude or [], relax_host_key_checking=None,
        private_key_file=None, python_interpreter=None, live_job=live_job, properties_file=properties_file,
        origins={"nodes": "--nodes", "exclude": "--exclude", "job_id": "$OAR_JOB_ID", "live_job": "$OAR_NXC_LIVE_JOB",
                 "properties_file": "$OAR_RESOURCE_PROPERTIES_FILE"})
    return request.describe()


# a configuration's keys that only ansible-inventory applies (Jinja, the cache): read, not applied here
ANSIBLE_ONLY_KEYS = ("compose", "groups", "keyed_groups", "strict", "leading_separator", "use_extra_vars", "cache",
                     "cache_plugin", "cache_timeout", "cache_connection", "cache_prefix")


def _config_inventory(path: str, *, nodes: int | None, exclude: list[str] | None) -> InventorySpec:
    """A ``plugin: oar.nxc.oar_nxc`` configuration as the plugin reads it: its keys first, then the options'
    environment variables, --nodes and --exclude over both."""
    from oar_nxc.errors import SourceError
    from oar_nxc.inventory import sources

    data = sources.check_config_file(path)
    if not isinstance(data, dict):
        raise SourceError(path, "is not a YAML mapping of options")
    if data.get("plugin") not in sources.PLUGIN_NAMES:
        raise SourceError(path, f"is not a configuration of oar.nxc.oar_nxc ({', '.join(sources.PLUGIN_NAMES)})",
                          key="plugin")
    known = set(sources.COMMON_OPTIONS) | set(sources.CONFIG_OPTIONS) | set(ANSIBLE_ONLY_KEYS)
    sources.check_config_keys(data, path, known)
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for name in ("nodefile", *sources.COMMON_OPTIONS):
        if data.get(name) is not None:
            values[name] = data[name]
        elif os.environ.get(sources.OPTION_ENV.get(name, "")):
            values[name] = os.environ[sources.OPTION_ENV[name]]
            origins[name] = f"${sources.OPTION_ENV[name]}"
    if nodes is not None:
        values["nodes"], origins["nodes"] = nodes, "--nodes"
    if exclude:
        values["exclude"], origins["exclude"] = exclude, "--exclude"
    request = sources.Request.for_config(path, nodefile=values.pop("nodefile", None),
                                         deployment=data.get("deployment"), tag=data.get("tag"),
                                         flavour=data.get("flavour"), origins=origins, **values)
    spec = request.describe()
    ignored = sorted(k for k in data if k in ANSIBLE_ONLY_KEYS)
    if ignored:
        spec.notes.append(f"{path}: {', '.join(ignored)} applied by ansible-inventory only (Jinja or the cache): "
                          "not shown here")
    return spec


def parse_roles(items: list[str]) -> dict[str, Any]:
    from oar_nxc.formats.composition import parse_assignments

    return parse_assignments(items, "--roles", names=True)


__all__ = ["BAD_INPUT", "ERROR", "EXIT_CODES", "FAILED_HOSTS", "G5K_FLAVOURS", "INTERRUPTED", "OK", "RESERVATION",
           "SMOKE_FAILED", "UNREACHABLE", "ConfigError", "OarNxcError", "Options", "RunResult", "deploy", "dev",
           "inventory", "parse_roles", "phases_of", "plan", "redeploy", "release", "run", "run_playbook", "smoke",
           "teardown"]
