"""setup.toml: parsing, the keys nxc knows, variant resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from oar_nxc.errors import SourceError
from oar_nxc.formats import nxcsetup

GOOD = """
[project]

[params]
nb_nodes = 2

[options]
nix-flags = "-L"

[g5k-dev.options]
nix-flags = "--impure"

[g5k-dev.build.nur.repos.kapack.oar]
src = "/home/u/oar3"

[large.params]
nb_nodes = 8
"""


def test_parse_lists_variants() -> None:
    data = nxcsetup.parse_text(GOOD, "s.toml")
    assert nxcsetup.variants(data) == ["g5k-dev", "large"]


def test_resolve_without_variant_keeps_top_level() -> None:
    data = nxcsetup.parse_text(GOOD, "s.toml")
    setup = nxcsetup.resolve(data)
    assert setup["params"] == {"nb_nodes": 2}
    assert setup["project"] == {"selected": ""}
    assert setup["options"] == {"nix-flags": "-L"}


def test_resolve_variant_merges_recursively() -> None:
    data = nxcsetup.parse_text(GOOD, "s.toml")
    setup = nxcsetup.resolve(data, "g5k-dev")
    assert setup["options"] == {"nix-flags": "--impure"}
    assert setup["build"] == {"nur": {"repos": {"kapack": {"oar": {"src": "/home/u/oar3"}}}}}
    assert setup["project"]["selected"] == "g5k-dev"
    assert nxcsetup.resolve(data, "large")["params"] == {"nb_nodes": 8}


def test_override_params_win_like_nxc_build_p() -> None:
    data = nxcsetup.parse_text(GOOD, "s.toml")
    assert nxcsetup.resolve(data, "large", {"nb_nodes": 3})["params"] == {"nb_nodes": 3}


def test_selected_in_file_is_used_when_no_variant_given() -> None:
    data = nxcsetup.parse_text('[project]\nselected = "large"\n[params]\nnb_nodes = 1\n[large.params]\nnb_nodes = 5\n',
                               "s.toml")
    assert nxcsetup.resolve(data)["params"] == {"nb_nodes": 5}
    assert nxcsetup.resolve(data, "")["params"] == {"nb_nodes": 1}


def test_unknown_variant_names_the_known_ones() -> None:
    data = nxcsetup.parse_text(GOOD, "s.toml")
    with pytest.raises(SourceError) as err:
        nxcsetup.resolve(data, "laptop", source="c/setup.toml")
    assert str(err.value) == "c/setup.toml: no setup variant 'laptop' (variants: g5k-dev, large)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[params\nx=1\n", "s.toml:1: not valid TOML: Expected ']' at the end of a table declaration"),
        ('[project]\nname = "x"\n', "s.toml: key 'project.name': unknown to nxc (known: selected)"),
        ('[options]\nflavor = "vm"\n',
         "s.toml: key 'options.flavor': unknown to nxc (known: nix-flags, composition-file, "
         "composition-flavour, flavour, kernel-params)"),
        ('[vm.options]\nflavour = "vm"\n',
         "s.toml: key 'vm.options.flavour': nxc ignores this option in a variant (it reads nix-flags, "
         "composition-file, kernel-params there; give the flavour with -f / nxc_build_flavour)"),
        ("[dev.param]\nx = 1\n",
         "s.toml: key 'dev.param': unknown in a setup variant (nxc knows params, options, build, overrides)"),
        ('[dev.build.oar]\nsource = "/x"\n', "s.toml: key 'dev.build.oar.source': unknown to nxc (known: src, deps, "
         "args, attrs)"),
        ('[build.nur.kapack.oar]\nsrc = "/x"\n', "s.toml: key 'build.nur': must hold only repos.<repo>.<package>"),
        ('top = 1\n', "s.toml: key 'top': must be a table ([section]), not a value"),
        ('[project]\nselected = "dev"\n', "s.toml: key 'project.selected': names the variant 'dev', which is not "
         "defined"),
    ],
)
def test_bad_setup_names_file_and_key(text: str, message: str) -> None:
    with pytest.raises(SourceError) as err:
        nxcsetup.parse_text(text, "s.toml")
    assert str(err.value) == message


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"setup.toml: cannot read"):
        nxcsetup.load(tmp_path / "setup.toml")
