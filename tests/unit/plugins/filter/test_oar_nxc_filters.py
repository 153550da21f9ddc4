"""The filter plugin is a thin adapter: errors become AnsibleFilterError."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.oar.nxc.plugins.filter.oar_nxc import FilterModule
from tests.conftest import REPO

FILTERS = FilterModule().filters()


def test_the_filters() -> None:
    assert sorted(FILTERS) == ["ansible_unsupported", "composition_place", "missing_collections", "nxc_error",
                               "oar_job_id",
                               "oar_job_info", "oar_job_state", "oar_node_states", "oar_not_alive", "oar_version"]
    assert FILTERS["oar_job_id"]("x\nOAR_JOB_ID=5\n") == 5
    assert FILTERS["oar_not_alive"]('{"n1": {"1": "Dead"}}', ["n1"]) == ["n1: Dead"]
    assert FILTERS["oar_job_info"]('{"5": {"state": "Terminated", "exit_code": 256}}', 5)["exit_status"] == 1
    assert FILTERS["oar_version"]("OAR version : 2.5.9") == [2, 5, 9]
    assert FILTERS["nxc_error"]("a\nError: boom\nb") == "Error: boom"
    assert FILTERS["composition_place"]("/home/me/oar", "/c/compositions", "/c", "/w") == {
        "directory": "/home/me/oar", "root": "/home/me", "source": ""}
    with pytest.raises(AnsibleFilterError, match=r"^oar_nxc_composition: 'a/b' is neither the name"):
        FILTERS["composition_place"]("a/b", "/c/compositions", "/c", "/w")


def test_errors_become_filter_errors() -> None:
    with pytest.raises(AnsibleFilterError, match=r"oarsub: no OAR_JOB_ID= line"):
        FILTERS["oar_job_id"]("refused")


def test_every_filter_is_documented() -> None:
    assert sorted(p.stem for p in (REPO / "plugins" / "filter").glob("*.yml")) == sorted(FILTERS)


@pytest.mark.parametrize(
    ("version", "verdict"),
    [("2.19.0", ""), ("2.19.14", ""), ("2.20.3", ""), ("2.21.0", ""),
     ("2.18.9", "ansible-core 2.18.9 is not supported by oar.nxc: it requires ansible-core >=2.19.0,<2.22.0 ("),
     ("2.22.0", "ansible-core 2.22.0 is not supported by oar.nxc: it requires ansible-core >=2.19.0,<2.22.0 (")])
def test_ansible_unsupported_reads_the_collection_runtime(version: str, verdict: str) -> None:
    found = FILTERS["ansible_unsupported"](version)
    assert found == (verdict + str(REPO / "meta" / "runtime.yml") + ")" if verdict else "")


def test_ansible_unsupported_names_a_broken_runtime(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime.yml"
    runtime.write_text("requires_ansible: 'not a range'\n")
    with pytest.raises(AnsibleFilterError, match=r"cannot check ansible-core 2.19.1 against .*runtime.yml: "):
        FILTERS["ansible_unsupported"]("2.19.1", str(runtime))


def test_missing_collections() -> None:
    assert FILTERS["missing_collections"](["oar.nxc", "ansible.builtin", "community.nosuchthing"]) == [
        "community.nosuchthing"]
