"""An nxc composition directory: its roles, default distribution and host names.

The one source of truth for the playbooks (how many hosts a deployment needs), the tests
and the testbed's offline build stand-in. No nixpkgs is needed: ``composition.nix`` is
evaluated *lazily* with ``nix-instantiate`` (Debian's ``nix-bin`` is enough). Every
argument nxc would pass is a ``throw`` except ``setup`` (from setup.toml, resolved as
nxc does), ``flavour``, ``system`` and ``helpers`` (nxc's own ``nix/helpers.nix``), so
only ``attrNames roles``, ``rolesDistribution`` and ``testScript`` are ever forced.

    python -m oar_nxc.formats.composition compositions/master [--setup V] [-p k=v] [-r role=N]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from oar_nxc import bounded
from oar_nxc.errors import ConfigError, OarNxcError, SourceError
from oar_nxc.formats import nxcsetup, reading

NIX_INSTANTIATE = os.environ.get("OAR_NXC_NIX_INSTANTIATE", "nix-instantiate")
NIX_STATE = "/nix/var/nix"
EVAL_TIMEOUT = 120  # seconds nix-instantiate may take to evaluate a composition's roles
EVAL_OUTPUT = 16 * 1024 * 1024  # bytes kept of what it prints on each stream
SYSTEM = "x86_64-linux"
# the most hosts a composition may have (Grid'5000's largest jobs hold about a thousand machines): a count
# beyond it is refused before any host name is made (1e9 names would take gigabytes)
MAX_HOSTS = 10_000
_ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,62}$")
_HOST_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$")
_FLAKE_ATTR = re.compile(r"\b(composition|setup)\s*=\s*\./([^;\s]+)\s*;")

# Evaluate a composition without nixpkgs. Arguments: file (path string), setupJSON, flavourJSON,
# helpersFile ("" when nxc's nix/ directory is not installed).
_EVAL = r"""
{ file, setupJSON, flavourJSON, helpersFile }:
let
  raw = import (/. + file);
  given = {
    setup = builtins.fromJSON setupJSON;
    flavour = builtins.fromJSON flavourJSON;
    system = "x86_64-linux";
  } // (if helpersFile == "" then { } else { helpers = import (/. + helpersFile); });
  offline = name: throw "oar-nxc: the composition argument '${name}' needs nixpkgs (not evaluated offline)";
  args = builtins.mapAttrs (n: _: given.${n} or (offline n)) (builtins.functionArgs raw);
  c = if builtins.isFunction raw then raw args else raw;
  roles = c.roles or c.nodes or (throw "oar-nxc: the composition defines neither roles nor nodes");
  script = builtins.tryEval (c.testScript or "");
in {
  roles = builtins.attrNames roles;
  usesNodes = !(c ? roles);
  testScript = if script.success then script.value else null;
} // (if c ? rolesDistribution then { rolesDistribution = c.rolesDistribution; } else { })
"""

Distribution = dict[str, "int | list[str]"]


@dataclass(frozen=True)
class Composition:
    """What nxc will make of a composition directory, for one setup variant and params."""

    path: str
    name: str  # nxc's composition name: the stem of nxc.json "composition"
    roles: list[str]  # sorted, as nix's toJSON orders them (the order nxc assigns machines)
    distribution: Distribution  # rolesDistribution after setup; roles absent here get one host
    default_flavour: str | None
    setup_variant: str
    variants: list[str] = field(default_factory=list)
    test_script: str | None = None

    def hosts(self, overrides: Distribution | None = None) -> dict[str, list[str]]:
        """Host names per role, in the order nxc assigns machines (``-r`` overrides win)."""
        dist = {**self.distribution, **(overrides or {})}
        unknown = sorted(set(overrides or {}) - set(self.roles))
        if unknown:
            raise ConfigError(f"{self.path}: oar_nxc_roles (--roles): no role {', '.join(unknown)} in this composition "
                              f"(roles: {', '.join(self.roles)})")
        out: dict[str, list[str]] = {}
        seen: set[str] = set()
        total = 0
        for role in self.roles:
            spec = dist.get(role)
            where = f"oar_nxc_roles (--roles) {role}" if role in (overrides or {}) else f"rolesDistribution.{role}"
            if spec is None:
                names = [role]
            elif isinstance(spec, bool) or not isinstance(spec, int | list):
                raise ConfigError(f"{self.path}: {where} must be a count or a list of names")
            elif isinstance(spec, int):
                if spec < 0:
                    raise ConfigError(f"{self.path}: {where} is negative ({spec})")
                if spec > MAX_HOSTS:
                    raise ConfigError(f"{self.path}: {where} asks for {spec} hosts, more than the {MAX_HOSTS} a "
                                      "composition may have")
                names = [f"{role}{i}" for i in range(1, spec + 1)]
            else:
                if len(spec) > MAX_HOSTS:
                    raise ConfigError(f"{self.path}: {where} names {len(spec)} hosts, more than the {MAX_HOSTS} a "
                                      "composition may have")
                names = [str(n) for n in spec]
            total += len(names)
            if total > MAX_HOSTS:
                raise ConfigError(f"{self.path}: {total} hosts or more, more than the {MAX_HOSTS} a composition may "
                                  f"have (at role {role})")
            clash = seen.intersection(names)
            if clash:
                raise ConfigError(f"{self.path}: host name {sorted(clash)[0]} is used twice (nxc: naming conflict)")
            seen.update(names)
            out[role] = names
        return out

    def required_hosts(self, overrides: Distribution | None = None) -> int:
        return sum(len(names) for names in self.hosts(overrides).values())

    def to_dict(self, overrides: Distribution | None = None) -> dict[str, Any]:
        """Everything above, plus ``hosts``, ``required_hosts`` and ``role_args`` (for nxc start)."""
        data = asdict(self)
        data["test_script"] = self.test_script is not None  # the text is long; say whether there is one
        data["hosts"] = self.hosts(overrides)
        data["required_hosts"] = self.required_hosts(overrides)
        data["role_args"] = role_args(overrides or {})
        return data


def role_args(overrides: Distribution) -> list[str]:
    """``nxc start -r`` arguments: ``{"node": 3}`` -> ``["-r", "node=3"]``; lists become ``a,b``."""
    args: list[str] = []
    for role, spec in overrides.items():
        value = ",".join(str(n) for n in spec) if isinstance(spec, list) else str(spec)
        args += ["-r", f"{role}={value}"]
    return args


def nxc_nix_dir() -> Path | None:
    """nixos-compose's ``nix/`` directory (installed beside the package), if present."""
    spec = importlib.util.find_spec("nixos_compose")
    if spec is None or spec.origin is None:
        return None
    candidate = Path(spec.origin).resolve().parent.parent / "nix"
    return candidate if (candidate / "helpers.nix").is_file() else None


def flavour_info(name: str) -> dict[str, Any]:
    nix_dir = nxc_nix_dir()
    if nix_dir is not None and (nix_dir / "flavours.json").is_file():
        try:
            flavours = reading.load_record(str(nix_dir / "flavours.json"))
        except OarNxcError:
            flavours = {}
        if isinstance(flavours.get(name), dict):
            return dict(flavours[name])
    return {"name": name}


def files(path: str | Path) -> tuple[Path, Path | None, dict[str, Any]]:
    """(composition file, setup.toml or None, nxc.json data) of a composition directory."""
    root = Path(path)
    flake = root / "flake.nix"
    if not flake.is_file():
        raise SourceError(str(root), "not an nxc composition directory: no flake.nix")
    nxc_json: dict[str, Any] = {}
    if (root / "nxc.json").exists() or (root / "nxc.json").is_symlink():
        nxc_json = reading.load_record(str(root / "nxc.json"))
    text = reading.decode(reading.read_bytes(str(flake), "composition file"), str(flake))
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    refs = dict(_FLAKE_ATTR.findall(code))
    comp = root / refs.get("composition", nxc_json.get("composition", "composition.nix"))
    if not comp.is_file():
        raise SourceError(str(flake), f"the composition file {comp.name} does not exist", key="composition")
    setup = root / refs["setup"] if "setup" in refs else None
    if setup is None and (root / "setup.toml").is_file():
        raise SourceError(str(flake), "setup.toml exists but flake.nix does not reference it (nxc refuses that)")
    return comp, setup, nxc_json


def load(path: str | Path, *, setup: str | None = None, params: dict[str, Any] | None = None,
         flavour: str | None = None) -> Composition:
    """Evaluate the composition in ``path`` for setup variant ``setup`` and build ``params``.

    ``setup`` None means what ``nix build`` sees: the variant the file selects, if any;
    ``""`` means no variant. ``params`` None keeps the file's ``[override-params]``.
    """
    comp_file, setup_file, nxc_json = files(path)
    if params is not None:  # from a flag, a variable or JSON: as deep as a JSON input may be, no deeper
        reading.check_nesting(params, "params")
    resolved: dict[str, Any] = {}
    variants: list[str] = []
    if setup_file is not None:
        data = nxcsetup.load(setup_file)
        variants = nxcsetup.variants(data)
        resolved = nxcsetup.resolve(data, setup, params, source=str(setup_file))
    elif setup or params:
        raise SourceError(str(path), "has no setup.toml, so no setup variant or parameter applies")
    default_flavour = nxc_json.get("default_flavour")
    flavour_name = flavour or resolved.get("options", {}).get("flavour") or default_flavour or "vm"
    result = evaluate(comp_file, resolved, flavour_info(flavour_name))
    name = Path(str(nxc_json.get("composition", "composition.nix"))).stem
    return Composition(
        path=str(path), name=name, roles=sorted(result["roles"]),
        distribution=result.get("rolesDistribution", {}), default_flavour=default_flavour,
        setup_variant=resolved.get("project", {}).get("selected", ""), variants=variants,
        test_script=result.get("testScript"),
    )


def evaluate(comp_file: Path, setup: dict[str, Any], flavour: dict[str, Any]) -> dict[str, Any]:
    if shutil.which(NIX_INSTANTIATE) is None:
        raise ConfigError(f"{NIX_INSTANTIATE} not found: install Nix (Debian: apt-get install nix-bin)")
    nix_dir = nxc_nix_dir()
    helpers = str(nix_dir / "helpers.nix") if nix_dir else ""
    argv = [NIX_INSTANTIATE, "--eval", "--strict", "--json", "--expr", _EVAL,
            "--argstr", "file", str(comp_file.resolve()), "--argstr", "setupJSON", json.dumps(setup),
            "--argstr", "flavourJSON", json.dumps(flavour), "--argstr", "helpersFile", helpers]
    env = {**os.environ, "NIX_CONFIG": "build-users-group =\n" + os.environ.get("NIX_CONFIG", "")}
    if "NIX_STATE_DIR" not in os.environ and os.geteuid() != 0 and not os.access(NIX_STATE, os.W_OK):
        # a single-user nix that root installed (Debian's nix-bin): a user's nix-instantiate would fail making
        # its profile there; the evaluation writes nothing that matters, so its state goes in the user's cache
        env["NIX_STATE_DIR"] = str(Path.home() / ".cache" / "oar-nxc" / "nix-state")
    try:  # bounded in time and in what is kept of its output, while it runs
        proc = bounded.run(argv, timeout=EVAL_TIMEOUT, limit=EVAL_OUTPUT, env=env)
    except subprocess.TimeoutExpired:
        raise SourceError(str(comp_file), f"{NIX_INSTANTIATE} did not evaluate it within {EVAL_TIMEOUT} s: stopped "
                                          "(an evaluation that loops, or a store it waits for)") from None
    except bounded.OutputTooLarge:
        raise SourceError(str(comp_file), f"{NIX_INSTANTIATE} printed more than {EVAL_OUTPUT // 2**20} MiB: "
                                          "stopped") from None
    except OSError as exc:
        raise SourceError(str(comp_file), f"{NIX_INSTANTIATE} cannot run: {exc.strerror}") from None
    stdout, stderr = proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("warning:")]
        detail = next((ln.strip() for ln in lines if "error:" in ln), lines[-1].strip() if lines else "")
        raise SourceError(str(comp_file), f"cannot be evaluated offline: {detail}")
    try:
        result = reading.loads_json(stdout, NIX_INSTANTIATE)
    except SourceError as exc:
        raise SourceError(str(comp_file), f"{NIX_INSTANTIATE} did not print an evaluation that can be read "
                                          f"({exc.reason}): it printed {reading.excerpt(stdout)}") from None
    if not isinstance(result, dict):
        raise SourceError(str(comp_file), f"evaluated to {type(result).__name__}, not an attribute set")
    return result


def parse_assignments(items: list[str], what: str, *, names: bool = False) -> dict[str, Any]:
    """``k=v`` items: ints when they look like ints. With ``names`` (roles: ``--roles``, ``-r``), each value is a
    count of hosts (0 to MAX_HOSTS) or ``a,b``, a list of host names, and each key a role name: anything else is
    refused naming WHAT and the item."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        shown = item if len(item) <= 80 else item[:80] + "…"
        if not sep or not key:
            raise ConfigError(f"{what} {shown!r}: expected NAME=VALUE")
        if not names:
            try:
                out[key] = int(value) if len(value.lstrip("-")) <= 18 else value
            except ValueError:
                out[key] = value
            continue
        if not _ROLE_NAME.match(key):
            raise ConfigError(f"{what} {shown!r}: {key[:40]!r} is not a role name (letters, digits, _ and -)")
        if re.fullmatch(r"-?[0-9]+", value, re.ASCII):
            if value.startswith("-"):
                raise ConfigError(f"{what} {shown!r}: a count of hosts is 0 or more")
            if len(value) > 6 or int(value) > MAX_HOSTS:
                raise ConfigError(f"{what} {shown!r}: more than the {MAX_HOSTS} hosts a composition may have")
            out[key] = int(value)
            continue
        hosts = [v for v in value.split(",") if v]
        bad = next((h for h in hosts if not _HOST_NAME.match(h)), None)
        if not hosts or bad is not None:
            raise ConfigError(f"{what} {shown!r}: expected ROLE=COUNT or ROLE=host,host,... (host names of letters, "
                              f"digits, _ and -{f'; not {bad[:40]!r}' if bad else ''})")
        if len(hosts) > MAX_HOSTS:
            raise ConfigError(f"{what} {shown!r}: more than the {MAX_HOSTS} hosts a composition may have")
        out[key] = hosts
    return out


def _json_mapping(text: str, what: str) -> dict[str, Any]:
    try:
        value = reading.loads_json(text, what)
    except SourceError as exc:
        raise ConfigError(f"{what}: not JSON that can be read: {exc.reason}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{what}: must be a JSON object, not {type(value).__name__}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m oar_nxc.formats.composition", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("-s", "--setup", help="setup variant (nxc build -s)")
    parser.add_argument("-p", "--param", action="append", default=[], help="setup parameter k=v (nxc build -p)")
    parser.add_argument("-r", "--role", action="append", default=[], help="role=N or role=a,b (nxc start -r)")
    parser.add_argument("--roles-json", help='role overrides as JSON: {"node": 3} or {"node": ["a", "b"]}')
    parser.add_argument("--params-json", help='setup parameters as JSON: {"nb_nodes": 3}')
    parser.add_argument("-f", "--flavour")
    args = parser.parse_args(argv)
    try:
        params = parse_assignments(args.param, "-p") or None
        overrides = parse_assignments(args.role, "-r", names=True)
        if args.roles_json:
            overrides.update(_json_mapping(args.roles_json, "--roles-json"))
        if args.params_json:
            params = {**(params or {}), **_json_mapping(args.params_json, "--params-json")} or None
        comp = load(args.path, setup=args.setup, params=params, flavour=args.flavour)
        print(json.dumps(comp.to_dict(overrides), indent=2, sort_keys=True))
    except OarNxcError as exc:
        print(f"oar_nxc.formats.composition: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
