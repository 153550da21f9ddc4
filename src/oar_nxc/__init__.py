"""oar-nxc: deploy and test OAR compositions built with NixOS-Compose.

The package is a small typed core that knows the formats (OAR nodefiles, nxc
deployment files, compositions) and the faces that use it: the Ansible inventory
plugin, the roles and the command line.
"""

from __future__ import annotations

__version__ = "0.1.0"
