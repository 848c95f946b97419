"""Fixtures shared by every test module: free ports and PostgreSQL databases.

PostgreSQL tests use the server on 127.0.0.1:5432 (database ``test``). Under CI
(``CI`` set) a missing server fails the test; elsewhere it skips it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from _net import POSTGRES_BASE_DSN, free_tcp_port


@pytest.fixture
def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    return free_tcp_port()


def _postgres_or_fail() -> None:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_BASE_DSN, connect_timeout=5):
            pass
    except psycopg.OperationalError as error:
        message = f"PostgreSQL at {POSTGRES_BASE_DSN} is not reachable: {error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def postgres_dsn() -> Iterator[str]:
    """The DSN of a fresh, empty PostgreSQL schema, dropped after the test.

    The schema is the connection's search_path, so the code under test needs
    no knowledge of it.
    """
    import psycopg

    _postgres_or_fail()
    schema = "sf_test_" + secrets.token_hex(4)
    with psycopg.connect(POSTGRES_BASE_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in POSTGRES_BASE_DSN else "?"
    yield f"{POSTGRES_BASE_DSN}{separator}options=-csearch_path%3D{schema}"
    with psycopg.connect(POSTGRES_BASE_DSN, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
