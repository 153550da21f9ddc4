"""The flavours are written once, in oar_nxc.formats.flavours; the copies Ansible needs statically equal it."""

from __future__ import annotations

import re

import yaml
from ansible_collections.oar.nxc.plugins.module_utils import nxc as module_utils
from tests.conftest import REPO

from oar_nxc import api
from oar_nxc.formats import flavours


def test_table() -> None:
    assert flavours.NAMES == ("docker", "g5k-image", "g5k-nfs-store", "g5k-ramdisk", "nspawn", "vm", "vm-ramdisk")
    assert flavours.LOCAL == ("docker", "nspawn", "vm", "vm-ramdisk")
    assert flavours.G5K == api.G5K_FLAVOURS == ("g5k-image", "g5k-nfs-store", "g5k-ramdisk")
    assert [n for n, f in flavours.FLAVOURS.items() if f.background] == list(flavours.VM)
    assert flavours.table()["g5k-image"] == {
        "name": "g5k-image", "local": False, "nix_install_method": "nxc-helper", "deploy_timeout": 1800,
        "remote_deployment_info": True, "answer_prompt": True, "background": False, "kexec": False,
        "collections": [], "job_types": ["deploy"]}
    assert [n for n, f in flavours.FLAVOURS.items() if f.kexec] == ["g5k-nfs-store", "g5k-ramdisk"]
    assert flavours.unknown("g5k-ramdisk") is None
    assert flavours.unknown("kvm") == ("unknown flavour 'kvm': one of docker, g5k-image, g5k-nfs-store, "
                                       "g5k-ramdisk, nspawn, vm, vm-ramdisk")


def test_static_copies_equal_the_core() -> None:
    # the module runs on the builder, without the core; the plugin's documentation is static text
    assert module_utils.FLAVOURS == flavours.NAMES
    text = (REPO / "plugins/inventory/oar_nxc.py").read_text()
    doc = yaml.safe_load(re.search(r'DOCUMENTATION = r"""(.*?)"""', text, re.S).group(1))  # type: ignore[union-attr]
    assert tuple(doc["options"]["flavour"]["choices"]) == flavours.NAMES


def test_no_other_flavour_list() -> None:
    """No role, playbook or plugin spells the flavour list again (the static copies above are checked)."""
    listed = re.compile(r"g5k-nfs-store.{0,40}g5k-ramdisk|vm-ramdisk.{0,40}g5k-", re.S)
    found = []
    for path in [*REPO.glob("roles/**/*.yml"), *REPO.glob("playbooks/**/*.yml"), *REPO.glob("plugins/**/*.py")]:
        if path.name in ("oar_nxc.py", "nxc.py") and path.parent.name in ("inventory", "module_utils", "doc_fragments"):
            continue
        if listed.search(path.read_text()):
            found.append(str(path.relative_to(REPO)))
    assert found == []


def test_smoke_checks_written_once() -> None:
    from oar_nxc.smoke import checks as smoke

    assert smoke.names() == ["node_sshd", "resources_alive", "batch_job", "failing_job", "oardel", "reservation",
                             "rest_api"]
    assert smoke.names("gate") == ["node_sshd", "resources_alive"]
    assert smoke.names("job") == ["batch_job", "failing_job", "oardel", "reservation"]
    listed = re.compile(r"node_sshd.{0,20}resources_alive|batch_job.{0,20}failing_job", re.S)
    found = [str(p.relative_to(REPO)) for p in [*REPO.glob("roles/**/*.yml"), *REPO.glob("playbooks/**/*.yml")]
             if listed.search(p.read_text())]
    assert found == []
