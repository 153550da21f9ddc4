"""Run a command and write what it cost: ``python -m bench.rusage OUT.json -- ARGV...``.

OUT.json gets ``cpu_s`` (user + sys seconds of the command and of every descendant it waited for:
ansible-playbook, its workers, their ssh and module processes; and of every descendant that ended orphaned
before the command did, such as the machines' launches nxc start leaves in the background for a kexec flavour:
this process is their subreaper, and reaps them once the command has ended), ``maxrss_kb`` (the largest
resident set among them: ansible-playbook's own peak) and ``machine_cpu_s`` (the CPU seconds the
whole machine spent meanwhile, from /proc/stat: on the testbed, the nodes' sshd and OAR run on the
controller's cores too, and this tells their share). The command's exit status is this one's.
No signal handler is installed: an interrupt reaches the command as it would without this wrapper.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import subprocess
import sys
from pathlib import Path


def machine_cpu() -> float:
    """CPU seconds the machine has spent busy since boot (/proc/stat: user, nice, system, irq, softirq)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    busy = [int(fields[i]) for i in (0, 1, 2, 5, 6)]
    return sum(busy) / os.sysconf("SC_CLK_TCK")


PR_SET_CHILD_SUBREAPER = 36  # prctl(2)


def subreaper() -> None:
    """Orphaned descendants become this process's children (and their CPU, once reaped, this one's children's)."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def reap() -> None:
    """Reap the orphans that have ended; leave those still running (the ssh masters, ControlPersist 60 s)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m bench.rusage OUT.json -- ARGV...", file=sys.stderr)
        return 2
    before = machine_cpu()
    subreaper()
    rc = subprocess.run(argv[2:], check=False).returncode
    reap()
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(argv[0]).write_text(json.dumps({"cpu_s": round(used.ru_utime + used.ru_stime, 3),
                                         "maxrss_kb": used.ru_maxrss,
                                         "machine_cpu_s": round(machine_cpu() - before, 2)}))
    return rc


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
