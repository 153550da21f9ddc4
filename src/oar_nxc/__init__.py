"""oar-nxc: deploy and test OAR compositions built with NixOS-Compose.

The package is a small typed core that knows the formats (OAR nodefiles, nxc
deployment files, compositions) and the faces that use it: the Ansible inventory
plugin, the roles and the command line.
"""

from __future__ import annotations

from importlib import metadata as _metadata

try:  # one version, pyproject.toml's (galaxy.yml repeats it for the collection; a test compares them)
    __version__ = _metadata.version("oar-nxc")
except _metadata.PackageNotFoundError:  # the source tree on sys.path without an install
    __version__ = "0+unknown"
