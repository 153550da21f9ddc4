"""Property-based tests of the core's parsers (hypothesis, a bounded number of examples in CI).

For any bytes, each parser returns its result or raises the project's own error (OarNxcError):
never another exception; the memory it allocates stays within a bound of its input's size.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oar_nxc.errors import OarNxcError
from oar_nxc.formats import deployment, detect, nodefile, reading
from oar_nxc.inventory import sources

EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    derandomize=True)

# bytes that look like the real inputs more often than uniform noise would
LINE = st.one_of(st.sampled_from([b"dahu-3.grenoble.grid5000.fr", b"node1", b"10.0.0.1", b"", b" ", b"\r", b"all",
                                  b"ungrouped", b"localhost", b"oar_nodes", b"[nodes]", b"a=b", b"\x00", b"\xff"]),
                 st.binary(max_size=40))
NODEFILE_BYTES = st.one_of(st.binary(max_size=2000), st.lists(LINE, max_size=50).map(b"\n".join))
JSON_TEXT = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children,
                                                                               max_size=4)),
    max_leaves=30)
ENTRY = st.fixed_dictionaries({"role": st.one_of(st.text(max_size=10), st.sampled_from(["node", "server"])),
                               "host": st.one_of(st.text(max_size=10), st.sampled_from(["node1", "all", "-x"])),
                               "vm_id": st.one_of(st.integers(), st.text(max_size=3))})
DEPLOYMENT = st.fixed_dictionaries({"deployment": st.dictionaries(
    st.one_of(st.sampled_from(["10.0.0.1", "10.0.0.2", "node1"]), st.text(max_size=15)), ENTRY, max_size=4)})


def bounded(parse: Callable[[], Any], data_size: int) -> None:
    """PARSE() returns or raises OarNxcError, allocating at most 1 MiB + 50 x the input's size."""
    tracemalloc.start()
    try:
        parse()
    except OarNxcError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 1024 * 1024 + 50 * data_size, peak


@EXAMPLES
@given(NODEFILE_BYTES)
def test_nodefile_any_bytes(data: bytes) -> None:
    bounded(lambda: nodefile.parse_bytes(data, "nodefile"), len(data))


@EXAMPLES
@given(st.one_of(st.binary(max_size=2000), JSON_TEXT.map(lambda v: __import__("json").dumps(v).encode()),
                 DEPLOYMENT.map(lambda v: __import__("json").dumps(v).encode())),
       st.sampled_from(["composition::g5k-nfs-store.json", "composition::vm.json", "composition::docker.json",
                        "composition::vmm.json", "x.json"]))
def test_deployment_any_bytes(data: bytes, name: str) -> None:
    bounded(lambda: deployment.parse_bytes(data, f"/d/deploy/{name}"), len(data))


@EXAMPLES
@given(st.binary(max_size=3000), st.sampled_from(["nodefile", "x.yml", "composition::vm.json", "OAR.7.stdout"]))
def test_sniff_never_raises(tmp_path_factory: pytest.TempPathFactory, data: bytes, name: str) -> None:
    path = tmp_path_factory.mktemp("sniff") / name
    path.write_bytes(data)
    assert detect.sniff(str(path)) in (None, "nodefile", "deployment", "config", "ini", "executable")


@EXAMPLES
@given(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30), st.lists(st.integers(), max_size=3),
                 st.lists(st.text(max_size=5), max_size=3), st.floats()))
def test_option_values(value: Any) -> None:
    for key in ("nodes", "exclude", "job_id"):
        try:
            sources.options_from({key: value}, "config.yml")
        except OarNxcError as exc:
            assert key in str(exc)


def test_the_bound_is_the_streaming_one(tmp_path: Path) -> None:
    # 1,600,000 per-core lines of 8 hosts (24 MB): memory follows the chunk and the distinct hosts, not the file
    path = tmp_path / "nodefile"
    path.write_bytes(b"".join(b"host-%d.example\n" % (i % 8) for i in range(8)) * 200_000)
    tracemalloc.start()
    parsed = nodefile.load(str(path))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [m.cores for m in parsed.machines] == [200_000] * 8
    assert path.stat().st_size == 24_000_000
    assert peak < 10 * reading.CHUNK
