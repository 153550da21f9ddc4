"""The REST API check: OAR 3's /api (its index, then whoami with a token from ``oarsub -T``) or OAR 2.5's
/oarapi (its version and resources, then a job submitted as the smoke user through the authenticated URL,
read back and awaited with the job checks), whichever the deployed OAR has. Each request is asked beside
the polls (``_aside``); each ``yield`` lets the job polling go on before the next request."""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar

from oar_nxc.errors import OarNxcError
from oar_nxc.oar import output as oarjson
from oar_nxc.oar.remote import Output
from oar_nxc.smoke import checks as smoke
from oar_nxc.smoke import jobs
from oar_nxc.smoke.model import Host, PendingJob, RunnerParts
from oar_nxc.smoke.steps import excerpt

T = TypeVar("T")


class ApiChecks(RunnerParts):
    """The REST API check, as methods of the runner (a mixin of :class:`oar_nxc.smoke.runner.Runner`)."""

    oar_version: str
    results: dict[str, dict[str, Any]]
    _pending: list[PendingJob] | None

    def _start(self, name: str) -> None:
        raise NotImplementedError

    def _aside(self, call: Callable[[Host], T]) -> Generator[str | None, None, T]:
        raise NotImplementedError

    def _run_aside(self, argv: list[str], user: str | None = None) -> Generator[str | None, None, Output]:
        raise NotImplementedError

    def _await_loop(self, pending: list[PendingJob], meanwhile: Iterator[str | None] | None) -> None:
        raise NotImplementedError

    def _api_checks(self) -> Iterator[str | None]:
        """The API checks, one request at a time: each ``yield`` is a point where the job polling may
        go on before the next request."""
        for name in smoke.names("api"):
            if name in self.options.checks and name not in self.results:
                self._start(name)
                try:
                    yield from self._check_rest_api()
                except OarNxcError as exc:
                    self._record(name, "failed", str(exc))

    # the API: OAR 3's /api or OAR 2.5's /oarapi, whichever the deployed OAR has
    def _check_rest_api(self) -> Iterator[str | None]:
        version_out = yield from self._run_aside(["oarsub", "-V"])
        yield None
        found = oarjson.version(version_out.stdout)
        self.oar_version = oarjson.version_line(version_out.stdout) if found is not None else ""
        if found is None:
            raise OarNxcError(f"oarsub -V: no OAR version in {excerpt(version_out.stdout + version_out.stderr, 80)!r}")
        if found[0] >= 3:
            yield from self._rest_api_3()
        else:
            yield from self._rest_api_2()

    def _ask(self, method: str, url: str, *, expect: tuple[int, ...] = (200,), auth: bool = False,
             body: Any = None, headers: dict[str, str] | None = None) -> Generator[str | None, None, Any]:
        """The JSON answer of METHOD URL (asked beside the polls), or an error naming the URL and the
        HTTP status."""
        opts = self.options
        user, password = (opts.user, opts.api_password) if auth else (None, None)
        status, answer, error = yield from self._aside(
            lambda h: h.http(method, url, headers=headers, body=body, user=user, password=password))
        if status < 0:  # oar_nxc.oar.http_request: "Request failed: <why>"
            raise OarNxcError(f"{method} {url}: no answer{': ' + excerpt(error, 160) if error else ''}")
        if status not in expect or not isinstance(answer, dict):
            said = (answer.get("message") or answer.get("title")) if isinstance(answer, dict) else None
            detail = said or error
            why = f": {excerpt(str(detail), 160)}" if detail else ""
            shape = ", not a JSON object" if status in expect else ""
            raise OarNxcError(f"{method} {url}: HTTP {status}{why}{shape}")
        return answer

    def _rest_api_2(self) -> Iterator[str | None]:
        """OAR 2.5 (oar-restful-api): its resources, a job submitted as the smoke user through the authenticated
        URL and read back, then the API's version. The job comes early, OAR runs it while the rest is asked: it
        is the check's longest part. The resources read OAR's database and fail at once when it is down, where
        a job's submission waits for it (OAR's oarsub retries its connection): they come first, unless the
        resources_alive gate has just read the database (its oarnodes answered). Then the job goes first, while
        the job checks submit theirs, so that OAR's scheduler takes them all in one round."""
        opts = self.options
        api = opts.api_url or f"http://{opts.server}:6668/oarapi/"
        api = api if api.endswith("/") else api + "/"
        private = opts.api_private_url or re.sub(r"/oarapi/$", "/oarapi-priv/", api)
        if not opts.api_password:
            raise OarNxcError(f"{private}: OAR 2.5 takes jobs only at its authenticated URL: give the password of "
                              f"{opts.user} there (oar_smoke_api_password)")
        database_answered = self.results.get("resources_alive", {}).get("status") == "passed"
        if not database_answered:
            resources = yield from self._ask("GET", api + "resources.json")
            yield None
        # a job that ends by itself, awaited: the check leaves no job behind
        posted = yield from self._ask("POST", private + "jobs.json", expect=(200, 201, 202), auth=True,
                                      body=jobs.rest_api_body(opts))
        yield None
        job_id = posted.get("id")
        if not isinstance(job_id, int) or isinstance(job_id, bool):
            raise OarNxcError(f"POST {private}jobs.json: no job id in the answer ({excerpt(str(posted), 120)})")
        problem = ""  # a request after the job's failed: the job is still awaited, the check fails with it
        try:
            if database_answered:
                resources = yield from self._ask("GET", api + "resources.json")
                yield None
            job = yield from self._ask("GET", f"{private}jobs/{job_id}.json", auth=True)
            yield None
            if job.get("owner") != opts.user:
                raise OarNxcError(f"GET {private}jobs/{job_id}.json: owner {job.get('owner')!r}, expected "
                                  f"{opts.user}")
            version = yield from self._ask("GET", api + "version.json")
            yield None
            said = (f"{api}: OAR {version.get('oar_version', '?')}, API {version.get('api_version', '?')}, "
                    f"{resources.get('total', '?')} resources; job {job_id} submitted as {opts.user}, read back "
                    f"({job.get('state', '?')})")
        except OarNxcError as exc:
            problem = str(exc)

        def ended(final: str) -> None:  # the job ends by itself: the check leaves no job behind
            if problem:
                self._record("rest_api", "failed", problem, job=job_id)
                return
            status = "passed" if final == "Terminated" else "failed"
            self._record("rest_api", status, f"{said}, then {final}", job=job_id)

        job_wait = PendingJob("rest_api", job_id, self.clock() + opts.job_timeout, done=ended)
        if self._pending is not None:  # awaited in the same polls as the job checks
            self._pending.append(job_wait)
        else:  # one check after the other: awaited now, by the same loop
            self._await_loop([job_wait], None)

    def _rest_api_3(self) -> Iterator[str | None]:
        """OAR 3 (FastAPI): its index, then ``whoami`` with a token from ``oarsub -T``."""
        opts = self.options
        api = opts.api_url or f"http://{opts.server}/api/"
        api = api if api.endswith("/") else api + "/"
        root = yield from self._ask("GET", api)
        yield None
        if "api_version" not in root:
            raise OarNxcError(f"GET {api}: HTTP 200, api_version missing")
        token_out = yield from self._run_aside(["oarsub", "-T"], opts.user)
        yield None
        token = next((w.split("=", 1)[1] for w in token_out.stdout.split() if w.startswith("OAR_API_TOKEN=")), "")
        if not token:
            raise OarNxcError(f"oarsub -T as {opts.user} gave no OAR_API_TOKEN (rc {token_out.rc})")
        whoami = yield from self._ask("GET", api + "whoami", headers={"Authorization": f"Bearer {token}"})
        if whoami.get("authenticated_user") != opts.user:
            raise OarNxcError(f"GET {api}whoami: HTTP 200, whoami {whoami.get('authenticated_user') or 'missing'} "
                              f"(expected {opts.user})")
        self._record("rest_api", "passed", f"{api}: OAR {self.oar_version or '?'} (oarsub -V), api_version "
                                           f"{root['api_version']}, whoami {opts.user}")
