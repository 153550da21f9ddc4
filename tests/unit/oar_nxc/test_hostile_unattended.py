"""The unattended surfaces against hostile values: the job owner, the batch script, the job records, release, the
output of commands, the staging of compositions and the CLI's refusals. Each test asserts the exit code, the
message (the flag, file or key named), a bound in time where a hang was possible, and that nothing ran: a
marker file that a payload would create stays absent."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oar_nxc import api, batch, bounded, cli, statustable
from oar_nxc.errors import ConfigError, SourceError
from oar_nxc.formats import composition
from oar_nxc.nxc import staging
from oar_nxc.oar import guard as jobguard
from oar_nxc.oar import identity, output, remote
from oar_nxc.oar import record as jobrecord
from oar_nxc.oar import request as jobrequest

ROOT = os.geteuid() == 0
PYTHON = sys.executable


def oar_cli(*argv: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``oar-nxc ARGV`` as a user runs it (a process of its own, no terminal)."""
    return subprocess.run([PYTHON, "-m", "oar_nxc.cli", *argv], capture_output=True, text=True, timeout=timeout,
                          check=False, cwd=cwd, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


# --- 1. the job owner is never an option of su ------------------------------------------------------------------

HOSTILE_USERS = ["-s/tmp/payload.sh", "--session-command=/bin/sh", "-c", "-", "a b", "alice\n", "root;id", "",
                 "é", "x" * 33, "$(id)"]


@pytest.mark.parametrize("user", [u for u in HOSTILE_USERS if u])
def test_a_user_that_is_not_a_user_name_never_reaches_a_command_line(user: str) -> None:
    with pytest.raises(ConfigError) as err:
        remote.command_line(["oardel", "7"], user)
    assert str(err.value).startswith(f"user: {user[:40]!r}"[:40])
    with pytest.raises(ConfigError):
        identity.user(user, "user")


def test_the_su_of_a_checked_user_is_one_word_after_the_dash() -> None:
    assert shlex.split(remote.command_line(["oardel", "7"], "oartest")) == [
        "timeout", "60", "su", "-", "oartest", "-c", "cd && oardel 7"]


def test_submit_refuses_a_user_su_would_read_as_an_option(tmp_path: Path) -> None:
    done = oar_cli("submit", "--dry-run", "--job-nodes", "2", "--run-dir", str(tmp_path / "runs"),
                   "--user=-s/bin/sh")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("oar-nxc: --user: '-s/bin/sh' is not a user name (it starts with '-': su would read it as "
                           "an option): a letter or _ first, then letters, digits, _ . -, at most 32 characters\n")


@pytest.mark.skipif(not ROOT or not Path("/bin/su").exists(), reason="a real su as root")
def test_a_real_su_as_root_runs_the_payload_an_unchecked_user_carries_and_the_product_never_builds_it(
        tmp_path: Path) -> None:
    """The threat is real (su, as root, runs -s's program), and the product refuses the value before su."""
    marker = tmp_path / "pwned"
    payload = tmp_path / "payload.sh"
    payload.write_text(f"#!/bin/sh\ntouch {marker}\n")
    payload.chmod(0o755)
    # what an unchecked `su - USER -c ...` does with USER = -s<payload>: root runs the payload
    subprocess.run(["su", "-", f"-s{payload}", "-c", "true"], capture_output=True, timeout=30, check=False,
                   stdin=subprocess.DEVNULL)
    assert marker.exists(), "su no longer reads -s there: the threat this test proves is gone"
    marker.unlink()
    shell = batch.LocalShell()
    from oar_nxc.oar import lifecycle as joblife

    with pytest.raises(ConfigError):
        joblife.Frontend(shell, f"-s{payload}")
    with pytest.raises(ConfigError):
        shell.run(remote.command_line(["true"], f"-s{payload}"))
    done = oar_cli("submit", "--job-nodes", "1", "--run-dir", str(tmp_path / "runs"), f"--user=-s{payload}")
    assert done.returncode == 2 and not marker.exists()
    # and a checked user name goes to su as a user: an unknown one is su's own error, nothing runs
    out = shell.run(remote.command_line(["touch", str(marker)], "nosuchuser-oarnxc"))
    assert out.rc != 0 and not marker.exists()


# --- 2. no value forges an #OAR directive in the batch script ---------------------------------------------------

def oar25_directives(text: str) -> list[str]:
    """OAR 2.5's reading (OAR::Sub::scan_script): a first line that starts with '#', then every line read with
    Perl's <FILE> (split after '\\n', the newline kept) that matches /^#OAR\\s+/."""
    lines = text.encode().split(b"\n")
    if not lines[0].startswith(b"#"):
        return []
    found = []
    for index, line in enumerate(lines[1:], start=1):
        with_newline = line + (b"\n" if index < len(lines) - 1 else b"")
        if re.match(rb"#OAR[ \t\n\r\f\v]+", with_newline):
            found.append(line.decode())
    return found


def oar3_directives(text: str) -> list[str]:
    """OAR 3's reading (oar.lib.submission.scan_script): output.split('\\n'), re.match(r'^#OAR\\s+', line)."""
    return [line for line in text.split("\n") if re.match(r"^#OAR\s+", line)]


def test_the_directive_readers_agree_with_the_writers_rule() -> None:
    text = "#!/bin/sh\n#OAR -l nodes=1\necho '\n#OAR --notify exec:/bin/sh x\n'\n#OAR\n #OAR -q x\n"
    assert oar3_directives(text) == ["#OAR -l nodes=1", "#OAR --notify exec:/bin/sh x"]
    assert oar25_directives(text) == ["#OAR -l nodes=1", "#OAR --notify exec:/bin/sh x", "#OAR"]
    assert batch.directives(text) == oar25_directives(text)


def test_a_newline_in_an_extra_var_forges_no_directive(tmp_path: Path) -> None:
    done = oar_cli("submit", "--dry-run", "--job-nodes", "2", "--run-dir", str(tmp_path / "runs"),
                   "-e", "a=1\n#OAR --notify exec:/bin/sh x\nb=2")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "oar-nxc: -e: 'a=1\\n#OAR --notify exec:/bin/sh x\\nb=2' holds a control character (\\n): the job script "
        "carries it on one line, and a line break there would start a line of its own (OAR reads a line that starts "
        "with #OAR as a directive); give it on one line (-e: JSON on one line, or @FILE)\n")


@pytest.mark.parametrize("flag", ["--setup", "--exclude", "--composition", "--roles"])
def test_a_newline_in_any_run_flag_forges_no_directive(flag: str, tmp_path: Path) -> None:
    done = oar_cli("submit", "--dry-run", "--job-nodes", "2", "--run-dir", str(tmp_path / "runs"),
                   flag, "node=1\n#OAR -l nodes=500" if flag == "--roles" else "x\n#OAR -l nodes=500")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"oar-nxc: {flag}: ") or done.stderr.startswith("oar-nxc: --roles "), done.stderr
    assert "#OAR -l nodes=500" not in done.stdout


def test_a_working_directory_named_with_a_directive_forges_none(tmp_path: Path) -> None:
    cwd = tmp_path / "exp\n#OAR -l nodes=500"
    cwd.mkdir()
    done = oar_cli("submit", "--dry-run", "--job-nodes", "2", "--run-dir", str(tmp_path / "runs"), cwd=cwd)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("oar-nxc: the working directory: ") and "holds a control character (\\n)" in \
        done.stderr


VALUES = st.text(st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(setup=VALUES, exclude=VALUES, extra=VALUES, composition_name=VALUES, cwd=VALUES)
def test_whatever_the_values_the_script_carries_the_requests_directives_only(
        setup: str, exclude: str, extra: str, composition_name: str, cwd: str) -> None:
    """Every script written from any values is read by both OARs' rules as exactly the request's directives, and
    its exec line gives back the run's arguments word for word; or the values are refused, naming the flag."""
    request = jobrequest.from_mapping({"nodes": 2, "name": "nightly"}, "job")
    run_args = ["--setup", setup, "--exclude", exclude, "-e", extra, "--composition", composition_name]
    try:
        checked = [w for pair in zip(run_args[::2], run_args[1::2], strict=True)
                   for w in (pair[0], batch.one_line(pair[1], pair[0]))]
        text = batch.script(request, runs=Path("/srv/runs"), cwd=Path("/home/alice") / (cwd or "x"),
                            oar_nxc="/venv/bin/oar-nxc", run_args=checked)
    except ConfigError as exc:
        assert str(exc).startswith(("--setup: ", "--exclude: ", "-e: ", "--composition: ", "the working directory: ",
                                    "a run argument: ")), str(exc)
        return
    wanted = ["#OAR -n nightly", "#OAR -l nodes=2,walltime=1:00:00", "#OAR -O /srv/runs/OAR.%jobid%.stdout",
              "#OAR -E /srv/runs/OAR.%jobid%.stderr"]
    assert oar3_directives(text) == wanted
    assert oar25_directives(text) == wanted
    exec_line = text.splitlines()[-1]
    assert shlex.split(exec_line)[-len(run_args):] == run_args
    assert shlex.split(text.splitlines()[-2]) == ["cd", str(Path("/home/alice") / (cwd or "x"))]


# --- 3, 6, 11. release runs oardel of the job id, never what a record names --------------------------------------

@pytest.fixture
def fake_oar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "oardel").write_text(f'#!/bin/sh\necho "oardel $*" >> "{tmp_path}/oardel.log"\n')
    (bin_dir / "oarstat").write_text('#!/bin/sh\necho \'{"7": "Error"}\'\n')
    for name in ("oardel", "oarstat"):
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path


def test_release_never_runs_the_program_a_record_names(fake_oar: Path) -> None:
    marker = fake_oar / "pwned"
    run_dir = fake_oar / "results"
    run_dir.mkdir()
    (run_dir / "job.json").write_text(json.dumps({
        "job_id": 7, "guard": "armed", "watch_pid": 2**22, "watch_started": "1",
        "release_argv": ["/usr/bin/touch", str(marker)], "state_argv": ["/usr/bin/touch", str(marker)]}))
    done = oar_cli("release", str(run_dir))
    assert (done.returncode, done.stdout, done.stderr) == (
        0, "oar-nxc release: OAR job 7: released by oar-nxc release (oardel rc 0), Error\n", "")
    assert not marker.exists()
    assert (fake_oar / "oardel.log").read_text() == "oardel 7\n"


@pytest.mark.parametrize("guard", ["kept", "given"])
def test_release_leaves_a_kept_or_given_job_whose_record_has_no_command(fake_oar: Path, guard: str) -> None:
    run_dir = fake_oar / "results"
    run_dir.mkdir()
    (run_dir / "job.json").write_text(json.dumps({"job_id": 7, "name": "oar-nxc", "guard": guard,
                                                  "given": guard == "given"}))
    done = oar_cli("release", str(run_dir))
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout == ("oar-nxc release: OAR job 7 was kept by the run (--keep-job): not released\n"
                           if guard == "kept" else
                           "oar-nxc release: OAR job 7 was given to the run, not reserved by it: not released\n")
    assert not (fake_oar / "oardel.log").exists()


def bad_records(tmp_path: Path) -> dict[str, tuple[bytes | None, str]]:
    return {
        "garbage": (b"\x00\x01garbage", ":1: binary data (NUL byte): not a text nodefile or deployment file"),
        "nested": (b"[" * 100_000 + b"]" * 100_000, ": refused JSON: nested deeper than 32 levels"),
        "17 MB": (b'{"job_id": 7, "x": "' + b"a" * (17 << 20) + b'"}',
                  f": {(17 << 20) + 22} bytes: larger than the 1 MiB limit for a job record"),
        "a string id": (b'{"job_id": "7", "guard": "armed"}',
                        ": key 'job_id': a str ('7') is not an OAR job id (an integer)"),
        "10^30": (b'{"job_id": 1000000000000000000000000000000, "guard": "armed"}',
                  ": key 'job_id': refused JSON: an integer of 31 digits (at most 18)"),
        "true": (b'{"job_id": true, "guard": "armed"}',
                 ": key 'job_id': a bool ('True') is not an OAR job id (an integer)"),
        "-5": (b'{"job_id": -5, "guard": "armed"}', ": key 'job_id': '-5' is not an OAR job id (1 to 2147483647)"),
        "watch_pid true": (b'{"job_id": 7, "guard": "armed", "watch_pid": true}',
                           ": key 'watch_pid': 'True' is not the pid of a run's process (an integer, 2 to 4194304)"),
        "a FIFO": (None, ": is a FIFO (named pipe), not a regular file: give the job record itself"),
        "/dev/zero": (None, ": is a character device, not a regular file: give the job record itself"),
    }


@pytest.mark.parametrize("case", sorted(bad_records(Path("/x"))))
def test_release_refuses_a_record_that_is_not_one_with_exit_2_naming_it(fake_oar: Path, case: str) -> None:
    data, said = bad_records(fake_oar)[case]
    run_dir = fake_oar / "results"
    run_dir.mkdir()
    record = run_dir / "job.json"
    if case == "a FIFO":
        os.mkfifo(record)
    elif case == "/dev/zero":
        record.symlink_to("/dev/zero")
    else:
        assert data is not None
        record.write_bytes(data)
    began = time.monotonic()
    done = oar_cli("release", str(run_dir), timeout=30)
    assert time.monotonic() - began < 10
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"oar-nxc release: {record}{said}: nothing released\n"
    assert "Traceback" not in done.stderr and not (fake_oar / "oardel.log").exists()


record_values = st.recursive(st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.text(max_size=20),
                             lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                         max_size=3), max_leaves=8)


@settings(max_examples=400, deadline=None)
@given(st.fixed_dictionaries({}, optional={
    "job_id": record_values, "guard": st.sampled_from([*jobrecord.GUARD_STATES, "x"]) | record_values,
    "user": record_values | st.sampled_from(["oartest", "-s/bin/sh"]), "frontend": record_values,
    "watch_pid": record_values, "watch_started": record_values, "guard_pid": record_values, "given": record_values,
    "release_argv": record_values, "armed_at": record_values}))
def test_any_record_is_a_typed_job_record_or_a_named_refusal(data: dict[str, object]) -> None:
    try:
        job = jobrecord.parse(dict(data), "job.json")
    except SourceError as exc:
        assert str(exc).startswith("job.json: ")
        return
    release, state = job.commands()
    assert release[-1].endswith(f"oardel {job.job_id}" + ("'" if job.user else ""))
    assert state == ["/bin/sh", "-c", f"timeout 60 oarstat -s -J -j {job.job_id}"] or job.frontend is not None
    assert 1 <= job.job_id <= identity.MAX_JOB_ID


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=3))
def test_the_guards_arguments_give_a_usage_or_a_refusal_never_an_exception(argv: list[str]) -> None:
    assume_no_record = [a for a in argv if a and not a.startswith("-") and os.path.lexists(a)]
    if assume_no_record:
        return  # an existing path would be read as a record: the property is about what is not one
    assert jobguard.main(argv) == 2


# --- 5. run directories oarsub -S can take ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["my runs", "r;touch${IFS}x", "a$(touch x)", "tab\there", "esc\x1b[31m"])
def test_a_run_directory_oar_cannot_take_is_refused_naming_the_flag(tmp_path: Path, name: str) -> None:
    done = oar_cli("submit", "--dry-run", "--job-nodes", "2", "--run-dir", str(tmp_path / name), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("oar-nxc: --run-dir: ")
    assert "OAR keeps only the first word of oarsub -S's script path" in done.stderr
    assert "\x1b" not in done.stderr  # printed escaped
    assert not (tmp_path / "x").exists() and not (tmp_path / name).exists()


def test_the_dry_run_shows_a_script_path_with_no_word_to_split(tmp_path: Path) -> None:
    done = oar_cli("submit", "--dry-run", "--job-nodes", "2", "--run-dir", str(tmp_path / "runs"))
    assert done.returncode == 0, done.stderr
    submitted = done.stdout.splitlines()[-1]
    words = shlex.split(submitted)
    assert words[:2] == ["timeout", "60"] and words[2:4] == ["oarsub", "-S"] and len(words) == 5
    assert words[4] == done.stdout.splitlines()[0].removeprefix("# ")


# --- 7. tracebacks --------------------------------------------------------------------------------------------------

def test_an_oarstat_answer_nested_100000_deep_is_a_named_error() -> None:
    with pytest.raises(SourceError) as err:
        output.job_state("[" * 100_000 + "]" * 100_000, 7)
    assert str(err.value) == "oarstat -s -J: refused JSON: nested deeper than 32 levels"


@pytest.mark.parametrize("value", ["²", "9" * 5000, "-5", "12a", " 60"])
def test_a_ci_timeout_that_is_no_number_is_no_timeout(value: str, tmp_path: Path) -> None:
    assert cli.ci_timeout_warning({"nodes": 2}, {"CI_JOB_TIMEOUT": value}) is None
    done = oar_cli("submit", "--dry-run", "--job-nodes", "2", "--run-dir", str(tmp_path / "runs"),
                   env={"CI_JOB_TIMEOUT": value})
    assert done.returncode == 0 and "Traceback" not in done.stderr and done.stderr == ""


def test_a_summary_that_started_in_the_year_1e300_is_named(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "summary.json").write_text(json.dumps({"composition": "master", "flavour": "vm", "started": 1e300,
                                                  "exit_code": 0}))
    with pytest.raises(SourceError) as err:
        statustable.parse(run / "summary.json")
    assert str(err.value) == (f"{run / 'summary.json'}: started: missing or not a time (seconds since the epoch, up "
                              "to the year 9999) (a summary of oar-nxc 1.0.0 or later?)")
    done = oar_cli("report", "--table", str(tmp_path))
    assert "Traceback" not in done.stderr and done.returncode == 0
    assert f"oar-nxc report: left out: {run / 'summary.json'}: started: missing or not a time" in done.stderr


# --- 8. staging refuses special files by name, unopened -------------------------------------------------------------

def special(kind: str, path: Path) -> object:
    if kind == "a FIFO (named pipe)":
        os.mkfifo(path)
    elif kind == "a socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        return sock
    else:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero's numbers
    return None


@pytest.mark.parametrize("kind", ["a FIFO (named pipe)", "a socket", "a character device"])
@pytest.mark.parametrize("check", [True, False])
def test_staging_refuses_a_special_file_by_name_without_opening_it(tmp_path: Path, kind: str, check: bool) -> None:
    source = tmp_path / "compositions"
    (source / "master").mkdir(parents=True)
    (source / "master" / "flake.nix").write_text("{}\n")
    try:
        held = special(kind, source / "master" / "odd")
    except PermissionError:
        pytest.skip("mknod needs root")
    began = time.monotonic()
    try:
        with pytest.raises(staging.StagingError) as err:
            staging.stage(str(source), str(tmp_path / "work" / "compositions"), check=check)
    finally:
        if isinstance(held, socket.socket):
            held.close()
    assert time.monotonic() - began < 2
    assert str(err.value) == (f"{source / 'master' / 'odd'}: is {kind}: a composition holds regular files, "
                              "directories and symlinks only (remove it from the compositions directory)")
    assert not (tmp_path / "work" / "compositions" / "master" / "odd").exists()


# --- 9. bad input caught before Ansible starts -----------------------------------------------------------------------

def test_run_with_a_nodefile_refuses_job_flags_it_would_ignore(tmp_path: Path) -> None:
    nodefile = tmp_path / "nodes"
    nodefile.write_text("node1\n")
    done = oar_cli("run", "--nodefile", str(nodefile), "--walltime", "1h", "--job-type", "x;y",
                   "--run-dir", str(tmp_path / "r"))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("oar-nxc: --walltime, --job-type: ask OAR for a job, but --nodefile (or $OAR_NODEFILE) "
                           "names the machines of a job you hold already: give one or the other\n")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(("argv", "said"), [
    (["submit", "--dry-run", "--job-nodes", "2", "--nodes", "-1"], "--nodes: '-1' is not a positive number of hosts"),
    (["submit", "--dry-run", "--job-nodes", "2", "--min-machines", "-1"],
     "--min-machines: '-1' is not a number of machines (0: no minimum)"),
    (["deploy", "--composition", ""], "--composition: empty: give a directory of compositions/ (master) or a path"),
])
def test_a_bad_flag_is_refused_before_anything_naming_it(argv: list[str], said: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv, out=io.StringIO()) == api.BAD_INPUT
    assert capsys.readouterr().err == f"oar-nxc: {said}\n"


def test_job_types_are_checked_wherever_they_are_added() -> None:
    request = jobrequest.from_mapping({"nodes": 2})
    with pytest.raises(ConfigError) as err:
        request.with_types(["deploy", "deploy;touch /tmp/x"], "oar_nxc_job_types")
    assert str(err.value) == ("oar_nxc_job_types[1]: 'deploy;touch /tmp/x' is not an OAR job type (deploy, night, "
                              "exotic, timesharing=*,*, inner=42...)")
    assert request.with_types(["deploy"]).types == ("deploy",)


# --- 10. memory bounded while reading, not after ---------------------------------------------------------------------

PEAK = """
import resource, sys, time
sys.path[:0] = {paths!r}
import oar_nxc.batch, oar_nxc.oar.jobs
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
began = time.monotonic()
{body}
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024, round(time.monotonic() - began, 2), said)
"""


def peak(body: str) -> tuple[int, float, str]:
    """(MiB the peak grew by while BODY ran, after the imports; seconds; what BODY's `said` holds), in a fresh
    Python."""
    done = subprocess.run([PYTHON, "-c", PEAK.format(paths=sys.path, body=body)], capture_output=True, text=True,
                          timeout=120, check=True)
    mib, seconds, said = done.stdout.strip().split(" ", 2)
    return int(mib), float(seconds), said


FLOOD = "yes 0123456789012345678901234567890123456789 | head -c 800000000"


def test_an_oar_command_printing_800_mb_is_stopped_at_the_limit(tmp_path: Path) -> None:
    fake = tmp_path / "oarstat"
    fake.write_text(f"#!/bin/sh\n{FLOOD}\n")
    fake.chmod(0o755)
    mib, seconds, said = peak(f"""
from oar_nxc.oar import jobs
try:
    jobs._run([{str(fake)!r}, "-f"], 60)
    said = "read"
except jobs.Unavailable as exc:
    said = str(exc)
""")
    assert said == f"{fake} -f printed more than 64 MiB: stopped there"
    assert mib < 64 * 2 + 32 and seconds < 30, (mib, seconds)  # two streams of 64 MiB at most


def test_submits_shell_keeps_at_most_its_limit(tmp_path: Path) -> None:
    mib, seconds, said = peak(f"""
from oar_nxc import batch
out = batch.LocalShell().run({FLOOD!r})
said = f"{{out.rc}} {{out.stderr}}"
""")
    assert said == f"125 /bin/sh printed more than {batch.OUTPUT_LIMIT} bytes: stopped there"
    assert mib < 16 * 2 + 32 and seconds < 30, (mib, seconds)  # two streams of 16 MiB at most


def test_the_bounded_runner_keeps_what_a_quiet_command_prints_and_times_out_a_silent_one() -> None:
    done = bounded.run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=10, limit=100)
    assert (done.returncode, done.stdout, done.stderr) == (3, b"out\n", b"err\n")
    began = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        bounded.run(["sh", "-c", "sleep 30 & sleep 30"], timeout=1, limit=100)  # a child keeps the pipe open
    assert time.monotonic() - began < 5


# --- 11. the CI template never globs its arguments --------------------------------------------------------------------

def test_the_ci_templates_arguments_are_split_but_never_globbed(tmp_path: Path) -> None:
    import yaml

    template = yaml.safe_load((Path(__file__).parents[3] / "ci/gitlab/oar-nxc.gitlab-ci.yml").read_text())
    script = template[".oar-nxc-run"]["script"]
    (tmp_path / "dahu-1").write_text("")  # a file of the checkout that a glob would give
    fake = tmp_path / "fake-oar-nxc"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    fake.chmod(0o755)
    env = {"PATH": os.environ["PATH"], "OAR_NXC": str(fake), "OAR_NXC_COMMAND": "run", "OAR_NXC_COMPOSITION": "c",
           "OAR_NXC_FLAVOUR": "g5k-nfs-store", "OAR_NXC_JOB_NODES": "4", "OAR_NXC_WALLTIME": "1:00:00",
           "OAR_NXC_RESULTS": "r", "CI_PIPELINE_ID": "1", "CI_JOB_ID": "2", "OAR_NXC_ARGS": "--exclude dahu-* -e a=b"}
    done = subprocess.run(["bash", "-ec", "\n".join(script)], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=30, check=True)
    words = done.stdout.splitlines()
    assert words[-4:] == ["--exclude", "dahu-*", "-e", "a=b"]


# --- 12. the rest of the earlier set ------------------------------------------------------------------------------

def nested(depth: int) -> dict[str, object]:
    value: dict[str, object] = {}
    for _unused in range(depth):
        value = {"a": value}
    return value


def test_params_nested_1500_deep_are_refused_naming_the_key(tmp_path: Path) -> None:
    from tests.unit.oar_nxc.formats.test_composition import COMP, make

    (tmp_path / "c").mkdir()
    comp = make(tmp_path / "c", COMP)
    with pytest.raises(SourceError) as err:
        composition.load(comp, params=nested(1500))
    assert str(err.value).startswith("params: key 'a.a.a.a.a.") and str(err.value).endswith(
        "': nested deeper than 32 levels")
    done = subprocess.run([PYTHON, "-m", "oar_nxc.formats.composition", str(comp), "--params-json",
                           '{"a": ' * 1500 + "{}" + "}" * 1500], capture_output=True, text=True, timeout=60,
                          check=False)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("oar_nxc.formats.composition: --params-json: not JSON that can be read: refused JSON: "
                           "nested deeper than 32 levels\n")


@pytest.mark.parametrize(("printed", "why"), [
    ("garbage", "FAKE did not print an evaluation that can be read (invalid JSON: Expecting value "
                "(column 1)): it printed 'garbage\\n'"),
    ("[" * 5000, "FAKE did not print an evaluation that can be read (refused JSON: nested deeper than 32 "
                 "levels): it printed '" + "[" * 40 + "…'"),
])
def test_a_nix_instantiate_that_prints_garbage_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        printed: str, why: str) -> None:
    fake = tmp_path / "nix-instantiate"
    fake.write_text(f"#!/bin/sh\necho '{printed}'\n")
    fake.chmod(0o755)
    monkeypatch.setattr(composition, "NIX_INSTANTIATE", str(fake))
    with pytest.raises(SourceError) as err:
        composition.evaluate(tmp_path / "composition.nix", {}, {})
    assert str(err.value) == f"{tmp_path / 'composition.nix'}: {why.replace('FAKE', str(fake))}"


def test_a_nix_instantiate_that_never_answers_is_stopped_at_its_bound(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "nix-instantiate"
    fake.write_text("#!/bin/sh\nsleep 600\n")
    fake.chmod(0o755)
    monkeypatch.setattr(composition, "NIX_INSTANTIATE", str(fake))
    monkeypatch.setattr(composition, "EVAL_TIMEOUT", 1)
    began = time.monotonic()
    with pytest.raises(SourceError) as err:
        composition.evaluate(tmp_path / "composition.nix", {}, {})
    assert time.monotonic() - began < 5
    assert str(err.value) == (f"{tmp_path / 'composition.nix'}: {fake} did not evaluate it within 1 s: stopped (an "
                              "evaluation that loops, or a store it waits for)")


def test_a_properties_file_is_relative_to_its_configuration_and_read_without_oarstat(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from oar_nxc.oar import jobs as oarjob
    from tests.conftest import FIXTURES

    source = FIXTURES / "oar/live/resources-file-2.5.9.txt"
    machines = oarjob.machines_of(oarjob.load_properties_file(str(source)))
    config_dir = tmp_path / "conf"
    config_dir.mkdir()
    (config_dir / "props").write_bytes(source.read_bytes())
    (config_dir / "OAR.7.stdout").write_text("".join(f"{m.name}\n" * (m.cores or 1) for m in machines))
    config = config_dir / "oar.yml"
    config.write_text("plugin: oar.nxc.oar_nxc\nnodefile: OAR.7.stdout\nproperties_file: props\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no oarstat here
    monkeypatch.delenv("OAR_RESOURCE_PROPERTIES_FILE", raising=False)
    monkeypatch.chdir(tmp_path)  # not the configuration's directory
    spec = api.inventory(str(config))
    assert sorted(spec.hosts) == sorted(m.name for m in machines)
    for machine in machines:
        variables = spec.hosts[machine.name]
        assert (variables["oar_cores"], variables["oar_properties"], variables["oar_in_job"]) == (
            machine.cores, dict(machine.properties), True)


def test_a_record_path_that_is_a_directory_is_refused_before_nxc_start(tmp_path: Path) -> None:
    from oar_nxc.nxc import start
    from tests.unit.oar_nxc.formats.test_composition import COMP, make
    from tests.unit.oar_nxc.nxc.test_start import request

    (tmp_path / "comp").mkdir()
    comp = make(tmp_path / "comp", COMP)
    paths = start.Paths.of(str(comp), "composition", "g5k-nfs-store", None)
    os.makedirs(paths.current)
    with pytest.raises(ConfigError) as err:
        start.plan(request(comp))
    assert str(err.value) == (f"{paths.current}: the current deployment's record's path is not a regular file (a "
                              "directory?): remove it")
