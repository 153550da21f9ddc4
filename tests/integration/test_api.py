"""The Python API behaves as a library: called from a thread, it leaves os.environ and the
signal handlers of its caller alone, passes its settings to ansible-playbook only, and stops
when the caller's cancel callable says so. A real ansible-playbook run (smoke.yml with the
smoke tests off), no testbed needed."""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from pathlib import Path

from oar_nxc import api
from tests.conftest import FIXTURES, REPO

NODEFILE = str(FIXTURES / "nodefiles" / "g5k-two-clusters")


def options(tmp_path: Path, name: str) -> api.Options:
    return api.Options(nodefile=NODEFILE, nodes=2, exclude=["dahu-3*"], extra_vars=["oar_nxc_smoke=false"],
                       run_dir=str(tmp_path / name), cwd=str(REPO))


def test_called_from_a_thread_it_changes_nothing_of_its_caller(tmp_path: Path) -> None:
    env_before = dict(os.environ)
    handlers_before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    results: list[api.RunResult] = []
    thread = threading.Thread(target=lambda: results.append(
        api.smoke(options(tmp_path, "run"), out=io.StringIO(), tty=False)))
    leaked = []
    thread.start()
    while thread.is_alive():
        leaked += [k for k in os.environ if k.startswith(("OAR_NXC_", "ANSIBLE_")) or k not in env_before]
        time.sleep(0.02)
    thread.join()
    (result,) = results
    assert (result.exit_code, result.status) == (api.OK, "successful"), result.failures
    assert leaked == []
    assert dict(os.environ) == env_before
    assert {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)} == handlers_before
    # smoke.yml's plays run on the controller only (OAR_NXC_NODES reaching the plugin: test_cli's too-few test)
    assert sorted(result.hosts) == ["localhost"]
    assert result.command == "smoke" and Path(result.run_dir) == tmp_path / "run"


def test_the_cancel_callable_stops_the_run(tmp_path: Path) -> None:
    started = time.monotonic()
    result = api.smoke(options(tmp_path, "cancelled"), out=io.StringIO(), tty=False, cancel=lambda: True)
    assert (result.exit_code, result.status) == (api.INTERRUPTED, "canceled")
    assert time.monotonic() - started < 30


def test_a_preflight_refusal_is_bad_input_from_its_signal(tmp_path: Path) -> None:
    """The preflight action returns oar_nxc_exit=bad_input; the exit code comes from it, not from names."""
    result = api.plan(api.Options(flavour="docker", run_dir=str(tmp_path / "plan"), cwd=str(REPO)),
                      out=io.StringIO(), tty=False)
    assert (result.exit_code, result.meaning) == (api.BAD_INPUT, "bad input")
    assert result.failures == [
        "Check the controller and the inventory / Check ansible-core, the inventory, the flavour and its collections "
        "@ localhost: The docker flavour needs the collection(s) community.docker, which this Ansible cannot load: "
        "ansible-galaxy collection install community.docker (they are declared in oar.nxc's galaxy.yml)."]
