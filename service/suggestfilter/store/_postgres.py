"""The PostgreSQL backend (psycopg 3), for a fleet of replicas sharing one store.

Publish and rollback send ``NOTIFY suggestfilter_published, '<version>'`` in
their own transaction, so the notification goes out exactly when the change
commits; :meth:`PostgresStore.wait_for_change` LISTENs on a dedicated
connection and returns as soon as one arrives. A connection that dies is
dropped: the failing call raises StoreUnavailableError (its transaction rolled
back, nothing half-written) and the next call connects again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import psycopg
from psycopg import conninfo

from suggestfilter._errors import StoreUnavailableError
from suggestfilter.store._migrations import POSTGRES
from suggestfilter.store._sql import SqlStore, Tx

_LOGGER = logging.getLogger(__name__)

CHANNEL = "suggestfilter_published"
"""The NOTIFY channel; the payload is the published version number."""

_MIGRATION_LOCK = 0x5F5F_F11E
"""The advisory lock key that serializes schema migrations across processes."""


def describe_dsn(dsn: str) -> str:
    """``host:port/dbname`` of a DSN, without credentials (for messages)."""
    try:
        params = conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "PostgreSQL (unparsable DSN)"
    host = params.get("host") or "localhost"
    return f"PostgreSQL at {host}:{params.get('port') or 5432}/{params.get('dbname') or ''}"


class PostgresStore(SqlStore):
    """A Store in a PostgreSQL database (see the module docstring)."""

    dialect = POSTGRES

    def __init__(
        self,
        dsn: str,
        *,
        report_rate: int,
        report_window: float,
        connect_timeout: float = 5.0,
    ) -> None:
        super().__init__(report_rate=report_rate, report_window=report_window)
        self._dsn = dsn
        self._where = describe_dsn(dsn)
        self._connect_timeout = max(1, round(connect_timeout))
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._listener: psycopg.Connection[tuple[object, ...]] | None = None
        self._closed = False
        with self._lock, self._transaction(write=False) as tx:
            tx.run("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
            self._migrate(tx)

    def _unavailable(self, error: Exception) -> StoreUnavailableError:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        return StoreUnavailableError(f"{self._where} is unavailable: {first_line}")

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        try:
            return psycopg.connect(
                self._dsn, autocommit=True, connect_timeout=self._connect_timeout
            )
        except psycopg.Error as error:
            raise self._unavailable(error) from None

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Tx]:
        if self._closed:
            raise StoreUnavailableError(f"the store at {self._where} is closed")
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        conn = self._conn
        try:
            with conn.transaction():
                tx = Tx(conn.cursor(), self.dialect)
                if write:
                    tx.run("SELECT id FROM store_state WHERE id = 1 FOR UPDATE")
                yield tx
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            _LOGGER.warning("dropping the PostgreSQL connection: %s", error)
            self._drop(conn)
            raise self._unavailable(error) from None

    def _drop(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        with suppress(psycopg.Error):
            conn.close()
        if self._conn is conn:
            self._conn = None

    def _notify_published(self, tx: Tx, number: int) -> None:
        tx.run("SELECT pg_notify(?, ?)", (CHANNEL, str(number)))

    def wait_for_change(self, timeout: float) -> bool:
        """Block until a publish/rollback notification arrives (True), or ``timeout``
        seconds pass (False).

        Notifications that arrived since the last call return at once. When the
        listening connection fails, it logs a warning and sleeps out the timeout
        (callers poll ``published_version()`` anyway); the next call reconnects.
        """
        deadline = time.monotonic() + max(0.0, timeout)
        try:
            if self._listener is None or self._listener.closed:
                self._listener = self._connect()
                self._listener.execute(f"LISTEN {CHANNEL}")
            notifies = self._listener.notifies(timeout=max(0.0, timeout), stop_after=1)
            try:
                for notify in notifies:
                    _LOGGER.debug("notified: version %s published", notify.payload)
                    return True
            finally:
                notifies.close()
            return False
        except (psycopg.Error, StoreUnavailableError) as error:
            _LOGGER.warning("LISTEN connection failed (%s); falling back to polling", error)
            if self._listener is not None:
                self._listener.close()
            self._listener = None
            time.sleep(max(0.0, deadline - time.monotonic()))
            return False

    def close(self) -> None:
        """Close both connections."""
        with self._lock:
            self._closed = True
            for conn in (self._conn, self._listener):
                if conn is not None:
                    conn.close()
            self._conn = None
            self._listener = None
