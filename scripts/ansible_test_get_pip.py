"""pip's bootstrap for ``ansible-test --venv``, from the package index.

ansible-test makes each virtual environment without pip, then runs a ``get-pip.py`` that it
downloads from a host of its own (ci-files.testing.ansible.com) and caches in
``~/.ansible/test/cache/get_pip_<version>.py``. That host is out of reach here; the package
index is not. ``scripts/ansible-test.sh`` puts this file in that cache, under a HOME of its own:
it installs pip with the interpreter's own ``ensurepip``, then the packages ansible-test asks for
(``pip==<version>``) from the index. The options that only get-pip.py knows are dropped.
"""

from __future__ import annotations

import subprocess
import sys

GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")


def main() -> None:
    """Install pip, then what ansible-test asked for."""
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "pip", "install", *args], check=True)


if __name__ == "__main__":
    main()
