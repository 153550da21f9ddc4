"""The identities that reach OAR's command lines, checked against OAR's own grammar before any command is built.

A user name, a job id, a host name or a job type that the project puts on a command line (``su - USER``,
``oardel ID``, ``ssh -- HOST``, ``oarsub -t TYPE``) comes from a flag, a variable, a CI setting or a record on
disk. Each is checked here, once, with the same rules on every face:

* a **user name** is a POSIX portable name, as OAR's own ``oardodo`` and ``su`` take it: a letter or ``_``
  first, then letters, digits, ``_``, ``.``, ``-``, at most 32 characters. It never starts with ``-``, so
  ``su`` can never read it as an option (``-s/bin/sh``, ``--session-command=...``);
* a **job id** is an integer (never a boolean, never a string) from 1 to OAR's largest (its ``jobs.job_id``
  is a PostgreSQL ``integer``);
* a **host name** is a DNS name or an IP address: never an option of ``ssh``;
* a **pid** is one the kernel can give (2 to ``PID_MAX``): pid 1, init, is never a run's process.

Each check raises :class:`~oar_nxc.errors.ConfigError` naming the key (or flag) it was given.
"""

from __future__ import annotations

import re
from typing import Any

from oar_nxc.errors import ConfigError

USER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}", re.ASCII)
HOST_RE = re.compile(r"(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9A-Fa-f:]{2,45}", re.ASCII)
MAX_JOB_ID = 2**31 - 1  # OAR's jobs.job_id: a PostgreSQL integer (serial)
PID_MAX = 2**22  # the kernel's largest pid_max
EXCERPT = 40


def _said(value: Any) -> str:
    text = str(value)
    return repr(text[:EXCERPT] + ("…" if len(text) > EXCERPT else ""))


def user(value: Any, key: str) -> str:
    """A user name (see the module), or ConfigError naming KEY."""
    if not isinstance(value, str):
        raise ConfigError(f"{key}: a {type(value).__name__} is not a user name")
    if not USER_RE.fullmatch(value):
        why = " (it starts with '-': su would read it as an option)" if value.startswith("-") else ""
        raise ConfigError(f"{key}: {_said(value)} is not a user name{why}: a letter or _ first, then letters, "
                          "digits, _ . -, at most 32 characters")
    return value


def job_id(value: Any, key: str) -> int:
    """An OAR job id (see the module), or ConfigError naming KEY."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{key}: a {type(value).__name__} ({_said(value)}) is not an OAR job id (an integer)")
    if not 1 <= value <= MAX_JOB_ID:
        raise ConfigError(f"{key}: {_said(value)} is not an OAR job id (1 to {MAX_JOB_ID})")
    return int(value)


def host(value: Any, key: str) -> str:
    """A host name or IP address (never an ssh option), or ConfigError naming KEY."""
    if not isinstance(value, str) or not HOST_RE.fullmatch(value):
        raise ConfigError(f"{key}: {_said(value)} is not a host name or an IP address")
    return value


def pid(value: Any, key: str) -> int:
    """A process id a run can have (2 to PID_MAX), or ConfigError naming KEY."""
    if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= PID_MAX:
        raise ConfigError(f"{key}: {_said(value)} is not the pid of a run's process (an integer, 2 to {PID_MAX})")
    return int(value)
