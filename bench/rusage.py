"""Run a command and write what it cost: ``python -m bench.rusage OUT.json -- ARGV...``.

OUT.json gets ``cpu_s`` (user + sys seconds of the command and of every descendant it waited for:
ansible-playbook, its workers, their ssh and module processes) and ``maxrss_kb`` (the largest
resident set among them: ansible-playbook's own peak). The command's exit status is this one's.
No signal handler is installed: an interrupt reaches the command as it would without this wrapper.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m bench.rusage OUT.json -- ARGV...", file=sys.stderr)
        return 2
    rc = subprocess.run(argv[2:], check=False).returncode
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(argv[0]).write_text(json.dumps({"cpu_s": round(used.ru_utime + used.ru_stime, 3),
                                         "maxrss_kb": used.ru_maxrss}))
    return rc


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
