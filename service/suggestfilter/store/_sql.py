"""The store's logic and SQL, written once for both backends.

:class:`SqlStore` implements every :class:`~suggestfilter.store.Store`
method in portable SQL (``?`` placeholders, rewritten per
:class:`~suggestfilter.store._migrations.Dialect`). A backend subclass only
supplies connections and transactions (:meth:`SqlStore._transaction`), the
change notification and :meth:`~SqlStore.wait_for_change`.

Every transaction that writes runs under a store-wide lock (SQLite ``BEGIN IMMEDIATE``;
PostgreSQL ``SELECT ... FOR UPDATE`` of the one ``store_state`` row), so a
check of the published/draft pointers and the write that depends on it are
atomic across processes. Calls on one store object are serialized by a thread
lock, so a store may be shared by the threads of one process.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from suggestfilter._errors import ConflictError, NotFoundError, RateLimitedError
from suggestfilter._model import SuggestionKind
from suggestfilter.engine._fold import fold
from suggestfilter.store import (
    AuditRecord,
    DraftContent,
    ReportGroup,
    ReportStatus,
    StaleDraftError,
    StoreStatus,
    VersionInfo,
    VersionSnapshot,
    VersionState,
    _canonical,
)
from suggestfilter.store._migrations import CREATE_SCHEMA_VERSION, MIGRATIONS, Dialect

_LOGGER = logging.getLogger(__name__)

_RESOLUTION_ACTIONS = {
    ReportStatus.PROMOTED: "report-promote",
    ReportStatus.DISMISSED: "report-dismiss",
}

_VERSION_COLUMNS = "number, base, author, created_at, reason, checksum, term_count, published_at"


class Tx:
    """One open transaction: runs portable SQL through a DB-API cursor."""

    def __init__(self, cursor: Any, dialect: Dialect) -> None:
        self._cursor = cursor
        self._dialect = dialect

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute a statement; return the number of rows it changed."""
        self._cursor.execute(self._dialect.sql(sql), tuple(params))
        return int(self._cursor.rowcount)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Execute a query; return every row."""
        self._cursor.execute(self._dialect.sql(sql), tuple(params))
        return [tuple(row) for row in self._cursor.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """Execute a query; return its first row or None."""
        self._cursor.execute(self._dialect.sql(sql), tuple(params))
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)


@dataclass(frozen=True, slots=True)
class _State:
    published: int | None
    draft: int | None
    draft_origin: int | None


def _dash(number: int | None) -> str:
    return "none" if number is None else str(number)


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def report_key(text: str) -> str:
    """What groups reports: the folded text (:func:`suggestfilter.engine._fold.fold`) with
    a leading ``#`` dropped and whitespace collapsed, so ``#BadWord`` and
    ``badword`` are one group."""
    return " ".join(fold(text).lstrip("#").split())


def group_id_for(folded: str) -> str:
    """The id of the report group of a folded text (stable, carries no text)."""
    return "g-" + hashlib.sha256(folded.encode()).hexdigest()[:16]


class SqlStore(ABC):
    """A Store over a SQL database; subclasses provide connections (see module doc)."""

    dialect: Dialect

    def __init__(self, *, report_rate: int, report_window: float) -> None:
        self._lock = threading.RLock()
        self._report_rate = report_rate
        self._report_window = report_window
        self._salt: bytes | None = None

    # --- backend hooks --------------------------------------------------

    @abstractmethod
    def _transaction(self, *, write: bool) -> AbstractContextManager[Tx]:
        """A transaction (under the store-wide lock when ``write``), committed on
        success and rolled back on any exception. Database failures become
        StoreUnavailableError."""

    def _notify_published(self, tx: Tx, number: int) -> None:  # noqa: B027 - optional hook
        """Tell other processes, in ``tx``, that ``number`` is now published (default: nothing)."""

    @abstractmethod
    def wait_for_change(self, timeout: float) -> bool:
        """See Store.wait_for_change."""

    @abstractmethod
    def close(self) -> None:
        """See Store.close."""

    # --- schema -----------------------------------------------------------

    def _migrate(self, tx: Tx) -> None:
        """Apply the missing numbered migrations in order (caller holds the lock)."""
        tx.run(CREATE_SCHEMA_VERSION)
        row = tx.one("SELECT MAX(version) FROM schema_version")
        current = int(row[0]) if row and row[0] is not None else 0
        for number, statements in enumerate(MIGRATIONS, start=1):
            if number <= current:
                continue
            for statement in statements:
                tx.run(statement)
            tx.run("INSERT INTO schema_version (version) VALUES (?)", (number,))
            _LOGGER.info("store schema migrated to version %d", number)
        tx.run(
            "INSERT INTO store_meta (key, value) VALUES ('report_salt', ?) "
            "ON CONFLICT (key) DO NOTHING",
            (secrets.token_hex(32),),
        )

    # --- helpers ------------------------------------------------------------

    @staticmethod
    def _state(tx: Tx) -> _State:
        row = tx.one("SELECT published, draft, draft_origin FROM store_state WHERE id = 1")
        assert row is not None, "store_state row is created by migration 1"
        return _State(row[0], row[1], row[2])

    @staticmethod
    def _info(row: tuple[Any, ...], state: _State) -> VersionInfo:
        number, base, author, created_at, reason, checksum, term_count, published_at = row
        if number == state.draft:
            version_state = VersionState.DRAFT
        elif number == state.published:
            version_state = VersionState.PUBLISHED
        elif published_at is not None:
            version_state = VersionState.RETIRED
        else:
            version_state = VersionState.SUPERSEDED
        return VersionInfo(
            number=int(number),
            state=version_state,
            base=None if base is None else int(base),
            author=author,
            created_at=_utc(float(created_at)),
            reason=reason,
            checksum=checksum,
            term_count=int(term_count),
        )

    def _info_in(self, tx: Tx, number: int, state: _State | None = None) -> VersionInfo:
        row = tx.one(f"SELECT {_VERSION_COLUMNS} FROM versions WHERE number = ?", (number,))
        if row is None:
            raise NotFoundError(f"version {number} does not exist")
        return self._info(row, state or self._state(tx))

    def _snapshot_in(self, tx: Tx, number: int) -> VersionSnapshot:
        row = tx.one(
            f"SELECT {_VERSION_COLUMNS}, content FROM versions WHERE number = ?", (number,)
        )
        if row is None:
            raise NotFoundError(f"version {number} does not exist")
        info = self._info(row[:-1], self._state(tx))
        entries, policy = _canonical.decode(bytes(row[-1]), info.checksum, version=number)
        return VersionSnapshot(info=info, entries=entries, policy=policy)

    def _verify_in(self, tx: Tx, number: int) -> None:
        """Check that a version exists and its content verifies, without parsing it."""
        row = tx.one("SELECT checksum, content FROM versions WHERE number = ?", (number,))
        if row is None:
            raise NotFoundError(f"version {number} does not exist")
        _canonical.verified_bytes(bytes(row[1]), row[0], version=number)

    @staticmethod
    def _audit(
        tx: Tx, *, actor: str, action: str, reason: str, version: int | None, detail: str
    ) -> None:
        tx.run(
            "INSERT INTO audit_log (at, actor, action, version, reason, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (time.time(), actor, action, version, reason, detail),
        )

    # --- serving side --------------------------------------------------------

    def published_version(self) -> int | None:
        """The published version number, or None."""
        with self._lock, self._transaction(write=False) as tx:
            return self._state(tx).published

    def load_published(self) -> VersionSnapshot | None:
        """The published version's verified content, or None."""
        with self._lock, self._transaction(write=False) as tx:
            published = self._state(tx).published
            return None if published is None else self._snapshot_in(tx, published)

    def load_version(self, number: int) -> VersionSnapshot:
        """One version's verified content."""
        with self._lock, self._transaction(write=False) as tx:
            return self._snapshot_in(tx, number)

    def add_report(
        self, text: str, kind: SuggestionKind, locale: str, reason: str, reporter: str
    ) -> str:
        """Store a report; only an HMAC of the reporter id is kept."""
        folded = report_key(text)
        now = time.time()
        report_id = "rep-" + secrets.token_hex(8)
        with self._lock, self._transaction(write=True) as tx:
            reporter_hash = hmac.new(
                self._report_salt(tx), reporter.encode(), hashlib.sha256
            ).hexdigest()
            row = tx.one(
                "SELECT COUNT(*) FROM reports WHERE reporter_hash = ? AND created_at > ?",
                (reporter_hash, now - self._report_window),
            )
            if row is not None and int(row[0]) >= self._report_rate:
                raise RateLimitedError(
                    f"too many reports: at most {self._report_rate} per "
                    f"{self._report_window:g} seconds per reporter"
                )
            tx.run(
                "INSERT INTO reports (id, group_id, folded, text, kind, locale, reason, "
                "reporter_hash, created_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    report_id,
                    group_id_for(folded),
                    folded,
                    text,
                    int(kind),
                    locale,
                    reason,
                    reporter_hash,
                    now,
                    ReportStatus.OPEN.value,
                ),
            )
        return report_id

    def _report_salt(self, tx: Tx) -> bytes:
        if self._salt is None:
            row = tx.one("SELECT value FROM store_meta WHERE key = 'report_salt'")
            assert row is not None, "the salt is created on open"
            self._salt = bytes.fromhex(row[0])
        return self._salt

    # --- admin side ------------------------------------------------------------

    def status(self) -> StoreStatus:
        """The published version and the open draft."""
        with self._lock, self._transaction(write=False) as tx:
            state = self._state(tx)
        return StoreStatus(published=state.published, draft=state.draft)

    def version_info(self, number: int) -> VersionInfo:
        """One version's description."""
        with self._lock, self._transaction(write=False) as tx:
            return self._info_in(tx, number)

    def list_versions(self) -> list[VersionInfo]:
        """Every version, newest first."""
        with self._lock, self._transaction(write=False) as tx:
            state = self._state(tx)
            rows = tx.rows(f"SELECT {_VERSION_COLUMNS} FROM versions ORDER BY number DESC")
        return [self._info(row, state) for row in rows]

    def write_draft(self, content: DraftContent, *, actor: str) -> VersionInfo:
        """Store ``content`` as the new open draft."""
        stored, checksum, count = _canonical.encode(content.entries, content.policy)
        with self._lock, self._transaction(write=True) as tx:
            return self._write_draft_in(tx, content, stored, checksum, count, actor=actor)

    def _write_draft_in(
        self,
        tx: Tx,
        content: DraftContent,
        stored: bytes,
        checksum: str,
        count: int,
        *,
        actor: str,
    ) -> VersionInfo:
        state = self._state(tx)
        expected = state.draft if state.draft is not None else state.published
        if content.base != expected:
            raise StaleDraftError(
                f"the draft changed meanwhile (it was made from version {content.base}, "
                f"the working version is now {expected}); try again"
            )
        row = tx.one("SELECT COALESCE(MAX(number), 0) FROM versions")
        number = int(row[0]) + 1 if row else 1
        tx.run(
            "INSERT INTO versions (number, base, author, created_at, reason, checksum, "
            "term_count, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (number, content.base, actor, time.time(), content.reason, checksum, count, stored),
        )
        origin = state.draft_origin if state.draft is not None else state.published
        tx.run("UPDATE store_state SET draft = ?, draft_origin = ? WHERE id = 1", (number, origin))
        self._audit(
            tx,
            actor=actor,
            action=content.action,
            reason=content.reason,
            version=number,
            detail=content.detail,
        )
        return self._info_in(tx, number)

    def publish(self, number: int, *, actor: str, reason: str) -> VersionInfo:
        """Publish the open draft ``number`` atomically."""
        with self._lock, self._transaction(write=True) as tx:
            state = self._state(tx)
            self._verify_in(tx, number)
            if state.draft != number:
                which = (
                    "there is no open draft"
                    if state.draft is None
                    else (f"the open draft is version {state.draft}")
                )
                raise ConflictError(f"version {number} is not the open draft ({which})")
            if state.draft_origin != state.published:
                raise ConflictError(
                    f"draft {number} was made from published version {state.draft_origin}, "
                    f"but version {state.published} has been published since; "
                    "discard the draft and make the change again"
                )
            return self._make_published(
                tx, number, state, actor=actor, action="publish", reason=reason
            )

    def _make_published(
        self, tx: Tx, number: int, state: _State, *, actor: str, action: str, reason: str
    ) -> VersionInfo:
        """Point the store at ``number`` (closing the draft if it is that), mark it
        published, notify and audit ``action``; in the caller's transaction."""
        tx.run(
            "UPDATE store_state SET published = ?, draft = CASE WHEN draft = ? THEN NULL "
            "ELSE draft END, draft_origin = CASE WHEN draft = ? THEN NULL ELSE draft_origin END "
            "WHERE id = 1",
            (number, number, number),
        )
        tx.run(
            "UPDATE versions SET published_at = COALESCE(published_at, ?) WHERE number = ?",
            (time.time(), number),
        )
        self._notify_published(tx, number)
        self._audit(
            tx,
            actor=actor,
            action=action,
            reason=reason,
            version=number,
            detail=f"{action}: version {number} published (was {_dash(state.published)})",
        )
        return self._info_in(tx, number)

    def rollback(self, number: int, *, actor: str, reason: str) -> VersionInfo:
        """Make an earlier version the published one again."""
        with self._lock, self._transaction(write=True) as tx:
            state = self._state(tx)
            self._verify_in(tx, number)
            if number == state.draft:
                raise ConflictError(
                    f"version {number} is the open draft: publish it instead of rolling back"
                )
            if number == state.published:
                raise ConflictError(f"version {number} is already the published version")
            return self._make_published(
                tx, number, state, actor=actor, action="rollback", reason=reason
            )

    def discard_draft(self, *, actor: str, reason: str) -> VersionInfo:
        """Close the open draft without publishing it."""
        with self._lock, self._transaction(write=True) as tx:
            state = self._state(tx)
            if state.draft is None:
                raise ConflictError("there is no open draft to discard")
            tx.run("UPDATE store_state SET draft = NULL, draft_origin = NULL WHERE id = 1")
            self._audit(
                tx,
                actor=actor,
                action="discard",
                reason=reason,
                version=state.draft,
                detail=f"discarded draft {state.draft}",
            )
            return self._info_in(tx, state.draft)

    def audit_log(self, *, limit: int = 100, before_id: int | None = None) -> list[AuditRecord]:
        """Audit records, newest first."""
        with self._lock, self._transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT id, at, actor, action, version, reason, detail FROM audit_log "
                "WHERE id < ? ORDER BY id DESC LIMIT ?",
                (before_id if before_id is not None else 2**62, limit),
            )
        return [
            AuditRecord(
                id=int(row[0]),
                at=_utc(float(row[1])),
                actor=row[2],
                action=row[3],
                version=None if row[4] is None else int(row[4]),
                reason=row[5],
                detail=row[6],
            )
            for row in rows
        ]

    # --- reports ------------------------------------------------------------------

    def report_groups(
        self, *, status: ReportStatus | None = ReportStatus.OPEN, limit: int = 100
    ) -> list[ReportGroup]:
        """Report groups by folded text, most reported first."""
        where, params = ("WHERE status = ?", [status.value]) if status is not None else ("", [])
        with self._lock, self._transaction(write=False) as tx:
            keys = tx.rows(
                f"SELECT group_id, status FROM reports {where} GROUP BY group_id, status "
                "ORDER BY COUNT(*) DESC, MAX(created_at) DESC, group_id LIMIT ?",
                (*params, limit),
            )
            return [self._group_in(tx, group_id, ReportStatus(st)) for group_id, st in keys]

    def _group_in(self, tx: Tx, group_id: str, status: ReportStatus) -> ReportGroup:
        rows = tx.rows(
            "SELECT folded, text, kind, locale, reason, reporter_hash, created_at FROM reports "
            "WHERE group_id = ? AND status = ? ORDER BY created_at, id",
            (group_id, status.value),
        )
        if not rows:
            raise NotFoundError(f"report group {group_id} has no {status.value} report")
        return ReportGroup(
            group_id=group_id,
            folded=rows[-1][0],
            text=rows[-1][1],
            count=len(rows),
            reporters=len({row[5] for row in rows}),
            kinds=tuple(sorted({SuggestionKind(row[2]) for row in rows})),
            locales=tuple(sorted({row[3] for row in rows})),
            reasons=tuple(sorted({row[4] for row in rows})),
            first_at=_utc(float(rows[0][6])),
            last_at=_utc(float(rows[-1][6])),
            status=status,
        )

    def _resolve_group_id(self, tx: Tx, name: str) -> str:
        row = tx.one(
            "SELECT group_id FROM reports WHERE group_id = ? OR id = ? LIMIT 1", (name, name)
        )
        if row is None:
            raise NotFoundError(f"no report or report group {name!r}")
        return str(row[0])

    def report_group(self, group_id: str) -> ReportGroup:
        """A group by its id or one of its reports' ids: its open reports if any, else all."""
        with self._lock, self._transaction(write=False) as tx:
            resolved_id = self._resolve_group_id(tx, group_id)
            statuses = tx.rows(
                "SELECT DISTINCT status FROM reports WHERE group_id = ?", (resolved_id,)
            )
            present = {ReportStatus(row[0]) for row in statuses}
            status = ReportStatus.OPEN if ReportStatus.OPEN in present else sorted(present)[0]
            return self._group_in(tx, resolved_id, status)

    def resolve_reports(
        self,
        group_id: str,
        resolution: ReportStatus,
        *,
        actor: str,
        reason: str,
        draft: DraftContent | None = None,
    ) -> VersionInfo | None:
        """Resolve a group's open reports, and write ``draft`` in the same transaction."""
        if resolution is ReportStatus.OPEN:
            raise ConflictError("a report group is resolved as promoted or dismissed")
        encoded = None if draft is None else _canonical.encode(draft.entries, draft.policy)
        with self._lock, self._transaction(write=True) as tx:
            resolved_id = self._resolve_group_id(tx, group_id)
            changed = tx.run(
                "UPDATE reports SET status = ?, resolved_by = ?, resolved_at = ? "
                "WHERE group_id = ? AND status = ?",
                (resolution.value, actor, time.time(), resolved_id, ReportStatus.OPEN.value),
            )
            if changed == 0:
                raise ConflictError(f"report group {resolved_id} has no open report")
            info = None
            if draft is not None and encoded is not None:
                info = self._write_draft_in(tx, draft, *encoded, actor=actor)
            self._audit(
                tx,
                actor=actor,
                action="report-"
                + ("promote" if resolution is ReportStatus.PROMOTED else "dismiss"),
                reason=reason,
                version=None if info is None else info.number,
                detail=f"{resolution.value} report group {resolved_id} ({changed} reports)"
                + ("" if draft is None else f"; {draft.detail}"),
            )
            return info
