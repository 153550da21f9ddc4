"""The CLI's extra variables are data: a Jinja payload in any of them stays inert in a real ansible-playbook run
(no command runs, the value arrives as written)."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from oar_nxc import unsafe_vars
from tests.conftest import BIN, clean_env, run


def payload(marker: Path) -> str:
    return "{{ lookup('ansible.builtin.pipe', 'touch " + str(marker) + "') }}"


def test_every_string_is_tagged_unsafe_whatever_its_depth() -> None:
    text = unsafe_vars.dumps({"oar_nxc_setup": "a", "oar_nxc_roles": {"node": 2}, "oar_nxc_min_machines": 3,
                              "oar_nxc_job": {"types": ("deploy", "x"), "name": "n", "keep": False, "walltime": None}})
    assert "!unsafe 'a'" in text and "!unsafe 'deploy'" in text and "!unsafe 'n'" in text
    assert "oar_nxc_min_machines: 3" in text and "keep: false" in text and "walltime: null" in text

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
    assert yaml.load(text, Loader=Loader) == {  # noqa: S506 (a SafeLoader)
        "oar_nxc_setup": "a", "oar_nxc_roles": {"node": 2}, "oar_nxc_min_machines": 3,
        "oar_nxc_job": {"types": ["deploy", "x"], "name": "n", "keep": False, "walltime": None}}


def test_a_payload_stays_inert_in_ansible_playbook(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    values = {"oar_nxc_setup": payload(marker), "oar_nxc_report_dir": f"/tmp/{payload(marker)}",
              "oar_nxc_roles": {"node": 1, "extra": [payload(marker)]}, "oar_nxc_job": {"name": payload(marker)}}
    extravars = unsafe_vars.write(tmp_path, values)
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- name: Use the values as the roles do\n  hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - name: Write them out\n      ansible.builtin.copy:\n"
        "        content: \"{{ [oar_nxc_setup, oar_nxc_report_dir, oar_nxc_roles.extra[0], oar_nxc_job.name]"
        " | to_json }}\"\n        dest: \"" + str(tmp_path / "out.json") + "\"\n        mode: \"0600\"\n")
    done = run([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook), "-e", f"@{extravars}",
                "-e", f"ansible_python_interpreter={sys.executable}"],
               cwd=tmp_path, env=clean_env())
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert not marker.exists()
    assert yaml.safe_load((tmp_path / "out.json").read_text()) == [
        payload(marker), f"/tmp/{payload(marker)}", payload(marker), payload(marker)]
