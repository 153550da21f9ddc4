"""Filters for OAR and nxc command output (OAR 2.5 and OAR 3 shapes), over the oar_nxc core."""

from __future__ import annotations

import os
import sys
from typing import Any

from ansible.errors import AnsibleFilterError

try:
    from oar_nxc import nxcoutput, oarjson
    from oar_nxc.errors import OarNxcError
except ImportError:  # not installed: this repository's src/
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                    "src"))
    from oar_nxc import nxcoutput, oarjson
    from oar_nxc.errors import OarNxcError


def _wrap(func: Any) -> Any:
    def filter_(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except OarNxcError as exc:
            raise AnsibleFilterError(str(exc)) from None

    filter_.__name__ = func.__name__
    filter_.__doc__ = func.__doc__
    return filter_


def oar_job_id(stdout: str) -> int:
    """``oarsub`` output -> the job id (``OAR_JOB_ID=`` line)."""
    return oarjson.job_id(str(stdout))


def oar_node_states(text: str) -> dict[str, list[str]]:
    """``oarnodes -s -J`` output (2.5 object or OAR 3 list) -> {host: [states]}."""
    return oarjson.node_states(str(text))


def oar_not_alive(text: str, addresses: list[str]) -> list[str]:
    """``oarnodes -s -J`` output -> the wanted hosts that are not wholly Alive, with their states."""
    return oarjson.not_alive(oarjson.node_states(str(text)), [str(a) for a in addresses])


def oar_job_state(text: str, job: int) -> str | None:
    """``oarstat -s -j N -J`` output -> the state of job N."""
    return oarjson.job_state(str(text), int(job))


def oar_job_info(text: str, job: int) -> dict[str, Any]:
    """``oarstat -f -j N -J`` output -> state, exit_code, exit_status (>> 8), signal, addresses."""
    return oarjson.job_info(str(text), int(job)).as_dict()


def oar_version(text: str) -> list[int] | None:
    """``oarsub -V`` output -> [major, minor, patch]."""
    found = oarjson.version(str(text))
    return list(found) if found else None


def nxc_error(stderr: str) -> str:
    """nxc's stderr -> the line that says why it failed (``Error: ...``)."""
    return nxcoutput.error_line(str(stderr))


class FilterModule:
    """OAR output filters."""

    def filters(self) -> dict[str, Any]:
        return {f.__name__: _wrap(f) for f in (oar_job_id, oar_node_states, oar_not_alive, oar_job_state, oar_job_info,
                                                    oar_version, nxc_error)}
