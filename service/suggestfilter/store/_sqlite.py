"""The SQLite backend: one owner-only file, WAL mode, for one host.

The file (and the ``-wal``/``-shm`` files SQLite creates beside it, which take
its mode) is created 0600, and a missing parent directory 0700: term lists
are sensitive. WAL mode with a busy timeout lets several worker processes
read while one process writes. SQLite has no change notification, so
:meth:`SqliteStore.wait_for_change` sleeps and callers poll
``published_version()``.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from suggestfilter._errors import StoreUnavailableError
from suggestfilter.store._migrations import SQLITE
from suggestfilter.store._sql import SqlStore, Tx

_LOGGER = logging.getLogger(__name__)


def _create_owner_only(path: Path) -> None:
    """Create ``path`` (and a missing parent directory) readable by the owner only."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    except FileExistsError:  # another process created it first
        return
    os.close(fd)


class SqliteStore(SqlStore):
    """A Store in one SQLite file (see the module docstring)."""

    dialect = SQLITE

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        report_rate: int,
        report_window: float,
        connect_timeout: float = 5.0,
    ) -> None:
        super().__init__(report_rate=report_rate, report_window=report_window)
        self.path = Path(path)
        try:
            if not self.path.exists():
                _create_owner_only(self.path)
            elif self.path.stat().st_mode & 0o077:
                _LOGGER.warning(
                    "store %s is readable by others (mode %o); term lists are sensitive: "
                    "chmod 600 it",
                    self.path,
                    self.path.stat().st_mode & 0o777,
                )
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                self.path,
                timeout=connect_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            self._conn.execute(f"PRAGMA busy_timeout = {int(connect_timeout * 1000)}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
        except (OSError, sqlite3.Error) as error:
            raise StoreUnavailableError(f"cannot open SQLite store {self.path}: {error}") from None
        with self._lock, self._transaction(write=True) as tx:
            self._migrate(tx)

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Tx]:
        if self._conn is None:
            raise StoreUnavailableError(f"SQLite store {self.path} is closed")
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield Tx(conn.cursor(), self.dialect)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreUnavailableError(f"SQLite store {self.path} failed: {error}") from None

    def wait_for_change(self, timeout: float) -> bool:
        """Sleep ``timeout`` seconds and return False (SQLite has no change notification)."""
        time.sleep(max(0.0, timeout))
        return False

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
