"""A composition's scenarios (``<composition>/scenarios/*.yml``, each file a list of scenarios), read strictly,
chosen by name or family, and run one after the other on one submit host.

    python -m oar_nxc.scenarios.suite DIR [NAME|FAMILY ...] --user oartest --nodes n1,n2 --generation 2.5 \\
        [--json OUT]

runs them on this machine as the submit host (the testbed's frontend), prints one line per scenario and
exits 0 when every scenario passed (or is not in this OAR), 1 otherwise, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from oar_nxc import bounded
from oar_nxc.errors import OarNxcError, SourceError
from oar_nxc.formats import reading
from oar_nxc.oar import identity
from oar_nxc.scenarios import spec
from oar_nxc.scenarios.engine import Outcome, Story
from oar_nxc.smoke.model import Host
from oar_nxc.terminal import shown

MAX_FILES = 200
COMMAND_TIMEOUT = 120  # seconds one OAR command may take on the submit host
OUTPUT_LIMIT = 64 * 1024 * 1024  # bytes kept of each stream of its answer


def load_file(path: Path) -> list[spec.Scenario]:
    """The scenarios of one YAML file (a list of scenarios, or one), or SourceError naming the file and key."""
    source = str(path)
    text = reading.decode(reading.read_bytes(source, "configuration file"), source)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SourceError(source, f"not YAML: {getattr(exc, 'problem', None) or exc}",
                          line=mark.line + 1 if mark is not None else None) from None
    except RecursionError:
        raise SourceError(source, f"nested deeper than {reading.JSON_MAX_DEPTH} levels") from None
    reading.check_nesting(data, source)
    items = data if isinstance(data, list) else [data]
    out = []
    for index, item in enumerate(items):
        where = f"{source}[{index}]" if isinstance(data, list) else source
        out.append(spec.parse(item, where))
    return out


def load_dir(directory: Path) -> list[spec.Scenario]:
    """Every scenario of DIRECTORY's ``*.yml`` files, in file then file order; two with one name are an error."""
    files = sorted(directory.glob("*.yml"))
    if len(files) > MAX_FILES:
        raise SourceError(str(directory), f"{len(files)} scenario files: at most {MAX_FILES}")
    scenarios: list[spec.Scenario] = []
    seen: dict[str, str] = {}
    for path in files:
        for scenario in load_file(path):
            if scenario.name in seen:
                raise SourceError(scenario.source, f"the scenario name {scenario.name!r} is also in "
                                                   f"{seen[scenario.name]}", key="name")
            seen[scenario.name] = scenario.source
            scenarios.append(scenario)
    return scenarios


def select(scenarios: list[spec.Scenario], wanted: list[str]) -> list[spec.Scenario]:
    """The scenarios named, or of the families named (all when WANTED is empty); an unknown word is an error."""
    if not wanted or wanted == ["all"]:
        return scenarios
    known = {s.name for s in scenarios} | {s.family for s in scenarios}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise OarNxcError(f"no scenario or family named {unknown[0]!r} (known: {', '.join(sorted(known))})")
    return [s for s in scenarios if s.name in wanted or s.family in wanted]


def run(host: Host, scenarios: list[spec.Scenario], *, user: str, generation: str, addresses: list[str],
        progress: Callable[[str], None] = lambda line: None) -> list[Outcome]:
    outcomes = []
    for scenario in scenarios:
        outcome = Story(host, scenario, user, generation=generation, addresses=addresses).run()
        progress(f"{outcome.status:<15} {outcome.name} ({outcome.ended - outcome.started:.1f} s)"
                 + (f": {'; '.join(outcome.problems)}" if outcome.problems and outcome.status == "failed" else ""))
        outcomes.append(outcome)
    return outcomes


class LocalHost(bounded.Shell):
    """The submit host is this machine (the testbed's frontend): each command line through /bin/sh, bounded."""

    def __init__(self) -> None:
        super().__init__(COMMAND_TIMEOUT, OUTPUT_LIMIT)

    def http(self, method: str, url: str, **kwargs: Any) -> tuple[int, Any, str]:
        return -1, None, "no REST API requests from this host"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m oar_nxc.scenarios.suite", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory")
    parser.add_argument("wanted", nargs="*")
    parser.add_argument("--user", required=True)
    parser.add_argument("--nodes", required=True, help="the compute nodes' OAR network addresses, comma-separated")
    parser.add_argument("--generation", choices=spec.GENERATIONS, required=True)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    try:
        user = identity.user(args.user, "--user")
        addresses = [identity.host(a, "--nodes") for a in args.nodes.split(",")]
        chosen = select(load_dir(Path(args.directory)), args.wanted)
    except OarNxcError as exc:
        print(f"oar_nxc.scenarios.suite: {shown(str(exc))}", file=sys.stderr)
        return 2
    outcomes = run(LocalHost(), chosen, user=user, generation=args.generation, addresses=addresses,
                   progress=lambda line: print(shown(line), flush=True))
    if args.json:
        Path(args.json).write_text(json.dumps([o.as_dict() for o in outcomes], indent=1) + "\n")
    return 0 if all(o.status != "failed" for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
