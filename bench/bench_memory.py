"""Benchmark: peak memory of the nodefile reader and of `ansible-inventory --list`, against baselines.

Reports, in one run:
  * the core reading a 60 MB nodefile of 20 million per-core lines (streamed: per-host counts,
    not a list of lines): peak RSS of a child process that only loads it, and of the same child
    that only starts Python and imports the core (the baseline). Target: under 200 MB;
  * `ansible-inventory --list` on a 10,000 x 32 nodefile (the oar_nxc plugin) and on a JSON
    script inventory printing the same hosts, groups and variables: peak RSS of each (the
    script's own process not counted, which favours the baseline). Target: ratio <= 1.3.
Usage: python -m bench.bench_memory
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.bench_inventory import OUT, REPO, write_nodefile

LINES = 20_000_000


def peak_mib(argv: list[str], **kwargs: object) -> float:
    """Peak resident memory of the child process, in MiB (wait4's ru_maxrss)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "OAR_"))}
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            **kwargs)  # type: ignore[call-overload]
    _unused, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[:3]} failed: {proc.stderr.read().decode()[-500:] if proc.stderr else ''}")
    return usage.ru_maxrss / 1024


def write_60mb(path: Path) -> int:
    """20 million lines of 3 bytes: 260 two-character hosts, each on ~77,000 consecutive lines."""
    names = [f"{chr(97 + i // 10)}{i % 10}".encode() for i in range(260)]
    per = LINES // len(names)
    with path.open("wb") as handle:
        for index, name in enumerate(names):
            count = per + (1 if index < LINES - per * len(names) else 0)
            handle.write((name + b"\n") * count)
    return path.stat().st_size


def write_script(path: Path, data_path: Path, nodefile: Path) -> None:
    from oar_nxc.formats import nodefile as nodefile_mod
    from oar_nxc.inventory.spec import describe

    spec = describe(nodefile_mod.load(nodefile))
    groups = {name: {"hosts": members} for name, members in spec.groups.items()}
    data_path.write_text(json.dumps({**groups, "_meta": {"hostvars": spec.hosts}}))
    path.write_text(f"#!{sys.executable}\nimport sys\nsys.stdout.write(open({str(data_path)!r}).read() "
                    "if '--list' in sys.argv else '{}')\n")
    path.chmod(0o755)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    big = OUT / "nodefile-20M-lines"
    size = write_60mb(big)
    load = f"from oar_nxc import nodefile; n = nodefile.load({str(big)!r}); assert n.lines == {LINES}"
    core = peak_mib([sys.executable, "-c", load])
    python = peak_mib([sys.executable, "-c", "import oar_nxc.formats.nodefile"])
    big.unlink()

    nodes = OUT / "nodefile-10000x32"
    write_nodefile(nodes, 10_000, 32)
    script = OUT / "script-10000x32.py"
    write_script(script, OUT / "script-10000x32.json", nodes)
    bin_dir = Path(sys.executable).parent
    plugin = peak_mib([str(bin_dir / "ansible-inventory"), "-i", str(nodes), "--list"])
    baseline = peak_mib([str(bin_dir / "ansible-inventory"), "-i", str(script), "--list"])
    ratio = plugin / baseline
    print(f"nodefile: {LINES} lines, {size / 1e6:.0f} MB: core peak RSS {core:.0f} MiB "
          f"(Python + the core alone: {python:.0f} MiB; target < 200 MiB)")
    print(f"ansible-inventory --list, 10,000 x 32: oar_nxc plugin {plugin:.0f} MiB, JSON script inventory "
          f"{baseline:.0f} MiB: ratio {ratio:.2f} (target <= 1.3)")
    ok = core < 200 and ratio <= 1.3
    print("bench: targets " + ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
