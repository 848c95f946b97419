"""The versioned term store: term lists, policies, versions, audit log and reports.

Most code needs three things from here: :func:`open_store`, the :class:`Store`
protocol it returns, and the :class:`VersionSnapshot` that a replica compiles
into a matcher. The safety team's operations (change sets, diff, dry-run,
publish, rollback, reports) are built on top of a store in
:mod:`suggestfilter.admin._ops`.

Version model
-------------
Every version is immutable: its entries and policy never change after it is
written, and its SHA-256 checksum (of the canonical content, see
:mod:`suggestfilter.store._canonical`) is verified each time it is loaded.
Version numbers start at 1 and grow by one with every stored version.

- A change (add or remove entries, edit policies, import) writes a new
  version in state ``draft``, based on the open draft if there is one, else on
  the published version. The previous draft step becomes ``superseded``. So
  there is at most one open draft, and changes accumulate in it: the draft is
  always the newest version of its line.
- Publishing makes the open draft the published version. It is refused with
  :class:`~suggestfilter._errors.ConflictError` when the published version
  changed since the draft line started (someone else published or rolled back
  meanwhile); the store is then left as it was.
- Rolling back makes any earlier version the published one again (no new
  version is written; ``list_version`` shows the old number).
- Every change, publish, rollback, policy import and report decision is
  recorded in the audit log with actor, time and reason.

Backends
--------
``open_store("postgresql://...")`` (or ``postgres://``) opens PostgreSQL via
psycopg 3, which the ``postgres`` extra installs (``pip install
'suggestfilter[postgres]'``; without it the open fails with a StoreError that
says so); anything else is a SQLite file path, created owner-only (0600), in
WAL mode so several worker processes read while one writes. Both share one
implementation of the SQL (:mod:`suggestfilter.store._sql`) and apply the
numbered schema migrations (:mod:`suggestfilter.store._migrations`) on open.
Each process opens its own store; one store object may be shared by the
threads of a process (its calls are serialized).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from suggestfilter._errors import ConflictError, StoreError
from suggestfilter._model import Policy, SuggestionKind, TermEntry

DEFAULT_LOCATION = "suggestfilter.db"
"""The SQLite file that commands use when no ``--db`` is given (relative to the working dir)."""

DEFAULT_REPORT_RATE = 10
"""Reports one reporter may file per :data:`DEFAULT_REPORT_WINDOW` seconds."""

DEFAULT_REPORT_WINDOW = 60.0


class StaleDraftError(ConflictError):
    """A draft write was refused because the draft changed since it was read.

    Retrying the change on the new draft is safe; AdminOps does so.
    """


class VersionState(enum.StrEnum):
    """Where a version stands.

    - ``DRAFT``: the open draft (at most one version is in this state).
    - ``PUBLISHED``: the version replicas serve (at most one).
    - ``RETIRED``: was published once, no longer is; a rollback target.
    - ``SUPERSEDED``: a draft step that a later change replaced, or a discarded
      draft; never published. It can still be read, diffed and rolled back to.
    """

    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"
    SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """What describes one stored version (everything but its content).

    ``base`` is the version this one was derived from (None for the first).
    ``created_at`` is timezone-aware UTC. ``checksum`` is the hex SHA-256 of the
    canonical content. ``term_count`` counts all entries, block and allow.
    """

    number: int
    state: VersionState
    base: int | None
    author: str
    created_at: datetime
    reason: str
    checksum: str
    term_count: int


@dataclass(frozen=True, slots=True)
class VersionSnapshot:
    """One version's verified content: its entries (in canonical order) and policy."""

    info: VersionInfo
    entries: tuple[TermEntry, ...]
    policy: Policy


@dataclass(frozen=True, slots=True)
class StoreStatus:
    """The published version and the open draft (either may be None)."""

    published: int | None
    draft: int | None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One line of the audit log.

    ``action`` is one of ``change``, ``policy-import``, ``publish``,
    ``rollback``, ``discard``, ``report-promote``, ``report-dismiss``.
    ``version`` is the version the action wrote or published, if any.
    ``detail`` is a short human-readable summary (counts and rule ids, never a
    typed query).
    """

    id: int
    at: datetime
    actor: str
    action: str
    version: int | None
    reason: str
    detail: str


class ReportStatus(enum.StrEnum):
    """Whether a report group still waits for a decision."""

    OPEN = "open"
    PROMOTED = "promoted"
    DISMISSED = "dismissed"


@dataclass(frozen=True, slots=True)
class ReportGroup:
    """User reports of suggestions that fold to the same text.

    ``group_id`` names the group in :meth:`Store.resolve_reports` (stable: it
    derives from the folded text). ``text`` is the most recently reported
    original text, ``count`` the number of reports, ``reporters`` the number of
    distinct (hashed) reporters. ``kinds``, ``locales`` and ``reasons`` are the
    distinct values seen, sorted.
    """

    group_id: str
    folded: str
    text: str
    count: int
    reporters: int
    kinds: tuple[SuggestionKind, ...]
    locales: tuple[str, ...]
    reasons: tuple[str, ...]
    first_at: datetime
    last_at: datetime
    status: ReportStatus


@dataclass(frozen=True, slots=True)
class DraftContent:
    """The content of a new draft version, and what it was derived from.

    ``base`` must be the open draft, or the published version when there is no
    draft (None when the store has no version yet); otherwise the write is
    refused with ConflictError (someone changed the draft meanwhile).
    ``action`` and ``detail`` go to the audit log.
    """

    base: int | None
    entries: Sequence[TermEntry]
    policy: Policy
    reason: str
    action: str = "change"
    detail: str = ""


@runtime_checkable
class Store(Protocol):
    """A versioned term store. Every method may raise StoreUnavailableError."""

    # --- serving side -------------------------------------------------
    def published_version(self) -> int | None:
        """The published version number, or None. Cheap: meant for polling."""
        ...

    def load_published(self) -> VersionSnapshot | None:
        """The published version's content, checksum verified (ChecksumError if not)."""
        ...

    def load_version(self, number: int) -> VersionSnapshot:
        """One version's content, checksum verified. NotFoundError, ChecksumError."""
        ...

    def wait_for_change(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds; PostgreSQL returns early on a publish or rollback.

        Returns True when a change notification arrived. SQLite has no
        notification: it sleeps the whole timeout and returns False, and
        callers poll :meth:`published_version` after it returns.
        """
        ...

    def add_report(
        self, text: str, kind: SuggestionKind, locale: str, reason: str, reporter: str
    ) -> str:
        """Store a user report of a suggestion; return its id.

        Only a salted HMAC-SHA256 of ``reporter`` is kept. Raises
        RateLimitedError when the reporter exceeds the store's report rate.
        """
        ...

    def close(self) -> None:
        """Release the connections. The store cannot be used afterwards."""
        ...

    # --- admin side ---------------------------------------------------
    def status(self) -> StoreStatus:
        """The published version and the open draft."""
        ...

    def version_info(self, number: int) -> VersionInfo:
        """One version's description. NotFoundError for an unknown number."""
        ...

    def list_versions(self) -> list[VersionInfo]:
        """Every version, newest first."""
        ...

    def write_draft(self, content: DraftContent, *, actor: str) -> VersionInfo:
        """Store ``content`` as the new open draft (atomically, audited).

        ConflictError when ``content.base`` is not the current draft (or, with
        no draft, the published version).
        """
        ...

    def publish(self, number: int, *, actor: str, reason: str) -> VersionInfo:
        """Publish the open draft ``number`` atomically (audited; NOTIFY on PostgreSQL).

        ConflictError when ``number`` is not the open draft, or when the
        published version changed since the draft line started; the store is
        left as it was. NotFoundError for an unknown number.
        """
        ...

    def rollback(self, number: int, *, actor: str, reason: str) -> VersionInfo:
        """Make an earlier version the published one again (audited; NOTIFY on PostgreSQL).

        The version is checksum-verified first (ChecksumError). ConflictError
        for the open draft or the version already published.
        """
        ...

    def discard_draft(self, *, actor: str, reason: str) -> VersionInfo:
        """Close the open draft without publishing it (it becomes superseded; audited).

        ConflictError when there is no open draft.
        """
        ...

    def audit_log(self, *, limit: int = 100, before_id: int | None = None) -> list[AuditRecord]:
        """Audit records, newest first; ``before_id`` pages back."""
        ...

    def report_groups(
        self, *, status: ReportStatus | None = ReportStatus.OPEN, limit: int = 100
    ) -> list[ReportGroup]:
        """Report groups by folded text, most reported first (None: every status)."""
        ...

    def report_group(self, group_id: str) -> ReportGroup:
        """One open-or-resolved group by its id, or by the id of one of its reports."""
        ...

    def resolve_reports(
        self,
        group_id: str,
        resolution: ReportStatus,
        *,
        actor: str,
        reason: str,
        draft: DraftContent | None = None,
    ) -> VersionInfo | None:
        """Mark a group's open reports resolved, audited; with ``draft``, write it too.

        Both happen in one transaction (a promoted term lands in the open
        draft). Returns the new draft's info when ``draft`` is given.
        NotFoundError for an unknown group; ConflictError when it has no open
        report, or as :meth:`write_draft`.
        """
        ...


def is_postgres_location(location: str) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than a SQLite file."""
    return location.startswith(("postgresql://", "postgres://"))


def open_store(
    location: str,
    *,
    report_rate: int = DEFAULT_REPORT_RATE,
    report_window: float = DEFAULT_REPORT_WINDOW,
    connect_timeout: float = 5.0,
) -> Store:
    """Open (creating if needed) the store at ``location`` and apply schema migrations.

    ``postgresql://...`` or ``postgres://...`` opens PostgreSQL; anything else
    is a SQLite file path, created owner-only (0600). ``report_rate`` reports
    per ``report_window`` seconds is the most one reporter may file.
    Raises StoreUnavailableError when the database cannot be reached, and
    StoreError when ``location`` is PostgreSQL and psycopg is not installed.
    """
    if is_postgres_location(location):
        # Imported here: psycopg comes with the postgres extra, which a SQLite install leaves out.
        try:
            from suggestfilter.store._postgres import PostgresStore
        except ImportError as error:
            if (error.name or "").startswith("suggestfilter"):
                raise  # a bug of ours, not a missing extra
            raise StoreError(
                "a postgresql:// store needs the postgres extra: "
                "pip install 'suggestfilter[postgres]'"
            ) from error

        return PostgresStore(
            location,
            report_rate=report_rate,
            report_window=report_window,
            connect_timeout=connect_timeout,
        )
    from suggestfilter.store._sqlite import SqliteStore

    return SqliteStore(
        location,
        report_rate=report_rate,
        report_window=report_window,
        connect_timeout=connect_timeout,
    )


__all__ = [
    "DEFAULT_LOCATION",
    "DEFAULT_REPORT_RATE",
    "DEFAULT_REPORT_WINDOW",
    "AuditRecord",
    "DraftContent",
    "ReportGroup",
    "ReportStatus",
    "StaleDraftError",
    "Store",
    "StoreStatus",
    "VersionInfo",
    "VersionSnapshot",
    "VersionState",
    "is_postgres_location",
    "open_store",
]
