"""The gate checks: every compute node's OAR sshd answered, and every resource is Alive. They run first,
one after the other; when one fails, the runner records the job checks as skipped."""

from __future__ import annotations

from collections.abc import Callable

from oar_nxc.errors import OarNxcError
from oar_nxc.oar import output as oarjson
from oar_nxc.oar.remote import Output
from oar_nxc.smoke.model import RunnerParts
from oar_nxc.smoke.steps import Grace, command_failed


class GateChecks(RunnerParts):
    """The gate checks, as methods of the runner (a mixin of :class:`oar_nxc.smoke.runner.Runner`)."""

    def _check_node_sshd(self) -> None:
        opts = self.options
        down = []
        for node in opts.nodes:
            if node.sshd == "":
                continue
            where = ", ".join(x for x in (f"machine {node.machine}" if node.machine else "", node.ip or node.name) if x)
            why = "not probed (run the oar_smoke node entry point first)" if node.sshd is None else node.sshd
            down.append(f"{node.name} ({where})" + (f": {why}" if why else ""))
        if down:
            self._record("node_sshd", "failed", f"OAR's node sshd (port {opts.sshd_port}) does not answer within "
                                                f"{opts.sshd_timeout} s on {', '.join(down)}")
            return
        names = [n.name for n in opts.nodes]
        suffix = f" (OAR: {', '.join(opts.addresses)})" if opts.addresses != names else ""
        self._record("node_sshd", "passed", f"port {opts.sshd_port} open on {', '.join(names)}{suffix}")

    def _poll(self, argv: list[str], done: Callable[[Output], bool], deadline: float) -> tuple[Output, bool]:
        """Run ARGV until DONE(output) or DEADLINE; a command that keeps failing stops after the grace."""
        grace = Grace(self.options.grace)
        while True:
            out = self._run(argv)
            now = self.clock()
            if out.rc != 0:
                if grace.expired(now) or now >= deadline:
                    raise OarNxcError(command_failed(" ".join(argv), out))
            else:
                grace.ok()
                if done(out):
                    return out, True
                if now >= deadline:
                    return out, False
            self.sleep(self.options.poll_interval)

    def _check_resources_alive(self) -> None:
        opts = self.options
        argv = ["oarnodes", "-s", "-J"]

        def problems(out: Output) -> list[str]:
            return oarjson.not_alive(oarjson.node_states(out.stdout, " ".join(argv)), opts.addresses)

        out, ok = self._poll(argv, lambda o: not problems(o), self.clock() + opts.job_timeout)
        if not ok:
            self._record("resources_alive", "failed",
                         f"not all Alive after {opts.job_timeout:g} s: {', '.join(problems(out))}")
            return
        states = oarjson.node_states(out.stdout, " ".join(argv))
        count = sum(len(states.get(a, [])) for a in opts.addresses)
        self._record("resources_alive", "passed", f"{count} resources Alive on {', '.join(opts.addresses)}")

    def gates(self) -> dict[str, Callable[[], None]]:
        """The gate checks by name, in the table's order (oar_nxc.smoke.checks)."""
        return {"node_sshd": self._check_node_sshd, "resources_alive": self._check_resources_alive}
