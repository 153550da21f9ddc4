"""The filter plugin is a thin adapter: errors become AnsibleFilterError."""

from __future__ import annotations

import importlib.util

import pytest
from ansible.errors import AnsibleFilterError
from tests.conftest import REPO

spec = importlib.util.spec_from_file_location("oar_nxc_filters", REPO / "plugins/filter/oar_nxc.py")
assert spec is not None and spec.loader is not None
filters_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(filters_module)
FILTERS = filters_module.FilterModule().filters()


def test_the_filters() -> None:
    assert sorted(FILTERS) == ["nxc_error", "oar_job_id", "oar_job_info", "oar_job_state", "oar_node_states",
                               "oar_not_alive", "oar_version"]
    assert FILTERS["oar_job_id"]("x\nOAR_JOB_ID=5\n") == 5
    assert FILTERS["oar_not_alive"]('{"n1": {"1": "Dead"}}', ["n1"]) == ["n1: Dead"]
    assert FILTERS["oar_job_info"]('{"5": {"state": "Terminated", "exit_code": 256}}', 5)["exit_status"] == 1
    assert FILTERS["oar_version"]("OAR version : 2.5.9") == [2, 5, 9]
    assert FILTERS["nxc_error"]("a\nError: boom\nb") == "Error: boom"


def test_errors_become_filter_errors() -> None:
    with pytest.raises(AnsibleFilterError, match=r"oarsub: no OAR_JOB_ID= line"):
        FILTERS["oar_job_id"]("refused")
