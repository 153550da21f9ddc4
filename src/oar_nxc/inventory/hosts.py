"""The deployed hosts of an nxc deployment file, as ``add_host`` entries (JSON on stdout).

``oar_nxc.nxc.start.deployed`` (the oar.nxc.nxc_start action) calls it after ``nxc start`` so that
the hosts a play adds in memory get exactly the names, groups and variables the oar_nxc
inventory plugin would give them. The same on the command line, to inspect a deployment:

    python -m oar_nxc.inventory.hosts --deployment DIR_OR_FILE [--tag T] [--nodefile MACHINES]
        [--job-id ID] [--python-interpreter P] [--private-key KEY] [--not-older-than EPOCH]

Output: ``{"deployment": path, "hosts": [{"name", "groups", "vars"}], "roles": {role: [hosts]}}``.
Exit 2 with one line on stderr for bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from oar_nxc.errors import OarNxcError, SourceError
from oar_nxc.formats import deployment as deployment_mod
from oar_nxc.formats import nodefile as nodefile_mod
from oar_nxc.formats.nodefile import job_id_from_value
from oar_nxc.inventory.spec import ALL_DEPLOYED_GROUP, NIXOS_PYTHON, Options, describe


def deployed_hosts(deployment_path: str, *, nodefile_path: str | None = None, tag: str | None = None,
                   options: Options | None = None, not_older_than: float | None = None) -> dict[str, Any]:
    path = deployment_path
    if os.path.isdir(path):
        path = deployment_mod.find(path, tag=tag)
    if not_older_than is not None and os.path.getmtime(path) < not_older_than:
        raise SourceError(path, "is older than this deployment: nxc start did not write it (stale file)")
    dep = deployment_mod.load(path)
    machines = nodefile_mod.load(nodefile_path) if nodefile_path else None
    spec = describe(machines, dep, options or Options())
    member: dict[str, list[str]] = {}
    for group, hosts in spec.groups.items():
        for host in hosts:
            member.setdefault(host, []).append(group)
    deployed = spec.groups.get(ALL_DEPLOYED_GROUP, [])
    roles: dict[str, list[str]] = {}
    for host in deployed:
        roles.setdefault(spec.hosts[host]["nxc_role"], []).append(host)
    return {
        "deployment": os.path.abspath(path),
        "flavour": dep.flavour,
        "hosts": [{"name": h, "groups": member[h], "vars": spec.hosts[h]} for h in deployed],
        "roles": roles,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m oar_nxc.inventory.hosts", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployment", required=True, help="a deploy/*.json file, or an nxc envdir")
    parser.add_argument("--tag")
    parser.add_argument("--nodefile", help="the machine file given to nxc start (sets oar_machine)")
    parser.add_argument("--job-id", help="the OAR job of the machines (when the machine file's name has none)")
    parser.add_argument("--python-interpreter", default=NIXOS_PYTHON)
    parser.add_argument("--private-key")
    parser.add_argument("--strict-host-keys", action="store_true", help="do not relax host-key checking")
    parser.add_argument("--not-older-than", type=float, help="epoch seconds: refuse an older deployment file")
    args = parser.parse_args(argv)
    try:
        options = Options(python_interpreter=args.python_interpreter, private_key_file=args.private_key,
                          relax_host_key_checking=not args.strict_host_keys,
                          job_id=job_id_from_value(args.job_id, "--job-id"))
        result = deployed_hosts(args.deployment, nodefile_path=args.nodefile, tag=args.tag, options=options,
                                not_older_than=args.not_older_than)
    except (OarNxcError, OSError) as exc:
        print(f"oar_nxc.inventory.hosts: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
