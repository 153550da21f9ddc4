"""Benchmark: the oar_nxc plugin on a 10,000-host x 32-core nodefile (320,000 lines).

Reports, in one run:
  * the plugin's own parse time (core: read + parse + describe; and the whole
    InventoryModule.parse into an InventoryData), best of 5;
  * `ansible-inventory --list` wall time on the nodefile and on the same hosts,
    groups and variables written as a static YAML inventory (median of 3 each),
    and their ratio.
Targets: parse < 0.5 s; ratio <= 1.2.   Usage: python -m bench.bench_inventory [HOSTS] [CORES]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"

from oar_nxc import nodefile  # noqa: E402  (the installed package: make setup installs it)
from oar_nxc.inventory.spec import describe  # noqa: E402

SITES = ["grenoble", "lyon", "nancy", "rennes", "lille"]
CLUSTERS = ["dahu", "yeti", "troll", "gros", "grue", "paradoxe", "abacus22", "chifflot", "nova", "taurus"]


def write_nodefile(path: Path, hosts: int, cores: int) -> list[str]:
    names = [f"{CLUSTERS[i % len(CLUSTERS)]}-{i // len(CLUSTERS) + 1}.{SITES[i % len(SITES)]}.grid5000.fr"
             for i in range(hosts)]
    names.sort()  # OAR writes the nodefile sorted
    with path.open("w") as handle:
        for name in names:
            handle.write(f"{name}\n" * cores)
    return names


def write_static_yaml(path: Path, spec_hosts: dict, spec_groups: dict) -> None:
    children = {group: {"hosts": {h: None for h in members}} for group, members in spec_groups.items()}
    first = next(iter(spec_groups))
    children[first]["hosts"] = {h: spec_hosts[h] for h in spec_groups[first]}
    path.write_text(yaml.safe_dump({"all": {"children": children}}, sort_keys=False))


def best(fn: object, repeat: int = 5) -> float:
    times = []
    for _unused in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def plugin_parse(path: Path) -> None:
    from ansible.inventory.data import InventoryData
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import init_plugin_loader, inventory_loader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the collection finder, set up again on each call
        init_plugin_loader([str(REPO / "collections")])  # the checkout is oar.nxc (symlink)
    plugin = inventory_loader.get("oar.nxc.oar_nxc")
    plugin.parse(InventoryData(), DataLoader(), str(path), cache=False)


def wall(argv: list[str], repeat: int = 3) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "OAR_"))}
    times = []
    for _unused in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    hosts = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    cores = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    OUT.mkdir(parents=True, exist_ok=True)
    nodes = OUT / f"nodefile-{hosts}x{cores}"
    write_nodefile(nodes, hosts, cores)
    core_time = best(lambda: describe(nodefile.load(nodes)))
    plugin_time = best(lambda: plugin_parse(nodes))
    spec = describe(nodefile.load(nodes))
    static = OUT / f"static-{hosts}x{cores}.yml"
    write_static_yaml(static, spec.hosts, spec.groups)

    bin_dir = Path(sys.executable).parent
    plugin_wall = wall([str(bin_dir / "ansible-inventory"), "-i", str(nodes), "--list"])
    static_wall = wall([str(bin_dir / "ansible-inventory"), "-i", str(static), "--list"])
    ratio = plugin_wall / static_wall
    lines = hosts * cores
    print(f"nodefile: {hosts} hosts x {cores} cores = {lines} lines ({nodes.stat().st_size / 1e6:.1f} MB)")
    print(f"core parse+describe (best of 5):        {core_time:.3f} s  (target < 0.5 s)")
    print(f"plugin parse into InventoryData (best):  {plugin_time:.3f} s")
    print(f"ansible-inventory --list, nodefile:      {plugin_wall:.2f} s (median of 3)")
    print(f"ansible-inventory --list, static YAML:   {static_wall:.2f} s (median of 3)")
    print(f"wall-time ratio plugin/static:           {ratio:.2f}  (target <= 1.2)")
    ok = core_time < 0.5 and ratio <= 1.2
    print("bench: targets " + ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
