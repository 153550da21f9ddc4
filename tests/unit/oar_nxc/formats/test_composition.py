"""Composition directories evaluated lazily with Debian's nix-instantiate (no nixpkgs)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from oar_nxc.errors import ConfigError, SourceError
from oar_nxc.formats import composition

FLAKE = 'outputs = { ... }: {\n  x = { composition = ./composition.nix; setup = ./setup.toml; };\n}\n'


def make(tmp_path: Path, comp: str, setup: str | None = "[project]\n[params]\nn = 2\n",
         nxc_json: dict | None = None) -> Path:
    (tmp_path / "flake.nix").write_text(FLAKE if setup is not None else FLAKE.replace(" setup = ./setup.toml;", ""))
    (tmp_path / "composition.nix").write_text(comp)
    if setup is not None:
        (tmp_path / "setup.toml").write_text(setup)
    (tmp_path / "nxc.json").write_text(json.dumps(nxc_json or {"composition": "composition.nix",
                                                               "default_flavour": "vm"}))
    return tmp_path


COMP = """{ pkgs, lib, setup, ... }: {
  roles = { server = { ... }: { x = pkgs.hello; }; node = { ... }: { }; frontend = { ... }: { }; };
  rolesDistribution = { node = setup.params.n; };
  testScript = "frontend.succeed('true')";
}"""


def test_roles_distribution_hosts_without_nixpkgs(tmp_path: Path) -> None:
    comp = composition.load(make(tmp_path, COMP))
    assert comp.roles == ["frontend", "node", "server"]
    assert comp.distribution == {"node": 2}
    assert comp.hosts() == {"frontend": ["frontend"], "node": ["node1", "node2"], "server": ["server"]}
    assert comp.required_hosts() == 4
    assert comp.test_script == "frontend.succeed('true')"
    assert comp.name == "composition"
    assert comp.default_flavour == "vm"


def test_params_and_overrides(tmp_path: Path) -> None:
    comp = composition.load(make(tmp_path, COMP), params={"n": 5})
    assert comp.required_hosts() == 7
    assert comp.hosts({"node": 1})["node"] == ["node1"]  # nxc: even 1 gives node1
    assert comp.hosts({"node": ["a", "b"], "server": 2}) == {
        "frontend": ["frontend"], "node": ["a", "b"], "server": ["server1", "server2"]}


def test_override_errors(tmp_path: Path) -> None:
    comp = composition.load(make(tmp_path, COMP))
    with pytest.raises(ConfigError, match=r"oar_nxc_roles \(--roles\): no role db in this composition \(roles: "
                                          r"frontend, node, server\)"):
        comp.hosts({"db": 1})
    with pytest.raises(ConfigError, match=r"host name frontend is used twice"):
        comp.hosts({"node": ["frontend"]})


def test_counts_that_would_explode_are_refused_before_any_name_is_made(tmp_path: Path) -> None:
    import time
    import tracemalloc

    comp = composition.load(make(tmp_path, COMP))
    tracemalloc.start()
    start = time.monotonic()
    with pytest.raises(ConfigError, match=r"oar_nxc_roles \(--roles\) node asks for 1000000000 hosts, more than "
                                          r"the 10000 a composition may have"):
        comp.hosts({"node": 10**9})
    with pytest.raises(ConfigError, match=r"oar_nxc_roles \(--roles\) node is negative \(-1\)"):
        comp.hosts({"node": -1})
    exploded = dataclasses.replace(comp, distribution={"node": 10**9})  # as nb_nodes = 1e9 in the params makes it
    with pytest.raises(ConfigError, match=r"rolesDistribution.node asks for 1000000000 hosts"):
        exploded.hosts()
    with pytest.raises(ConfigError, match=r"11001 hosts or more, more than the 10000 a composition may have "
                                          r"\(at role server\)"):
        comp.hosts({"node": 6000, "server": 5000})
    took, (_now, peak) = time.monotonic() - start, tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert took < 2 and peak < 50 * 1024 * 1024, (took, peak)


@pytest.mark.parametrize(("item", "said"), [
    ("node=1000000000", "--roles 'node=1000000000': more than the 10000 hosts a composition may have"),
    ("node=-1", "--roles 'node=-1': a count of hosts is 0 or more"),
    ("node=a;touch x,-oProxyCommand=x", "--roles 'node=a;touch x,-oProxyCommand=x': expected ROLE=COUNT or "
                                        "ROLE=host,host,... (host names of letters, digits, _ and -; not 'a;touch x')"),
    ("node=,", "--roles 'node=,': expected ROLE=COUNT or ROLE=host,host,..."),
    ("{{x}}=1", "--roles '{{x}}=1': '{{x}}' is not a role name"),
    ("node", "--roles 'node': expected NAME=VALUE"),
])
def test_role_assignments_are_refused_naming_the_option(item: str, said: str) -> None:
    with pytest.raises(ConfigError) as info:
        composition.parse_assignments([item], "--roles", names=True)
    assert str(info.value).startswith(said), str(info.value)


def test_role_assignments_that_are_fine() -> None:
    assert composition.parse_assignments(["node=3", "server=a,b-2", "x=0"], "--roles", names=True) == {
        "node": 3, "server": ["a", "b-2"], "x": 0}


def test_nodes_form_and_helpers(tmp_path: Path) -> None:
    comp = composition.load(make(tmp_path, '{ helpers, ... }: { nodes = helpers.makeMany ({ ... }: { }) "w" 3 '
                                           '// { server = { ... }: { }; }; }', setup=None))
    assert comp.roles == ["server", "w1", "w2", "w3"]
    assert comp.required_hosts() == 4
    assert comp.test_script == ""


def test_failing_test_script_is_none(tmp_path: Path) -> None:
    comp = composition.load(make(tmp_path, '{ pkgs, ... }: { roles = { a = { }; }; testScript = pkgs.x; }',
                                 setup=None))
    assert comp.test_script is None
    assert comp.hosts() == {"a": ["a"]}


def test_argument_needing_nixpkgs_at_top_level_is_a_clear_error(tmp_path: Path) -> None:
    make(tmp_path, "{ lib, ... }: lib.optionalAttrs true { roles = { a = { }; }; }", setup=None)
    with pytest.raises(SourceError) as err:
        composition.load(tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'composition.nix'}: cannot be evaluated offline: ")
    assert "the composition argument 'lib' needs nixpkgs" in str(err.value)


def test_syntax_error_names_the_file(tmp_path: Path) -> None:
    make(tmp_path, "{ roles = { a = ; }; }", setup=None)
    with pytest.raises(SourceError, match=r"composition.nix: cannot be evaluated offline: .*syntax error"):
        composition.load(tmp_path)


def test_not_a_composition_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r": not an nxc composition directory: no flake.nix"):
        composition.load(tmp_path)


def test_unreferenced_setup_toml_is_refused_like_nxc(tmp_path: Path) -> None:
    make(tmp_path, COMP, setup=None)
    (tmp_path / "setup.toml").write_text("[project]\n")
    with pytest.raises(SourceError, match=r"flake.nix: setup.toml exists but flake.nix does not reference it"):
        composition.load(tmp_path)


def test_setup_variant_without_setup_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"has no setup.toml, so no setup variant or parameter applies"):
        composition.load(make(tmp_path, COMP, setup=None), setup="dev")


def test_bad_nxc_json(tmp_path: Path) -> None:
    make(tmp_path, COMP)
    (tmp_path / "nxc.json").write_text("{\n  'x'\n}")
    with pytest.raises(SourceError, match=r"nxc.json:2: invalid JSON: Expecting property name"):
        composition.load(tmp_path)


def test_parse_assignments() -> None:
    assert composition.parse_assignments(["n=3", "s=x"], "-p") == {"n": 3, "s": "x"}
    assert composition.parse_assignments(["node=a,b"], "-r", names=True) == {"node": ["a", "b"]}
    with pytest.raises(ConfigError, match=r"-p 'n': expected NAME=VALUE"):
        composition.parse_assignments(["n"], "-p")


def test_cli_prints_json_and_exits_2_on_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make(tmp_path, COMP)
    assert composition.main([str(tmp_path), "-p", "n=1", "-r", "server=2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["hosts"] == {"frontend": ["frontend"], "node": ["node1"], "server": ["server1", "server2"]}
    assert out["required_hosts"] == 4
    assert out["test_script"] is True
    assert composition.main([str(tmp_path), "-s", "nope"]) == 2
    err = capsys.readouterr().err
    assert err == f"oar_nxc.formats.composition: {tmp_path}/setup.toml: no setup variant 'nope' (variants: none)\n"
