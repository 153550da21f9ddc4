# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""oar.nxc filters: OAR and nxc command output (OAR 2.5 and OAR 3 shapes), over the oar_nxc core,
and the controller checks of the preflight. Each filter is documented in plugins/filter/<name>.yml."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.oar.nxc.plugins.module_utils import nxc as nxc_utils
from ansible_collections.oar.nxc.plugins.plugin_utils import checks
from ansible_collections.oar.nxc.plugins.plugin_utils.core import missing

_MISSING = missing()
if _MISSING is None:
    from oar_nxc.plugin_api import OarNxcError, staging
    from oar_nxc.plugin_api import output as oarjson
else:  # the filters raise the install hint when used
    class OarNxcError(Exception):  # type: ignore[no-redef]
        """Stands for the core's error class when the core is missing."""


def _wrap(func: Any, needs_core: bool = True) -> Any:
    def filter_(*args: Any, **kwargs: Any) -> Any:
        if needs_core and _MISSING is not None:
            raise AnsibleFilterError(_MISSING)
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


def composition_place(composition: str, compositions_dir: str, collection_dir: str, work_dir: str) -> dict[str, str]:
    """oar_nxc_composition -> where it is built and deployed: directory, root, source (see oar_nxc.nxc.staging)."""
    return staging.place(str(composition), str(compositions_dir), str(collection_dir), str(work_dir)).as_dict()


def nxc_error(stderr: str) -> str:
    """nxc's stderr -> the line that says why it failed (``Error: ...``)."""
    return nxc_utils.error_line(str(stderr))


def ansible_unsupported(version: str, runtime: str | None = None) -> str:
    """ansible-core's version -> '' when meta/runtime.yml's requires_ansible admits it, else why not."""
    try:
        return checks.ansible_unsupported(version, runtime)
    except checks.CheckError as exc:
        raise AnsibleFilterError(str(exc)) from None


def missing_collections(names: list[str]) -> list[str]:
    """Collection names (namespace.name) -> those this Ansible cannot load."""
    return checks.missing_collections(names)


class FilterModule:
    """oar.nxc filters."""

    def filters(self) -> dict[str, Any]:
        core = (oar_job_id, oar_node_states, oar_not_alive, oar_job_state, oar_job_info, oar_version,
                composition_place)
        own = (nxc_error, ansible_unsupported, missing_collections)
        return {**{f.__name__: _wrap(f) for f in core}, **{f.__name__: _wrap(f, needs_core=False) for f in own}}
