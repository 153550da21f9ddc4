"""oar-nxc: deploy and test OAR compositions built with NixOS-Compose, on reserved nodes.

  oar-nxc deploy   [--nodefile F] [--flavour F] [--composition C] [--setup V] [--nodes N] [--exclude P]
  oar-nxc redeploy [same]              nxc start again on the machines you hold (no rebuild)
  oar-nxc smoke    [same]              the OAR smoke tests on the current deployment
  oar-nxc plan     [same]              the commands each step would run, without running them
  oar-nxc teardown [same] [--release]  stop the composition (and oardel the job)
  oar-nxc run      [same] [--job-nodes N] [--walltime W] [--job-type T] [--keep-job] ...
                   reserve (or reuse by name) an OAR job, deploy, smoke, collect, release it
  oar-nxc submit   [same as run] [--follow] [--dry-run]
                   an OAR batch job that runs `oar-nxc run` inside the job, on $OAR_NODEFILE
  oar-nxc release  RUN_DIR             make sure the OAR job recorded in RUN_DIR/job.json has ended
                                       (a CI job's after_script, after a cancel or a timeout)
  oar-nxc report   --table DIR...      the compositions' status table from the runs' summary.json
  oar-nxc inventory FILE               the groups and hosts a nodefile or deployment file gives

Exit codes: 0 success, 1 internal error, 2 bad input, 3 failed hosts, 4 unreachable hosts,
5 smoke checks failed, 6 reservation failed (oarsub refused the OAR job, or it did not run in
time: an infrastructure failure a CI job may retry), 130 interrupted (Ctrl-C; run the same
command again to resume: built and deployed steps are skipped).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from oar_nxc import api
from oar_nxc.errors import OarNxcError
from oar_nxc.formats import flavours
from oar_nxc.inventory.spec import InventorySpec
from oar_nxc.terminal import shown

RUN_COMMANDS = ("deploy", "redeploy", "smoke", "plan", "teardown", "run")
MAX_MACHINES = 100_000  # the most --nodes and --min-machines may say (oar_nxc.oar.request.MAX_NODES)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oar-nxc", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--nodefile", default=os.environ.get("OAR_NODEFILE"),
                        help="OAR nodefile or OAR.<id>.stdout (default: $OAR_NODEFILE); none for docker and vm")
    common.add_argument("--flavour", choices=flavours.NAMES,
                        help=f"default: oar_nxc_flavour from your inventory's group_vars, else {flavours.DEFAULT}")
    common.add_argument("--composition",
                        help="a directory of compositions/, or a path (default: oar_nxc_composition, else master)")
    common.add_argument("--setup", default="", help="setup variant of setup.toml (nxc build -s)")
    common.add_argument("--nodes", type=int, help="use only the first N reserved machines")
    common.add_argument("--min-machines", type=int, metavar="N",
                        help="refuse to build or deploy on fewer than N reserved machines (the preflight)")
    common.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                        help="leave out the machines matching PATTERN (fnmatch; repeatable)")
    common.add_argument("--roles", action="append", default=[], metavar="ROLE=N",
                        help="hosts per role for nxc start -r: node=3 or node=a,b (repeatable)")
    common.add_argument("-e", "--extra-vars", action="append", default=[], metavar="VARS",
                        help="passed to ansible-playbook -e (k=v, JSON, @file)")
    common.add_argument("--run-dir",
                        help="where to keep events, reports and files (default ./oar-nxc-runs/<time>-<command>): "
                             "a new or empty directory, or one oar-nxc made")
    common.add_argument("-v", "--verbose", action="store_true", help="show Ansible's own output instead of progress")
    common.add_argument("--json", action="store_true", help="print the result as JSON at the end")
    for name, text in (("deploy", "nix, nxc build, nxc start and the OAR smoke tests"),
                       ("dev", "the OAR developer's loop with --setup VARIANT (its build.<package>.src is your "
                               "checkout): rebuild if an input changed, start again if the build changed, smoke"),
                       ("redeploy", "nxc start again on the selected machines: no new reservation, no rebuild"),
                       ("smoke", "the OAR smoke tests on the current deployment"),
                       ("plan", "print the commands each step would run, without running them"),
                       ("teardown", "stop the composition"),
                       ("run", "reserve (or reuse by name) an OAR job, deploy, smoke-test, collect, release it"),
                       ("submit", "an OAR batch job that runs `oar-nxc run` inside the job, from its first machine")):
        cmd = sub.add_parser(name, parents=[common], help=text, description=text)
        if name == "teardown":
            cmd.add_argument("--release", action="store_true", help="also oardel the job of the reserved machines")
        if name in ("run", "submit"):
            _job_arguments(cmd, batch=name == "submit")
    rel = sub.add_parser("release", help="make sure the OAR job recorded in RUN_DIR/job.json has ended",
                         description="Make sure the OAR job that oar-nxc run or submit recorded in RUN_DIR/job.json "
                                     "has ended: wait for a guard at work, else oardel it (a CI job's after_script, "
                                     "after a cancel or a timeout). A job kept (--keep-job) or given is left.")
    rel.add_argument("run_dir", metavar="RUN_DIR")
    rep = sub.add_parser("report", help="the compositions' status table from the runs' summary.json")
    rep.add_argument("--table", nargs="+", required=True, metavar="DIR",
                     help="run directories, or directories of them (their summary.json files)")
    rep.add_argument("--compositions", metavar="DIR",
                     help="where each composition's README.md gives its description (its first heading)")
    rep.add_argument("--update", metavar="FILE",
                     help="write the table into FILE (a README) between its generated-table lines instead")
    rep.add_argument("--link-base", default="", metavar="URL",
                     help="the links to report.html: URL + the report's path relative to the current directory "
                          "(default: that relative path)")
    inv = sub.add_parser("inventory", help="the groups and hosts of a nodefile or deployment file")
    inv.add_argument("file")
    inv.add_argument("--nodes", type=int)
    inv.add_argument("--exclude", action="append", default=[])
    return parser


def _job_arguments(cmd: argparse.ArgumentParser, *, batch: bool) -> None:
    job = cmd.add_argument_group("the OAR job (ansible-doc oar.nxc.oar_job: option request)")
    job.add_argument("--job-nodes", type=int, metavar="N", help="machines to reserve (oarsub -l nodes=N)")
    job.add_argument("--resources", help="instead of --job-nodes, an OAR resource hierarchy without the walltime: "
                                         "{cluster='x'}/nodes=2")
    job.add_argument("--walltime", help="H:MM:SS (default 1:00:00)")
    job.add_argument("--job-type", action="append", default=[], metavar="TYPE", help="oarsub -t (repeatable)")
    job.add_argument("--queue")
    job.add_argument("--project")
    job.add_argument("--properties", help="oarsub -p SQL")
    job.add_argument("--cluster", help="only this cluster's machines (adds cluster='NAME' to the properties)")
    job.add_argument("--job-name", help="the job's name, the key of reuse (default oar-nxc)")
    if batch:
        job.add_argument("--follow", action="store_true",
                         help="stream the job's stdout and stderr until it ends; exit with its exit status")
        job.add_argument("--dry-run", action="store_true", help="print the job script and the oarsub command only")
        job.add_argument("--user", default="", help="submit as this user (su - USER; default: you)")
    else:
        job.add_argument("--reservation", help="oarsub -r 'YYYY-MM-DD HH:MM:SS'")
        job.add_argument("--keep-job", action="store_true", help="keep the job for the next run (it reuses it by name)")


# the flag of each key of the job request (a bad value's message names the flag the user typed)
JOB_FLAGS = {"nodes": "--job-nodes", "resources": "--resources", "walltime": "--walltime", "types": "--job-type",
             "queue": "--queue", "project": "--project", "properties": "--properties", "cluster": "--cluster",
             "name": "--job-name", "reservation": "--reservation"}
_JOB_KEY = re.compile(r"\bjob\.(\w+)(?:\[\d+\])?")


def flag_names(message: str) -> str:
    """``job.walltime: ...`` -> ``--walltime: ...``."""
    return _JOB_KEY.sub(lambda m: JOB_FLAGS.get(m.group(1), m.group(0)), message)


def check_flags(args: argparse.Namespace) -> None:
    """What argparse cannot refuse, refused before anything starts (exit 2), naming the flag."""
    if getattr(args, "composition", None) == "":
        raise OarNxcError("--composition: empty: give a directory of compositions/ (master) or a path")
    nodes, minimum = getattr(args, "nodes", None), getattr(args, "min_machines", None)
    if nodes is not None and not 1 <= nodes <= MAX_MACHINES:  # worded as the inventory's own check says it
        raise OarNxcError(f"--nodes: '{nodes}' is not a positive number of hosts")
    if minimum is not None and not 0 <= minimum <= MAX_MACHINES:  # 0: no minimum, as the preflight takes it
        raise OarNxcError(f"--min-machines: '{minimum}' is not a number of machines (0: no minimum)")
    if args.command == "run" and args.nodefile:
        given = [flag for key, flag in JOB_FLAGS.items()
                 if key != "name" and getattr(args, _ARG_OF.get(key, key), None) not in (None, "", [])]
        if given:
            raise OarNxcError(f"{', '.join(given)}: ask OAR for a job, but --nodefile (or $OAR_NODEFILE) names the "
                              "machines of a job you hold already: give one or the other")


# the argparse destination of a job key's flag, where it differs from the key
_ARG_OF = {"nodes": "job_nodes", "types": "job_type", "name": "job_name"}


def job_request(args: argparse.Namespace) -> dict[str, Any]:
    """The ``oar_nxc_job`` of the run/submit flags (checked by oar_nxc.oar.request, naming the flag's key)."""
    pairs = {"nodes": args.job_nodes, "resources": args.resources, "walltime": args.walltime,
             "types": args.job_type or None, "queue": args.queue, "project": args.project,
             "properties": args.properties, "cluster": args.cluster, "name": args.job_name,
             "reservation": getattr(args, "reservation", None)}
    return {k: v for k, v in pairs.items() if v not in (None, "")}


def ci_timeout_warning(request: dict[str, Any], environ: Mapping[str, str] | None = None) -> str | None:
    """In a GitLab CI job (``CI_JOB_TIMEOUT``, seconds), a warning when the job's timeout is not below the OAR
    walltime: OAR would end the job (and the deployment under test) before GitLab stops the CI job."""
    from oar_nxc.oar import request as jobrequest

    given = str((os.environ if environ is None else environ).get("CI_JOB_TIMEOUT", ""))
    if not re.fullmatch(r"[0-9]{1,9}", given, re.ASCII):  # not '²' (isdigit), not 5000 digits: no timeout known
        return None
    try:
        walltime = jobrequest.from_mapping(request, "job").walltime_seconds
    except OarNxcError:
        return None  # the request's own error comes next, naming the flag
    if int(given) < walltime:
        return None
    return (f"the CI job's timeout ({int(given)} s) is not below the OAR walltime ({walltime} s): OAR may end the job "
            "before GitLab stops the CI job; give the CI job a shorter timeout: or the OAR job a longer --walltime")


def tree(spec: InventorySpec) -> str:
    """Groups and their hosts, with cores and roles."""
    lines = [f"@all: {len(spec.hosts)} hosts"]
    for group in sorted(spec.groups):
        hosts = spec.groups[group]
        lines.append(f"  @{group} ({len(hosts)})")
        job = spec.group_vars.get(group, {}).get("oar_job")
        if job:
            left = "" if job["remaining"] is None else f", {job['remaining']} s of walltime left"
            lines.append(f"    (OAR job {job['id']}: {job['state']}, owner {job['owner']}{left})")
        for host in hosts:
            hv = spec.hosts[host]
            facts = []
            if "oar_cores" in hv:
                facts.append("cores unknown" if hv["oar_cores"] is None else f"{hv['oar_cores']} cores")
            if hv.get("oar_properties", {}).get("cluster"):
                facts.append(f"cluster {hv['oar_properties']['cluster']}")
            if "nxc_role" in hv:
                facts.append(f"role {hv['nxc_role']}")
            if "ansible_host" in hv and hv["ansible_host"] != host:
                facts.append(f"{hv['ansible_host']}" + (f":{hv['ansible_port']}" if "ansible_port" in hv else ""))
            if "oar_machine" in hv:
                facts.append(f"on {hv['oar_machine']}")
            lines.append(f"    {host}" + (f"  ({', '.join(facts)})" if facts else ""))
    return "\n".join(lines)


def summary(result: api.RunResult) -> str:
    """The run's summary; every value from the run is shown escaped (terminal.shown): one line each."""
    lines = [f"oar-nxc {result.command}: {result.meaning} (exit {result.exit_code}) in {result.elapsed:.1f}s"]
    if result.hosts:
        hosts = {shown(h): c for h, c in result.hosts.items()}
        width = max(len(h) for h in hosts)
        lines.append(f"  {'host':<{width}}  ok  changed  failed  unreachable  skipped")
        for host, c in sorted(hosts.items()):
            lines.append(f"  {host:<{width}}  {c['ok']:>2}  {c['changed']:>7}  {c['failures']:>6}  {c['dark']:>11}  "
                         f"{c['skipped']:>7}")
    if result.phases and result.command != "plan":
        lines.append("  time per step: " + ", ".join(f"{shown(p['name'])} {p['seconds']:.1f}s" for p in result.phases
                                                     if p["seconds"] >= 0.05))
    if result.checks:
        lines.append("  smoke checks:")
        for check in result.checks:
            lines.append(f"    {shown(check['status']):<8} {shown(check['name']):<16} {shown(check['message'])}")
    if result.findings:
        lines.append("  reservation (found before anything changed):")
        for finding in result.findings:
            mark = "WOULD REFUSE" if finding.get("refuse") else "WARN"  # a refusal fails the run instead
            lines.append(f"    {mark:<12} {shown(finding.get('check'))}: {shown(finding.get('message'))}")
    if result.command == "plan":
        lines.append("  plan (nothing was run):")
    for command in result.commands if result.command == "plan" else []:
        verdict = "RUN " if command.get("run", True) else "SKIP"
        lines.append(f"    {shown(command['oar_nxc_step']):<7} {verdict}  {shown(command['command'])}")
        if command.get("why"):
            lines.append(f"    {'':<7}       {shown(command['why'])}")
        if len(command.get("inputs") or []) > 1:  # the composition and the sources a setup variant adds
            lines.append(f"    {'':<7}       inputs: {', '.join(shown(i) for i in command['inputs'])}")
    for failure in result.failures[:5]:
        lines.append(f"  failed: {shown(failure)}")
    lines.append(f"  run directory: {shown(result.run_dir)}")
    if result.report_html:
        lines.append(f"  report: {shown(result.report_html)}")
    if result.job:
        job = result.job
        lines.append(f"  OAR job {shown(job.get('job_id'))} ({shown(job.get('name') or 'given')}): {_released(job)}")
    return "\n".join(lines)


def _released(job: dict[str, Any]) -> str:
    guard = job.get("guard")
    if guard == "kept":
        return "kept (the next run reuses it)"
    if guard in ("released", "released by the guard"):
        return f"{guard}, {job.get('final_state', '')}".rstrip(", ")
    if job.get("given"):
        return "given: not released"
    return f"NOT released ({guard})" if guard == "armed" else str(guard or "")


@contextmanager
def _interruptible() -> Iterator[dict[str, bool]]:
    """SIGINT/SIGTERM set a flag that the run polls (ansible-runner's cancel callback); the
    command line owns the process, so it, not the library, installs the handlers."""
    flag = {"set": False}

    def on_signal(signum: int, frame: Any) -> None:
        flag["set"] = True

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def main(argv: list[str] | None = None, out: TextIO | None = None, tty: bool | None = None) -> int:
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    try:
        if args.command == "release":
            code, said = api.release(args.run_dir)
            print(f"oar-nxc release: {shown(said)}", file=out if code == api.OK else sys.stderr)
            return code
        check_flags(args)
        if args.command == "report":
            from oar_nxc import statustable

            runs, notes = statustable.collect(args.table)
            for note in notes:
                print(f"oar-nxc report: {note}", file=sys.stderr)
            table = statustable.markdown(runs, compositions=args.compositions, link_base=args.link_base)
            if not args.update:
                print(table, file=out)
                return api.OK
            from oar_nxc.formats import reading

            text = reading.decode(reading.read_bytes(args.update, "composition README"), args.update)
            Path(args.update).write_text(statustable.update(text, table, args.update), encoding="utf-8")
            print(f"oar-nxc report: {args.update}: the table of {len(runs)} run(s) written", file=out)
            return api.OK
        if args.command == "inventory":
            spec = api.inventory(args.file, nodes=args.nodes, exclude=args.exclude, job_id=os.environ.get("OAR_JOB_ID"),
                                 live_job=os.environ.get("OAR_NXC_LIVE_JOB") or "auto",
                                 properties_file=os.environ.get("OAR_RESOURCE_PROPERTIES_FILE"))
            for note in spec.notes:
                print(f"oar-nxc: {note}", file=sys.stderr)
            print(tree(spec), file=out)
            return api.OK
        options = api.Options(nodefile=args.nodefile, flavour=args.flavour, composition=args.composition,
                              setup=args.setup, nodes=args.nodes, exclude=args.exclude,
                              roles=api.parse_roles(args.roles), extra_vars=args.extra_vars,
                              run_dir=args.run_dir, verbose=args.verbose, min_machines=args.min_machines)
        if args.command == "submit":
            from oar_nxc import batch

            warning = ci_timeout_warning(job_request(args))
            if warning:
                print(f"oar-nxc: warning: {warning}", file=sys.stderr)

            with _interruptible() as interrupted:
                return batch.main(args, options, job_request(args), out=out, cancel=lambda: interrupted["set"])
        flavour = options.flavour or flavours.DEFAULT
        if flavour in api.G5K_FLAVOURS and not options.nodefile and args.command != "run":
            raise api.ConfigError(f"--flavour {flavour} deploys on reserved machines: give --nodefile "
                                  "(or set $OAR_NODEFILE)")
        with _interruptible() as interrupted:
            kwargs: dict[str, Any] = {"out": out, "tty": tty, "cancel": lambda: interrupted["set"]}
            if args.command == "teardown":
                result = api.teardown(options, release=args.release, **kwargs)
            elif args.command == "run":
                request = job_request(args)
                warning = ci_timeout_warning(request) if request else None
                if warning:
                    print(f"oar-nxc: warning: {warning}", file=sys.stderr)
                result = api.run(options, job=request if request or not options.nodefile else None,
                                 keep_job=args.keep_job, **kwargs)
            else:
                result = getattr(api, args.command)(options, **kwargs)
    except OarNxcError as exc:
        message = flag_names(str(exc)) if args.command in ("run", "submit") else str(exc)
        print(f"oar-nxc: {shown(message)}", file=sys.stderr)
        return api.BAD_INPUT
    print(summary(result), file=out)
    if args.json:
        import json

        print(json.dumps(result.as_dict(), indent=1), file=out)
    return result.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
