"""A postgresql:// store needs the postgres extra; without psycopg, opening one says so.

A service install (``pip install suggestfilter``) leaves psycopg out; SQLite
stores need nothing more. Opening a PostgreSQL location then fails with a
StoreError that names the install command, and a store command prints it as
its one line.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from suggestfilter._errors import StoreError
from suggestfilter.cli import main
from suggestfilter.store import open_store

MESSAGE = "a postgresql:// store needs the postgres extra: pip install 'suggestfilter[postgres]'"


@pytest.fixture
def without_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    """This interpreter imports as if psycopg were not installed."""
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.delitem(sys.modules, "suggestfilter.store._postgres", raising=False)


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("postgresql://nobody@127.0.0.1:1/x", id="postgresql-scheme"),
        pytest.param("postgres://nobody@127.0.0.1:1/x", id="postgres-scheme"),
    ],
)
@pytest.mark.usefixtures("without_psycopg")
def test_opening_postgres_without_psycopg_names_the_extra(location: str) -> None:
    with pytest.raises(StoreError) as raised:
        open_store(location)
    assert str(raised.value) == MESSAGE


@pytest.mark.usefixtures("without_psycopg")
def test_sqlite_needs_no_psycopg(tmp_path: Path) -> None:
    open_store(str(tmp_path / "terms.db")).close()


@pytest.mark.usefixtures("without_psycopg")
def test_a_store_command_prints_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["terms", "versions", "--db", "postgresql://nobody@127.0.0.1:1/x"]) == 1
    assert capsys.readouterr().err == f"suggestfilter: error: {MESSAGE}\n"
