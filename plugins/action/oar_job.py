# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Action: the OAR job as an Ansible resource (reserve or reuse by name, wait until it runs, release).

The decisions are the oar_nxc core's (``oar_nxc.oar.request`` checks the request, ``oar_nxc.oar.lifecycle``
reuses, submits, waits and releases, ``oar_nxc.inventory.describe`` names the machines as the
inventory plugin does, ``oar_nxc.oar.guard`` releases after the playbook whatever ended it). This
action is their transport: every OAR command goes over the connection of the host the task is
delegated to (the OAR frontend), as ``user`` from its home when one is given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ansible_collections.oar.nxc.plugins.plugin_utils import checks
from ansible_collections.oar.nxc.plugins.plugin_utils.action import OarNxcAction


class _Frontend:
    """oar_nxc.oar.remote.Shell over this task's connection."""

    def __init__(self, action: ActionModule) -> None:
        self.action = action

    def run(self, command: str) -> Any:
        from oar_nxc.plugin_api import Output

        res = self.action._low_level_execute_command(command, sudoable=False)
        return Output(int(res.get("rc", 1)), str(res.get("stdout", "")), str(res.get("stderr", "")))


class ActionModule(OarNxcAction):
    NAME = "oar_job"
    _requires_connection = True  # oarsub runs over the frontend's connection

    def act(self, args: dict[str, Any], task_vars: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        from oar_nxc.plugin_api import OarNxcError
        from oar_nxc.plugin_api import lifecycle as joblife
        from oar_nxc.plugin_api import request as jobrequest

        shell = _Frontend(self)
        poll = max(1, args["poll_interval"])
        armed: list[int] = []
        try:
            # the user (su - USER) and the added job types are checked before any command line is built
            frontend = joblife.Frontend(shell, args["user"], progress=self._display.display)
            job_types = jobrequest.job_types(args["job_types"], "job_types")
            if args["state"] == "absent":
                return self._absent(result, frontend, args, poll)
            if args["state"] == "running":
                return self._running(result, frontend, args)
            owner = args["user"] or self._whoami(shell)  # whose jobs reuse looks at
            given = args["request"]  # checked by the core, which names the variable: not by the argument spec
            values = {**args["request_defaults"], **given} if isinstance(given, Mapping) else given
            # a job given by id needs no request: it is used as it is
            request = None if args["job_id"] else \
                jobrequest.from_mapping(values, args["request_name"]).with_types(job_types)
            name = request.name if request is not None else f"job {args['job_id']}"

            def arm(held: Any) -> None:  # as soon as the job is known: a SIGINT during the wait releases it too
                if args["guard"] and args["record"] and not held.given:
                    self._arm(Path(args["record"]), held.job_id, args["user"], name)
                    armed.append(held.job_id)

            held = joblife.present(frontend, request, owner, timeout=args["timeout"], poll=poll,
                                   reuse=args["reuse"], check=self._task.check_mode, job_id=args["job_id"],
                                   held_hook=arm)
        except joblife.JobError as exc:
            if armed and exc.ended:  # deleted here (or it ended by itself): the guard has nothing to do
                from oar_nxc.plugin_api import guard as jobguard

                jobguard.disarm(Path(args["record"]), jobguard.RELEASED, final_state="deleted before it ran")
            result.update(failed=True, msg=str(exc), **exc.details())
            if exc.reservation:  # the machine-readable signal of an infrastructure failure (oar-nxc: exit 6)
                result["oar_nxc_exit"] = checks.RESERVATION
            return result
        except OarNxcError as exc:
            result.update(failed=True, msg=str(exc), oar_nxc_exit=checks.BAD_INPUT)
            return result
        result.update(command=held.command, reused=held.reused, submitted=held.submitted, given=held.given,
                      job_id=held.job_id,
                      name=name, history=held.history, waited=round(held.waited, 1))
        if self._task.check_mode:
            would = (f"use job {held.job_id}" if held.given else f"reuse job {held.job_id} ({held.state})"
                     if held.reused else f"run: {held.command}")
            result.update(changed=held.job_id is None, state=held.state, msg=would)
            return result
        if held.job_id is None:
            raise AssertionError("the OAR job's id is known once the job is held")
        try:
            described = self._describe(shell, held.job_id, args)
        except OarNxcError as exc:
            result.update(failed=True, msg=f"OAR job {held.job_id} runs, but its machines cannot be read: {exc}")
            return result
        how = "using" if held.given else "reused" if held.reused else "reserved"
        result.update(described, changed=held.submitted, state=held.state,
                      msg=(f"{how} OAR job {held.job_id} ({name}): {len(described['machines'])} machines, "
                           f"{described['remaining']} s of walltime left"))
        if args["record"]:
            from oar_nxc.plugin_api import guard as jobguard

            record = Path(args["record"])
            described["job"]["given"] = held.given
            if armed:  # the guard's record: now with what the job is
                jobguard.update(record, **described["job"], machines=described["machines"])
            else:
                record.parent.mkdir(parents=True, exist_ok=True)
                # no guard: the job was given (never released here) or is kept for the next run
                jobguard.write(record, {**described["job"], "job_id": held.job_id, "name": name,
                                        "machines": described["machines"],
                                        "guard": "given" if held.given else jobguard.KEPT})
        return result

    def _whoami(self, shell: _Frontend) -> str:
        out = shell.run("id -un")
        return out.stdout.strip() if out.rc == 0 and out.stdout.strip() else os.environ.get("USER", "")

    def _absent(self, result: dict[str, Any], frontend: Any, args: dict[str, Any], poll: int) -> dict[str, Any]:
        from oar_nxc.plugin_api import guard as jobguard

        job_id = args["job_id"]
        if not job_id:
            result.update(failed=True, msg="state=absent needs job_id: the OAR job to release")
            return result
        if self._task.check_mode:
            status = frontend.status(job_id)
            result.update(changed=status is not None and status.state not in ("Terminated", "Error"),
                          job_id=job_id, command=frontend.line(["oardel", str(job_id)]))
            return result
        changed, final = frontend.delete(job_id, timeout=args["release_timeout"], poll=poll)
        if args["record"]:
            jobguard.disarm(Path(args["record"]), jobguard.RELEASED, final_state=final or "gone")
        result.update(changed=changed, job_id=job_id, state=final or "gone",
                      msg=f"OAR job {job_id} {'released' if changed else 'had already ended'} ({final or 'gone'})")
        return result

    def _running(self, result: dict[str, Any], frontend: Any, args: dict[str, Any]) -> dict[str, Any]:
        """One oarstat per job of job_ids (or job_id), no wait: each still holds its machines, or the run fails
        naming every job that ended (a reservation failure; in check mode a warning). OAR unreadable is a
        warning."""
        from oar_nxc.plugin_api import lifecycle as joblife

        ids = list(dict.fromkeys(args["job_ids"] or ([args["job_id"]] if args["job_id"] else [])))
        if not ids:
            result.update(failed=True, msg="state=running needs job_id or job_ids: the OAR jobs that should hold the "
                                           "machines", oar_nxc_exit=checks.BAD_INPUT)
            return result
        states: dict[str, str] = {}  # by id, as JSON keys them
        ended: list[str] = []
        for job_id in ids:
            try:
                status, unread = joblife.still_held(frontend, job_id)
            except joblife.JobError as exc:
                states[str(job_id)] = "ended"
                ended.append(str(exc))
                continue
            if status is None:
                self._display.warning(unread)
                states[str(job_id)] = "unknown"
            else:
                states[str(job_id)] = status.state
        result.update(changed=False, job_id=ids[0], job_ids=ids, states=states, state=states[str(ids[0])],
                      command=frontend.line(["oarstat", "-f", "-J", "-j", str(ids[0])]))
        if ended and not self._task.check_mode:
            result.update(failed=True, msg=" ".join(ended), oar_nxc_exit=checks.RESERVATION)
            return result
        for said in ended:  # check mode: nothing ran on the machines
            self._display.warning(said)
        held = [str(j) for j in ids if states[str(j)] == joblife.RUNNING]
        result["msg"] = " ".join(ended) or (
            f"OAR job {', '.join(held)} still {'holds its' if len(held) == 1 else 'hold their'} machines (Running)"
            if held else f"OAR job {', '.join(map(str, ids))}: not known (see the warning)")
        return result

    def _describe(self, shell: _Frontend, job_id: int, args: dict[str, Any]) -> dict[str, Any]:
        """The machines as the inventory plugin names them, from a nodefile written like OAR's own."""
        from oar_nxc.plugin_api import inventory, nodefile, remote
        from oar_nxc.plugin_api import lifecycle as joblife
        from oar_nxc.plugin_api import oar_jobs as oarjob

        def run(argv: Any, timeout: float) -> tuple[int, str, str]:
            out = shell.run(remote.command_line(list(argv), None, int(timeout)))
            return out.rc, out.stdout, out.stderr

        try:
            job = oarjob.query(job_id, run=run)
        except oarjob.Unavailable as exc:
            raise joblife.JobError(str(exc), job_id=job_id) from None
        machines = [(m.name, m.cores or 1) for m in job.machines or ()]
        if not machines:
            raise joblife.JobError(f"OAR names no machine of job {job_id} (oarstat -p -j {job_id} printed none)")
        directory = Path(args["nodefile_dir"] or Path.cwd())
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / str(job_id)  # named as OAR names $OAR_NODEFILE: <runtime dir>/<job id>
        path.write_text(joblife.nodefile_text(machines))
        spec = inventory.describe(nodefile.load(path), options=inventory.Options(job_id=job_id))
        inventory.add_job(spec, job)
        hosts = []
        for name, variables in spec.hosts.items():
            groups = [g for g, members in spec.groups.items() if name in members]
            merged = {k: v for g in groups for k, v in spec.group_vars.get(g, {}).items()}
            hosts.append({"name": name, "groups": groups, "host_vars": {**merged, **variables}})
        return {"job": job.summary(), "remaining": job.remaining(), "nodefile": str(path), "hosts": hosts,
                "machines": [{"name": m.name, "cores": m.cores, "properties": dict(m.properties)}
                             for m in job.machines or ()], "oar": job.generation}

    def _arm(self, record: Path, job_id: int, user: str, name: str) -> None:
        """The guard: after ansible-playbook (this worker's parent) exits, oardel unless the run did."""
        from oar_nxc.plugin_api import guard as jobguard

        jobguard.spawn(record, watch_pid=os.getppid(), job_id=job_id, user=user, frontend=self._frontend(),
                       description={"name": name})

    def _frontend(self) -> dict[str, Any] | None:
        """How the guard reaches the frontend from this controller, as data (the guard builds the command
        itself): None for a local connection, else the ssh connection's address, port, user and key."""
        transport = str(getattr(self._connection, "transport", "") or "")
        if transport.endswith("local"):
            return None
        pc = self._play_context
        return {"host": str(pc.remote_addr), "port": int(pc.port) if pc.port else None,
                "user": str(pc.remote_user) if pc.remote_user else None,
                "private_key_file": str(pc.private_key_file) if pc.private_key_file else None}
