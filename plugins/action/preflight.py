# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Action: the preflight checks, before anything changes, decided in Python on the controller.

A refusal is a failed result with ``oar_nxc_exit: bad_input`` (and the name of the check), the
machine-readable signal the oar-nxc command line and API turn into exit code 2; a refusal of the
reservation itself (too few machines, too little walltime left) carries ``reservation`` (exit 6).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.release import __version__ as ANSIBLE_VERSION
from ansible_collections.oar.nxc.plugins.plugin_utils import checks
from ansible_collections.oar.nxc.plugins.plugin_utils.action import OarNxcAction

PLUGIN_VARS = ("oar_cores", "nxc_role")


class ActionModule(OarNxcAction):
    NAME = "preflight"
    BYPASS_HOST_LOOP = True

    def act(self, args: dict[str, Any], task_vars: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        flavour, flavours = args["flavour"], args["flavours"]
        settings = flavours.get(flavour) if isinstance(flavours.get(flavour), Mapping) else {}
        local = bool(settings.get("local", False))
        groups = task_vars.get("groups", {})
        hostvars = task_vars.get("hostvars", {})

        def refuse(check: str, msg: str, exit_kind: str = checks.BAD_INPUT) -> dict[str, Any]:
            result.update(failed=True, msg=msg, check=check, oar_nxc_exit=exit_kind)
            return result

        try:
            unsupported = checks.ansible_unsupported(ANSIBLE_VERSION)
        except checks.CheckError as exc:
            return refuse("ansible_core", str(exc))
        if unsupported:
            return refuse("ansible_core", f"{unsupported} (pip install 'oar-nxc' brings a supported one)")

        hosts = [h for h in groups.get("all", []) if h != "localhost"]
        # Ansible computes a host's variables again at each hostvars[host] (2 to 5 ms a host): each host's are read
        # once, and not those of the deployed hosts the plugin read from the job's record (nxc_nodes and a role_
        # group: the plugin's deployed hosts are in both)
        roles = {h for group, members in groups.items() if group.startswith("role_") for h in members}
        deployed = roles.intersection(groups.get("nxc_nodes", []))
        host_vars = {h: hostvars[h] for h in dict.fromkeys([*(h for h in hosts if h not in deployed),
                                                            *groups.get("oar_nodes", [])])}
        foreign = [h for h in hosts if h not in deployed and not any(k in host_vars[h] for k in PLUGIN_VARS)]
        if foreign or not (hosts or local):
            shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
            return refuse("inventory", (
                f"These hosts carry none of the oar_nxc plugin's variables (oar_cores, nxc_role): {shown}. "
                "The inventory was not read by oar.nxc.oar_nxc. Enable the plugin in the ansible.cfg in use "
                "([inventory] enable_plugins = oar.nxc.oar_nxc, auto, yaml), or run from the oar-nxc checkout, "
                "whose ansible.cfg does."))

        if flavour not in flavours:
            return refuse("flavour", f"oar_nxc_flavour '{flavour}' is not one of {', '.join(flavours)}")

        missing = checks.missing_collections(settings.get("collections", []))
        if missing:
            return refuse("collections", (
                f"The {flavour} flavour needs the collection(s) {', '.join(missing)}, which this Ansible cannot "
                f"load: ansible-galaxy collection install {' '.join(missing)} (they are declared in oar.nxc's "
                "galaxy.yml)."))

        limit = task_vars.get("ansible_limit") or ""
        if args["machines"] and limit:
            return refuse("limit", (
                f"--limit {limit!r}: choose the machines with the oar_nxc plugin instead, OAR_NXC_NODES=N (the "
                "first N) and OAR_NXC_EXCLUDE=pattern,... in the environment (or nodes:/exclude: in a "
                "`plugin: oar.nxc.oar_nxc` config; oar-nxc --nodes/--exclude). A limit would also leave out "
                "localhost, where nxc runs, and the hosts nxc deploys, which join the inventory during the run."))

        if args["machines"] and not local and not groups.get("oar_nodes"):
            return refuse("machines", (
                f"The {flavour} flavour deploys on reserved machines, and the inventory has none: give the job's "
                "nodefile, e.g. -i $OAR_NODEFILE or -i OAR.<job id>.stdout (docker and vm run on this machine: "
                "-e oar_nxc_flavour=docker)."))

        if args["machines"] and not local:
            minimum = args["min_machines"]
            if isinstance(minimum, bool) or not str(minimum).strip().isdigit():
                return refuse("min_machines", f"oar_nxc_min_machines: {str(minimum)[:40]!r} is not a number of "
                                              "machines (0: no minimum)")
            machines = groups.get("oar_nodes", [])
            if len(machines) < int(minimum):
                shown = ", ".join(machines[:5]) + (" ..." if len(machines) > 5 else "")
                return refuse("min_machines", (
                    f"{len(machines)} reserved machine(s) selected ({shown}), fewer than the {int(minimum)} of "
                    "oar_nxc_min_machines (oar-nxc --min-machines): nothing was built or deployed; reserve at "
                    "least that many (a job that got fewer may be retried)"), checks.RESERVATION)

        findings: list[Any] = []
        if args["machines"] and not local:
            findings = self._reservation(args, groups.get("oar_nodes", []), host_vars)
        result.update(changed=False, ansible_core=ANSIBLE_VERSION, flavour=flavour, hosts=len(hosts),
                      findings=[f.as_dict() for f in findings],
                      msg=f"ansible-core {ANSIBLE_VERSION}, flavour {flavour}, {len(hosts)} hosts from oar_nxc")
        refusals = [f for f in findings if f.refuse]
        # --check (oar-nxc plan) lists what it found and goes on to print every step's command
        if refusals and not self._task.check_mode:
            kind = checks.RESERVATION if all(f.reservation for f in refusals) else checks.BAD_INPUT
            return refuse(refusals[0].check, " ".join(f.message for f in refusals), kind)
        warnings = [f.message for f in findings if not f.refuse or self._task.check_mode]
        if warnings:
            result["warnings"] = warnings
        return result

    @staticmethod
    def _reservation(args: Mapping[str, Any], machines: list[str], hostvars: Mapping[str, Any]) -> list[Any]:
        """The OAR job (state, walltime left, machines) and the machines' ssh ports, probed together."""
        from oar_nxc.plugin_api import findings, probes

        try:
            min_walltime = args["min_walltime"]
            timeout = args["probe_timeout"]
        except (TypeError, ValueError) as exc:
            raise AnsibleActionFail(f"preflight: min_walltime and probe_timeout must be numbers: {exc}") from None
        found = findings.job_findings({h: hostvars[h] for h in machines}, min_remaining=min_walltime)
        if args["probe"] and timeout > 0:
            targets = [probes.Target(h, str(hostvars[h].get("ansible_host") or h)) for h in machines]
            ssh = findings.ssh_finding(probes.probe(targets, timeout), targets)
            if ssh is not None:
                found.append(ssh)
        return found
