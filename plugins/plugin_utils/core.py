# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""The oar.nxc collection's link to its Python dependency, the oar_nxc core.

The core (formats and decisions: nodefiles, deployment files, compositions) is the
``oar-nxc`` Python package, declared in the collection's requirements.txt, as
kubernetes.core declares ``kubernetes``. Controller-side plugins import it through
:func:`missing`, which names the fix instead of failing with a bare ImportError.
"""

from __future__ import annotations

import sys

from ansible.errors import AnsibleActionFail

# the version of the core's plugin API (oar_nxc.plugin_api.API) these plugins are written for: they import
# nothing of the core but that module
API = 1

try:
    from oar_nxc import plugin_api
except ImportError as exc:
    IMPORT_ERROR: ImportError | None = exc
    FOUND_API: object = None
else:
    IMPORT_ERROR = None
    FOUND_API = getattr(plugin_api, "API", None)


def missing() -> str | None:
    """None when the core is importable and speaks this collection's plugin API, else the message that tells
    how to install the right one."""
    if IMPORT_ERROR is not None:
        return (f"the oar.nxc collection needs the oar_nxc Python package in the Python of ansible-core "
                f"({sys.executable}): pip install oar-nxc (a wheel built from the oar-nxc repository, "
                f"see the collection's requirements.txt) [{IMPORT_ERROR}]")
    if FOUND_API != API:
        import oar_nxc

        return (f"the oar.nxc collection needs the oar_nxc core's plugin API {API}, and the oar-nxc "
                f"{getattr(oar_nxc, '__version__', '?')} installed in {sys.executable} has "
                f"{FOUND_API if FOUND_API is not None else 'none'}: install the oar-nxc wheel of the same "
                f"version as the collection (see its requirements.txt)")
    return None


def require(error: type[Exception] = AnsibleActionFail) -> None:
    """Raise ERROR (an action's failure by default; a lookup passes AnsibleLookupError) with the
    message of :func:`missing` when the core is not importable."""
    message = missing()
    if message is not None:
        raise error(message)
