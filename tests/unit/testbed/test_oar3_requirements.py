"""tests/testbed/oar3_requirements.py: an OAR 3 checkout's Poetry constraints as pip's."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.testbed import oar3_requirements as req

SNAPSHOT = REPO.parent / "shared" / "upstream" / "oar3-c332316a.tar.gz"


@pytest.mark.parametrize(("poetry", "pip"), [
    ("^2.0.0", ">=2.0.0,<3.0.0"), ("^1.7.4", ">=1.7.4,<2.0.0"), ("^0.37.3", ">=0.37.3,<0.38.0"),
    ("^0.0.5", ">=0.0.5,<0.0.6"), ("~1.2", "~=1.2"), ("<25.0, >=22.0.3", "<25.0,>=22.0.3"), ("*", ""),
    ("<=0.95.1", "<=0.95.1"),
])
def test_constraints(poetry: str, pip: str) -> None:
    assert req.constraint(poetry) == pip


def test_requirements_keep_extras_and_swap_psycopg2(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.poetry.dependencies]\npython = ">=3.10, <4"\nSQLAlchemy = "^2.0.0"\n'
                    'passlib = {extras = ["bcrypt"], version = "^1.7.4"}\npsycopg2 = "^2.8.6"\n')
    assert req.requirements(path) == ["SQLAlchemy>=2.0.0,<3.0.0", "passlib[bcrypt]>=1.7.4,<2.0.0",
                                      "psycopg2-binary>=2.8.6,<3.0.0"]


def test_pins_from_a_lock(tmp_path: Path) -> None:
    lock = tmp_path / "poetry.lock"
    lock.write_text('[[package]]\nname = "sqlalchemy"\nversion = "2.0.29"\n\n'
                    '[[package]]\nname = "psycopg2"\nversion = "2.9.9"\n')
    assert req.pins(lock) == ["sqlalchemy==2.0.29", "psycopg2-binary==2.9.9"]


@pytest.mark.parametrize(("content", "message"), [
    ("[tool.poetry]\nname = 'x'\n", "no [tool.poetry.dependencies] table (is this an OAR 3 checkout?)"),
    ("[tool.poetry.dependencies]\nx = {extras = ['a']}\n", "tool.poetry.dependencies.x: no version constraint"),
    ("[tool\n", "Expected ']'"),
])
def test_bad_pyproject_is_named(tmp_path: Path, content: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(content)
    assert req.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"oar3_requirements: {path}") and message in err


def test_the_snapshot_of_an_oar_3_checkout(tmp_path: Path) -> None:
    """The snapshot the testbed installs (../shared/upstream): its pyproject and lock read."""
    if not SNAPSHOT.exists():
        pytest.skip(f"no {SNAPSHOT}")
    with tarfile.open(SNAPSHOT) as archive:
        for name in ("oar3/pyproject.toml", "oar3/poetry.lock"):
            member = archive.extractfile(name)
            assert member is not None, name
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_bytes(member.read())
    lines = req.requirements(tmp_path / "oar3" / "pyproject.toml")
    assert "SQLAlchemy>=2.0.0,<3.0.0" in lines and "psycopg2-binary>=2.8.6,<3.0.0" in lines
    assert "fastapi<=0.95.1" in lines and "python-jose[cryptography]>=3.4.0,<4.0.0" in lines
    assert "sqlalchemy==2.0.29" in req.pins(tmp_path / "oar3" / "poetry.lock")
