"""Unit tests never ask this machine's OAR (the testbed's, when it is up) about the fixtures' jobs:
``oarstat`` is absent for them unless a test hands :func:`oar_nxc.oar.jobs.query` its own runner."""

from __future__ import annotations

import pytest

from oar_nxc.oar import jobs as oarjob


@pytest.fixture(autouse=True)
def _no_live_oar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oarjob, "oarstat_available", lambda: False)
    monkeypatch.setenv("OAR_NXC_LIVE_JOB", "never")
