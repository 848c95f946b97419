"""Numbered schema migrations, shared by both backends.

``MIGRATIONS[n - 1]`` brings the schema from version ``n - 1`` to ``n``. The
``schema_version`` table holds the versions applied; on open, the store applies
the missing ones in order, in one transaction under a lock, so opening is
idempotent and safe when several processes open at once.

Statements are written once with three type placeholders that each backend
fills in (:class:`Dialect`): ``{blob}``, ``{float}`` and ``{id_pk}`` (an
auto-increment integer primary key).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between the SQL of the two backends."""

    blob: str
    float: str
    id_pk: str
    placeholder: str

    def sql(self, statement: str) -> str:
        """``statement`` with ``?`` placeholders and type tokens in this dialect."""
        statement = statement.format(blob=self.blob, float=self.float, id_pk=self.id_pk)
        return statement.replace("?", self.placeholder)


SQLITE = Dialect(
    blob="BLOB",
    float="REAL",
    id_pk="INTEGER PRIMARY KEY AUTOINCREMENT",
    placeholder="?",
)
POSTGRES = Dialect(
    blob="BYTEA",
    float="DOUBLE PRECISION",
    id_pk="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    placeholder="%s",
)

CREATE_SCHEMA_VERSION = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY)"

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: versions, the published/draft pointers, audit log, reports.
    (
        "CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE store_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            published INTEGER,
            draft INTEGER,
            draft_origin INTEGER
        )""",
        "INSERT INTO store_state (id) VALUES (1)",
        """CREATE TABLE versions (
            number INTEGER PRIMARY KEY,
            base INTEGER,
            author TEXT NOT NULL,
            created_at {float} NOT NULL,
            reason TEXT NOT NULL,
            checksum TEXT NOT NULL,
            term_count INTEGER NOT NULL,
            content {blob} NOT NULL,
            published_at {float}
        )""",
        """CREATE TABLE audit_log (
            id {id_pk},
            at {float} NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            version INTEGER,
            reason TEXT NOT NULL,
            detail TEXT NOT NULL
        )""",
        """CREATE TABLE reports (
            id TEXT PRIMARY KEY,
            group_id TEXT NOT NULL,
            folded TEXT NOT NULL,
            text TEXT NOT NULL,
            kind INTEGER NOT NULL,
            locale TEXT NOT NULL,
            reason TEXT NOT NULL,
            reporter_hash TEXT NOT NULL,
            created_at {float} NOT NULL,
            status TEXT NOT NULL,
            resolved_by TEXT,
            resolved_at {float}
        )""",
        "CREATE INDEX reports_by_status ON reports (status, group_id)",
        "CREATE INDEX reports_by_group ON reports (group_id)",
        "CREATE INDEX reports_by_reporter ON reports (reporter_hash, created_at)",
    ),
)

LATEST = len(MIGRATIONS)
