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

try:
    import oar_nxc  # noqa: F401  (imported for the check only)
except ImportError as exc:
    IMPORT_ERROR: ImportError | None = exc
else:
    IMPORT_ERROR = None


def missing() -> str | None:
    """None when the core is importable, else the message that tells how to install it."""
    if IMPORT_ERROR is None:
        return None
    return (f"the oar.nxc collection needs the oar_nxc Python package in the Python of ansible-core "
            f"({sys.executable}): pip install oar-nxc (a wheel built from the oar-nxc repository, "
            f"see the collection's requirements.txt) [{IMPORT_ERROR}]")


def require(error: type[Exception] = AnsibleActionFail) -> None:
    """Raise ERROR (an action's failure by default; a lookup passes AnsibleLookupError) with the
    message of :func:`missing` when the core is not importable."""
    message = missing()
    if message is not None:
        raise error(message)
