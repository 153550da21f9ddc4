"""Each fact has one owner; where its value must also be written elsewhere (a module's documentation, a
role's defaults and argument spec, a module that runs on a host without the core), these tests compare
the values, not only the names.

Owners: the smoke options' defaults, oar_nxc.smoke.model.Options; the flavours and the default flavour,
oar_nxc.formats.flavours; the nixos-compose pin, pyproject.toml; the exit signals, oar_nxc.errors; timeout(1)'s
exit code and the build record's path, the collection's module_utils/nxc.py (the nxc_build module runs
on the build host, without the core)."""

from __future__ import annotations

import dataclasses
import importlib
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_collections.oar.nxc.plugins.module_utils import nxc as nxc_utils
from ansible_collections.oar.nxc.plugins.plugin_utils import action, checks, local
from tests.conftest import REPO

from oar_nxc import errors
from oar_nxc.formats import flavours, nxcsetup
from oar_nxc.nxc import start
from oar_nxc.smoke import model as smoke_model

ROLES = sorted(p.name for p in (REPO / "roles").iterdir())
ACTIONS = sorted(p.stem for p in (REPO / "plugins" / "action").glob("*.py"))


def role_defaults(role: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / "roles" / role / "defaults/main.yml").read_text()) or {}


def role_spec(role: str, entry: str = "main") -> dict[str, Any]:
    specs = yaml.safe_load((REPO / "roles" / role / "meta/argument_specs.yml").read_text())["argument_specs"]
    options: dict[str, Any] = specs[entry]["options"]
    return options


def module_doc(name: str) -> dict[str, Any]:
    module = importlib.import_module(f"ansible_collections.oar.nxc.plugins.modules.{name}")
    options: dict[str, Any] = yaml.safe_load(module.DOCUMENTATION)["options"]
    return options


def core_defaults(cls: type) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


@pytest.mark.parametrize("role", ROLES)
def test_every_role_default_is_its_argument_specs_default(role: str) -> None:
    defaults, spec = role_defaults(role), role_spec(role)
    differ = {k: (defaults[k], v["default"]) for k, v in spec.items() if "default" in v and defaults[k] != v["default"]}
    assert differ == {}


@pytest.mark.parametrize("name", ACTIONS)
def test_every_action_validates_against_its_documented_options(name: str) -> None:
    """The argument spec of each action is built from its module's DOCUMENTATION (plugin_utils.action)."""
    module = importlib.import_module(f"ansible_collections.oar.nxc.plugins.action.{name}")
    # an action of the controller, or the in-process decision of a module (plugin_utils/local.py)
    assert issubclass(module.ActionModule, (action.OarNxcAction, local.LocalFirstAction))
    assert name == module.ActionModule.NAME
    assert not hasattr(module, "ARGUMENT_SPEC")
    spec = module.ActionModule.argument_spec()
    documented = module_doc(name)
    assert set(documented) <= set(spec)
    for option, doc in documented.items():
        assert {k: v for k, v in spec[option].items() if k not in ("options", "no_log")} == \
            {k: doc[k] for k in action.SPEC_KEYS if k in doc}, option


def test_the_smoke_options_defaults_are_the_cores_everywhere() -> None:
    core = core_defaults(smoke_model.Options)
    doc, defaults, spec = module_doc("oar_smoke"), role_defaults("oar_smoke"), role_spec("oar_smoke")
    settings = role_defaults("oar_nxc")
    compared = 0
    for name, value in core.items():
        if name == "checks":  # the list of every check: the smoke_checks lookup reads the core's
            assert defaults["oar_smoke_checks"] == settings["oar_nxc_smoke_checks"] == \
                "{{ lookup('oar.nxc.smoke_checks', wantlist=true) }}"
            continue
        assert doc[name]["default"] == value, f"oar.nxc.oar_smoke's documentation: {name}"
        if f"oar_smoke_{name}" in defaults:
            assert defaults[f"oar_smoke_{name}"] == value, f"oar_smoke's defaults: oar_smoke_{name}"
            assert spec[f"oar_smoke_{name}"]["default"] == value, f"oar_smoke's argument spec: oar_smoke_{name}"
            compared += 1
        if f"oar_nxc_smoke_{name}" in settings:
            assert settings[f"oar_nxc_smoke_{name}"] == value, f"the settings: oar_nxc_smoke_{name}"
    assert compared == 11
    assert settings["oar_nxc_smoke_user"] == defaults["oar_smoke_user"] == spec["oar_smoke_user"]["default"]


def test_the_nixos_compose_pin_is_pyprojects() -> None:
    pins = [d for d in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
            if d.startswith("nixos-compose")]
    assert len(pins) == 1 and pins[0].startswith("nixos-compose==")
    version = pins[0].removeprefix("nixos-compose==")
    assert role_defaults("nxc_install")["nxc_install_version"] == version
    assert role_spec("nxc_install")["nxc_install_version"]["default"] == version
    # written nowhere else among the settings and playbooks
    for path in [*(REPO / "playbooks").glob("*.yml"), REPO / "roles/oar_nxc/defaults/main.yml"]:
        assert version not in path.read_text(), path


def test_the_flavours_are_the_cores_everywhere() -> None:
    assert nxc_utils.FLAVOURS == flavours.NAMES
    choices = {f"{name}.{option}": doc["choices"] for name in ("nxc_build", "nxc_start", "preflight")
               for option, doc in action.documented_spec(name).items() if option == "flavour" and "choices" in doc}
    assert all(tuple(c) == flavours.NAMES for c in choices.values()), choices
    assert role_defaults("oar_nxc")["oar_nxc_flavour"] == flavours.DEFAULT
    for role in ("nxc_build", "nxc_deploy"):
        assert role_defaults(role)[f"{role}_flavour"] == flavours.DEFAULT
        spec = role_spec(role)[f"{role}_flavour"]
        assert spec["default"] == flavours.DEFAULT
        if "choices" in spec:
            assert tuple(spec["choices"]) == flavours.NAMES


def test_the_exit_signals_are_the_cores() -> None:
    assert (checks.BAD_INPUT, checks.RESERVATION) == (errors.BAD_INPUT_SIGNAL, errors.RESERVATION_SIGNAL)


def test_timeouts_exit_code_and_the_build_record_agree(tmp_path: Path) -> None:
    assert start.TIMEOUT_RC == nxc_utils.TIMEOUT_RC == 124
    for flavour in flavours.NAMES:
        paths = start.Paths.of(str(tmp_path), "composition", flavour)
        assert paths.build_record == nxc_utils.build_paths(str(tmp_path), flavour)[1], flavour


def _sources(table: Any, prefix: str = "build.") -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in (table or {}).items():
        if key == "src" and isinstance(value, str):
            found[prefix + "src"] = value
        elif isinstance(value, dict):
            found.update(_sources(value, f"{prefix}{key}."))
    return found


@pytest.mark.parametrize("composition", ["master", "nfs-home"])
def test_the_variant_merge_of_the_build_host_is_the_cores(composition: str) -> None:
    """nxc_build (on the build host, without the core) merges a variant's [build] as nxcsetup.resolve does."""
    directory = REPO / "compositions" / composition
    data = nxcsetup.load(directory / "setup.toml")
    for variant in ["", *nxcsetup.variants(data)]:
        merged = nxcsetup.resolve(data, variant or None)
        expected = {k: str((directory / v).resolve()) for k, v in _sources(merged.get("build")).items()}
        found, chosen = nxc_utils.variant_sources(str(directory), variant)
        assert (found, chosen) == (expected, variant or merged["project"]["selected"]), variant
