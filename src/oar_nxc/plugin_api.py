"""The one module the oar.nxc collection's plugins import: the core's modules they use, by stable names.

The collection (plugins/) and this package are installed separately: the collection from Galaxy or a
tarball, this package as a wheel (the collection's requirements.txt). Inside the package, modules may
move between subpackages; the plugins only ever write ``from oar_nxc.plugin_api import <name>``, so a
move changes this file and nothing in the collection. ``API`` counts incompatible changes of the names
below; the collection's ``plugin_utils/core.py`` refuses a core whose ``API`` is not the one it was
written for, naming the version to install.
"""

from __future__ import annotations

from oar_nxc import errors, probes
from oar_nxc.errors import OarNxcError
from oar_nxc.formats import flavours, nodefile
from oar_nxc.formats.nodefile import job_id_from_value
from oar_nxc.inventory import known, sources
from oar_nxc.inventory import spec as inventory
from oar_nxc.nxc import rolecheck, staging, start
from oar_nxc.oar import findings, guard, http_request, lifecycle, output, remote, request
from oar_nxc.oar import jobs as oar_jobs
from oar_nxc.oar.remote import Output
from oar_nxc.smoke import checks as smoke_checks
from oar_nxc.smoke import reports, runner

API = 1

__all__ = [
    "API", "OarNxcError", "Output", "errors", "findings", "flavours", "guard", "http_request", "inventory",
    "job_id_from_value", "known", "lifecycle", "nodefile", "oar_jobs", "output", "probes", "remote", "reports",
    "request", "rolecheck", "runner", "smoke_checks", "sources", "staging", "start",
]
