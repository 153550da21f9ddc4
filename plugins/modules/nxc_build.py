#!/usr/bin/python
# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Ansible module: nxc build of a composition for one flavour, skipped when its inputs are unchanged."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nxc_build
short_description: Build an nxc composition for one flavour, unless it is up to date
version_added: "1.0.0"
description:
  - Runs C(nxc build -f <flavour> [-s <setup>] [-p k=v ...]) in O(composition_dir) under C(timeout),
    as C(terraform) runs C(plan) then C(apply) - one task that decides, runs and reports.
  - "Up-to-date test: a sha256 of every file under O(inputs) (build outputs and VCS directories skipped),
    with the flavour, setup, parameters, extra arguments and the nxc version. When it equals the digest
    recorded by the last successful build (C(build/.oar-nxc-<flavour>.json)) and the build result
    C(build/composition::<flavour>) exists, nothing runs and C(changed) is false."
  - nxc rewrites C(setup.toml) while it builds; the module puts it back byte for byte, also after a failure.
  - In check mode nothing runs; RV(cmd) and RV(why) say what would run and why.
options:
  composition_dir:
    description: The composition directory (C(flake.nix), C(nxc.json)); nxc writes C(build/) into it.
    type: path
    required: true
  setup:
    description: Setup variant of C(setup.toml) (C(nxc build -s)); empty for none.
    type: str
    default: ""
  params:
    description: Setup parameters (C(nxc build -p key=value)).
    type: dict
    default: {}
  extra_args:
    description: More arguments for C(nxc build).
    type: list
    elements: str
    default: []
  inputs:
    description:
      - Files and directories whose content the build depends on; default O(composition_dir).
      - "The C(src) paths the setup variant gives nix (C(build.<package path>.src) of C(setup.toml), the top level's
        and the variant's, as nxc merges them) are always added: a dev variant's OAR checkout is an input, hashed
        by content (build, VCS, cache and virtual environment directories skipped)."
    type: list
    elements: path
    default: []
  force:
    description: Build even when up to date.
    type: bool
    default: false
  timeout:
    description: Seconds before nxc build is stopped (SIGTERM, then SIGKILL 30 s later).
    type: int
    default: 7200
author:
  - oar-nxc developers (@oar-nxc)
extends_documentation_fragment:
  - oar.nxc.nxc
  - oar.nxc.attributes
  - oar.nxc.attributes.local_first
"""

EXAMPLES = r"""
- name: Build the composition for Grid'5000
  oar.nxc.nxc_build:
    composition_dir: /home/alice/oar-nxc/compositions/master
    flavour: g5k-nfs-store
    nxc: /home/alice/.local/share/oar-nxc/nxc-venv/bin/nxc
  register: build

- name: Rebuild with the development variant, whatever the inputs
  oar.nxc.nxc_build:
    composition_dir: /home/alice/oar-nxc/compositions/master
    flavour: g5k-nfs-store
    setup: g5k-dev
    force: true
"""

RETURN = r"""
oar_nxc_exit:
  description:
    - V(bad_input) when the failure is the input's fault (no composition, C(setup.toml) unreadable, a source or
      an input missing); the oar-nxc command line turns it into exit code 2.
  returned: on such a failure
  type: str
  sample: bad_input
inputs:
  description: The roots hashed for the fingerprint (the composition or O(inputs), then the variant's sources).
  returned: when the composition was found
  type: list
  elements: str
sources:
  description: The variant's C(build.<package path>.src) paths, by key (C(build.nur.repos.kapack.oar.src)).
  returned: when the composition was found
  type: dict
source_digests:
  description: Per source key, its C(path) and the C(digest) of its content; also in the build record.
  returned: when nxc runs
  type: dict
changed_inputs:
  description: The input files added, removed or edited since the last build (at most 20); RV(why) names the first.
  returned: when nxc runs
  type: list
  elements: str
cmd:
  description: The nxc build command line (run, or that would run).
  returned: always
  type: list
  elements: str
command:
  description: RV(cmd) quoted for a shell, to run it by hand.
  returned: always
  type: str
up_to_date:
  description: Whether the inputs equal those of the last successful build.
  returned: success
  type: bool
why:
  description: Why the build runs, would run, or is skipped.
  returned: always
  type: str
digest:
  description: sha256 of the build inputs.
  returned: success
  type: str
files:
  description: Number of input files hashed.
  returned: success
  type: int
nxc_version:
  description: The output of C(nxc --version).
  returned: success
  type: str
record:
  description: The record of the last successful build (JSON file).
  returned: always
  type: str
result:
  description: The build result nxc links (C(build/composition::<flavour>)).
  returned: always
  type: str
plan:
  description: The step as C(oar-nxc plan) shows it (step, command, cwd, run, why).
  returned: always
  type: dict
elapsed:
  description: Seconds nxc build ran (0 when it did not run).
  returned: success
  type: float
rc:
  description: nxc's exit code (124 when the timeout stopped it).
  returned: failure
  type: int
stdout:
  description: nxc's standard output.
  returned: when nxc ran
  type: str
stderr:
  description: nxc's standard error.
  returned: when nxc ran
  type: str
"""

import json
import os
import shutil
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.oar.nxc.plugins.module_utils.nxc import (
    BAD_INPUT_SIGNAL,
    FLAVOURS,
    MAX_DEPTH,
    MAX_TIMEOUT,
    InputError,
    build_argv,
    build_decision,
    build_paths,
    changed_inputs,
    check_input_root,
    failure,
    file_digests,
    fingerprint,
    quote,
    read_record,
    too_deep,
    tree_digest,
    variant_sources,
)

ARGUMENT_SPEC = {
    "composition_dir": {"type": "path", "required": True},
    "flavour": {"type": "str", "required": True, "choices": list(FLAVOURS)},
    "setup": {"type": "str", "default": ""},
    "params": {"type": "dict", "default": {}},
    "nxc": {"type": "str", "default": "nxc"},
    "extra_args": {"type": "list", "elements": "str", "default": []},
    "environment": {"type": "dict", "default": {}},
    "inputs": {"type": "list", "elements": "path", "default": []},
    "force": {"type": "bool", "default": False},
    "timeout": {"type": "int", "default": 7200},
}


def decide(module: Any) -> dict[str, Any]:
    """The up-to-date test: ends the task (up to date, a dry run's plan, or refused input) unless nxc build
    must run; then what the build needs (run in process on the controller by the module's action, see
    plugins/plugin_utils/local.py)."""
    p = module.params
    comp = os.path.abspath(p["composition_dir"])
    env = {str(k): str(v) for k, v in p["environment"].items()}
    argv = build_argv(p["nxc"], p["flavour"], p["setup"], p["params"], p["extra_args"], p["timeout"])
    result_path, record_path = build_paths(comp, p["flavour"])
    out = {"changed": False, "cmd": argv, "command": quote(argv), "record": record_path, "result": result_path}

    def plan(run: bool, why: str, inputs: list[str] | None = None) -> dict[str, Any]:
        return {"step": "build", "command": quote(argv), "cwd": comp, "run": run, "why": why, "inputs": inputs or []}

    def refuse(msg: str, why: str) -> None:
        """A failure that is the input's fault (oar-nxc: exit code 2)."""
        module.fail_json(msg=msg, why=why, oar_nxc_exit=BAD_INPUT_SIGNAL, plan=plan(True, why), **out)

    if not 0 < p["timeout"] <= MAX_TIMEOUT:
        refuse(f"timeout (oar_nxc_build_timeout): {p['timeout']} is not a number of seconds from 1 to {MAX_TIMEOUT}",
               "bad timeout")
    if too_deep(p["params"]):
        refuse(f"params (oar_nxc_params): nested deeper than {MAX_DEPTH} levels", "bad params")
    if not os.path.isfile(os.path.join(comp, "flake.nix")):
        refuse(f"{comp}: not an nxc composition (no flake.nix)", "no composition")
    if os.path.lexists(record_path) and not os.path.isfile(record_path):  # a directory, a FIFO: never written over
        refuse(f"{record_path}: the build record's path is not a regular file (a directory?): remove it",
               "bad build record")
    try:
        sources, variant = variant_sources(comp, p["setup"])
    except ValueError as exc:
        refuse(str(exc), "setup.toml refused")
    gone = [f"{key} = {path}" for key, path in sources.items() if not os.path.exists(path)]
    if gone:
        msg = f"setup.toml variant {variant or '(none)'}: {'; '.join(gone)} does not exist (the OAR checkout to build)"
        refuse(msg, "source not found")
    inputs = (p["inputs"] or [comp]) + sorted(set(sources.values()))
    out.update(inputs=inputs, sources=sources, variant=variant)
    missing = [i for i in inputs if not os.path.exists(i)]
    if missing:
        refuse(f"build inputs not found: {', '.join(missing)}", "inputs not found")
    try:  # before nxc is asked: a source nxc could not build from is refused in a dry run too
        for key, path in sources.items():
            check_input_root(path, f"setup.toml variant {variant or '(none)'}: {key} =")
        digests = file_digests(inputs)
    except InputError as exc:
        refuse(str(exc), "inputs refused")

    version_argv = [p["nxc"], "--version"]
    if shutil.which(p["nxc"], path=env.get("PATH", os.environ.get("PATH", os.defpath))) is None:
        rc, version, err = 127, "", f"{p['nxc']}: command not found"
    else:
        rc, version, err = module.run_command(version_argv, environ_update=env)
    if rc != 0:
        if module.check_mode:  # a dry run before nixos-compose is installed: it would be, then build
            why = f"nixos-compose is not installed yet ({quote(version_argv)}: rc {rc})"
            module.exit_json(**{**out, "changed": True, "why": why, "plan": plan(True, why)})
        module.fail_json(msg=f"cannot run nxc: {quote(version_argv)} failed (rc {rc}): {(err or version).strip()}",
                         rc=rc, stdout=version, stderr=err, why="nxc does not run", plan=plan(True, "nxc does not run"),
                         **out)
    version = version.strip()
    digest, files = fingerprint(inputs, files=digests,
                                extra={"flavour": p["flavour"], "setup": p["setup"], "params": p["params"],
                                       "extra_args": p["extra_args"], "nxc": version})
    record, why_no_record = read_record(record_path)
    changed = changed_inputs((record or {}).get("input_files"), digests)
    run, why = build_decision(p["force"], os.path.lexists(result_path), record, why_no_record, digest, files,
                              changed)
    source_record = {key: {"path": path, "digest": tree_digest(digests, path)} for key, path in sources.items()}
    out.update(changed_inputs=changed[:20], source_digests=source_record)
    up_to_date = record is not None and record.get("fingerprint") == digest and os.path.lexists(result_path)
    out.update(up_to_date=up_to_date, why=why, digest=digest,
               files=files, nxc_version=version, elapsed=0.0, plan=plan(run, why, inputs))
    if not run or module.check_mode:
        module.exit_json(**{**out, "changed": run})
    return {"out": out, "argv": argv, "comp": comp, "env": env, "digest": digest, "files": files, "variant": variant,
            "sources": source_record, "inputs": inputs, "input_files": digests, "nxc": version}


def build(module: AnsibleModule, pending: dict[str, Any]) -> None:
    """Run nxc build as decided, put setup.toml back and record the build."""
    p = module.params
    out, argv, comp, env = pending["out"], pending["argv"], pending["comp"], pending["env"]
    setup_file = os.path.join(comp, "setup.toml")
    saved = None
    if os.path.isfile(setup_file):
        with open(setup_file, "rb") as before:
            saved = before.read()
    started = time.monotonic()
    try:
        rc, stdout, stderr = module.run_command(argv, cwd=comp, environ_update=env)
    finally:
        if saved is not None:
            with open(setup_file, "rb") as after:
                changed_setup = after.read() != saved
            if changed_setup:
                with open(setup_file, "wb") as restore:
                    restore.write(saved)
    out.update(elapsed=round(time.monotonic() - started, 3), stdout=stdout, stderr=stderr)
    if rc != 0:
        module.fail_json(msg=failure("build", rc, stderr, stdout, argv, p["timeout"]), rc=rc, **out)
    with open(out["record"], "w", encoding="utf-8") as record_file:
        json.dump({"fingerprint": pending["digest"], "flavour": p["flavour"], "setup": p["setup"],
                   "params": p["params"], "argv": argv, "nxc": pending["nxc"], "files": pending["files"],
                   "variant": pending["variant"], "sources": pending["sources"], "inputs": pending["inputs"],
                   "input_files": pending["input_files"]}, record_file, indent=2, sort_keys=True)
        record_file.write("\n")
    module.exit_json(**{**out, "changed": True})


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    build(module, decide(module))


if __name__ == "__main__":
    main()
