"""compositions/: every .nix parses, roles and distributions are what the playbooks expect,
setup.toml uses only keys nxc knows. Debian's nix-bin only: no nixpkgs, no network."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from oar_nxc.formats import composition, nxcsetup
from oar_nxc.formats.flavours import NAMES as FLAVOURS
from tests.conftest import REPO

COMPOSITIONS = REPO / "compositions"
DIRS = sorted(p.parent for p in COMPOSITIONS.glob("*/flake.nix"))
NIX_FILES = sorted(COMPOSITIONS.rglob("*.nix"))
GROUP_VARS = yaml.safe_load((REPO / "roles/oar_nxc/defaults/main.yml").read_text())
EXPECTED = {  # composition -> (distribution, required hosts) by default
    "master": ({"node": 2}, 4),
    "nfs-home": ({"node": 4}, 6),
}


def test_the_expected_compositions_are_there() -> None:
    assert [d.name for d in DIRS] == sorted(EXPECTED)
    assert [str(p.relative_to(COMPOSITIONS)) for p in NIX_FILES] == [
        "master/composition.nix", "master/flake.nix", "master/oar.nix",
        "nfs-home/composition.nix", "nfs-home/flake.nix",
    ]


@pytest.mark.parametrize("path", NIX_FILES, ids=lambda p: str(p.relative_to(COMPOSITIONS)))
def test_nix_file_parses(path: Path) -> None:
    result = subprocess.run(["nix-instantiate", "--parse", str(path)], capture_output=True, text=True, check=False,
                            env={"NIX_CONFIG": "build-users-group =", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


@pytest.mark.parametrize("path", DIRS, ids=lambda p: p.name)
def test_roles_match_the_playbooks(path: Path) -> None:
    comp = composition.load(path)
    expected_groups = GROUP_VARS["oar_nxc_role_groups"]
    assert comp.roles == sorted(expected_groups)
    assert {f"role_{r}" for r in comp.roles} == set(expected_groups.values())
    distribution, required = EXPECTED[path.name]
    assert comp.distribution == distribution
    assert comp.required_hosts() == required
    assert comp.hosts()["node"] == [f"node{i}" for i in range(1, distribution["node"] + 1)]
    assert comp.hosts()["frontend"] == ["frontend"]
    assert comp.hosts()["server"] == ["server"]


@pytest.mark.parametrize("path", DIRS, ids=lambda p: p.name)
def test_test_script_is_real(path: Path) -> None:
    script = composition.load(path).test_script
    assert script is not None
    compile(script, f"{path.name}/testScript", "exec")
    for needle in ("oarsub -l nodes={len(nodes)}", "Terminated", '["exit_code"] >> 8 == 0', "== names"):
        assert needle in script
    assert "/users/" not in script and "mpirun" not in script


@pytest.mark.parametrize("path", DIRS, ids=lambda p: p.name)
def test_every_setup_variant_evaluates(path: Path) -> None:
    data = nxcsetup.load(path / "setup.toml")
    assert nxcsetup.variants(data)
    for variant in nxcsetup.variants(data):
        comp = composition.load(path, setup=variant)
        assert comp.setup_variant == variant
        assert comp.required_hosts() >= 3


def test_master_variants() -> None:
    data = nxcsetup.load(COMPOSITIONS / "master/setup.toml")
    assert nxcsetup.variants(data) == ["g5k-dev", "laptop", "large"]
    for dev in ("g5k-dev", "laptop"):
        setup = nxcsetup.resolve(data, dev)
        assert setup["options"]["nix-flags"] == "--impure"
        assert set(setup["build"]["nur"]["repos"]["kapack"]["oar"]) == {"src"}
    assert composition.load(COMPOSITIONS / "master", setup="large").required_hosts() == 10
    assert composition.load(COMPOSITIONS / "master", params={"nb_nodes": 3}).required_hosts() == 5


@pytest.mark.parametrize("path", DIRS, ids=lambda p: p.name)
def test_flake_pins_its_inputs_and_references_setup(path: Path) -> None:
    flake = (path / "flake.nix").read_text()
    assert re.search(r'nxc = \{\n\s+# [^\n]*\n\s+url = "git\+https://[^"]*nixos-compose\.git\?ref=25\.05&rev=[0-9a-f]{40}";',
                     flake)
    assert re.search(r'kapack = \{\n\s+# [^\n]*\n\s+url = "github:oar-team/nur-kapack/[0-9a-f]{40}";', flake)
    assert re.search(r'nixpkgs\.url = "github:NixOS/nixpkgs/[0-9a-f]{40}";', flake)
    assert "setup = ./setup.toml;" in flake and "composition = ./composition.nix;" in flake
    nxc_json = json.loads((path / "nxc.json").read_text())
    assert nxc_json["composition"] == "composition.nix"
    assert nxc_json["default_flavour"] in FLAVOURS


def test_setup_keys_agree_with_nxc_source() -> None:
    """Our list of keys nxc knows is read from nxc's own code, so it cannot drift."""
    nix_dir = composition.nxc_nix_dir()
    assert nix_dir is not None
    setup_py = (nix_dir.parent / "nixos_compose" / "setup.py").read_text()
    for key in (*nxcsetup.OPTION_KEYS, "selected", "override-params"):
        assert f'"{key}"' in setup_py, key
    setup_nix = (nix_dir / "setup.nix").read_text()
    ops = re.findall(r'assertOneOf "setup.toml: build operation" op \[\s*((?:"\w+"\s*)+)\]', setup_nix)
    assert ops and sorted(re.findall(r'"(\w+)"', ops[0])) == sorted(nxcsetup.BUILD_OPS)


def test_master_readme_gives_the_whole_flow() -> None:
    readme = (COMPOSITIONS / "master/README.md").read_text()
    for needle in (
        "ansible-playbook deploy.yml -e oar_nxc_flavour=docker",
        "nxc build -f docker", "nxc build -f vm", "nxc start", "nxc connect frontend", "nxc driver -t",
        "ansible-playbook deploy.yml -i OAR.$OAR_JOB_ID.stdout",
        "ansible-playbook redeploy.yml", "nxc start -m OAR.$OAR_JOB_ID.stdout -W",
        "oarnodes -s -J", "oarsub -l nodes=2,walltime=0:05:00", "1: Terminated", "oarstat -f -j 1 -J",
        "export $(oarsub -T)", "http://server/api/whoami", "oardel",
    ):
        assert needle in readme, needle
    assert "Why this one next" in (COMPOSITIONS / "nfs-home/README.md").read_text()


# Every role, evaluated lazily with stand-in arguments: pkgs.nur.repos.kapack.oar (what a setup
# variant's build.nur.repos.kapack.oar.src overrides) is "VARIANT-OAR", the overlay-less `nur`
# argument's OAR is "PINNED-OAR". Modules are followed through `imports`; every string reached is
# collected. A dev build must only ever see the variant's OAR.
ONE_OAR = r"""
{ file, stubDir }:
let
  writer = name: attrs: text: { inherit name; libraries = attrs.libraries or [ ]; inherit text; };
  pkgs = {
    nur.repos.kapack.oar = "VARIANT-OAR";
    writers.writePython3Bin = writer;
    python3 = "python3"; jq = "jq"; curl = "curl"; util-linux = "util-linux"; gawk = "gawk";
    nfs-utils = "nfs-utils";
  };
  nur.repos.kapack = { oar = "PINNED-OAR"; modules.oar = "kapack-oar-module"; };
  comp = import file { inherit pkgs nur; modulesPath = stubDir; setup = { params.nb_nodes = 2; }; flavour = { }; };
  args = { inherit pkgs; config = { }; lib = { }; modulesPath = stubDir; };
  call = m: if builtins.isFunction m then m args else m;
  strings = v:
    if builtins.isString v then [ v ]
    else if builtins.isList v then builtins.concatLists (map strings v)
    else if builtins.isFunction v then strings (call v)
    else if builtins.isAttrs v then builtins.concatLists (map (k: strings v.${k}) (builtins.attrNames v))
    else [ ];
in builtins.mapAttrs (name: role: builtins.filter (s: s == "VARIANT-OAR" || s == "PINNED-OAR") (strings role))
  comp.roles
"""


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_dev_variant_reaches_one_oar_in_every_role(name: str, tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/ssh-keys.nix").write_text('pkgs: { snakeOilPrivateKey = "k"; snakeOilPublicKey = "p"; }\n')
    result = subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--json", "--expr", ONE_OAR,
         "--arg", "file", str(COMPOSITIONS / name / "composition.nix"), "--arg", "stubDir", str(tmp_path)],
        capture_output=True, text=True, check=False, env={"NIX_CONFIG": "build-users-group =", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert sorted(found) == sorted(composition.load(COMPOSITIONS / name).roles)
    for role, oars in found.items():
        assert "PINNED-OAR" not in oars, f"{name}/{role} references the pinned OAR, not the variant's"
        assert "VARIANT-OAR" in oars, f"{name}/{role} does not reach the variant's OAR"
