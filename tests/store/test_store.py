"""The versioned term store, the same suite against SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from _net import free_tcp_port
from suggestfilter._errors import (
    ChecksumError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    StoreUnavailableError,
)
from suggestfilter._model import (
    Action,
    CategoryPolicy,
    EntryKind,
    Intervention,
    MatchMode,
    Policy,
    SuggestionKind,
    TermEntry,
)
from suggestfilter.store import (
    DraftContent,
    ReportStatus,
    StaleDraftError,
    Store,
    VersionState,
    _canonical,
    is_postgres_location,
    open_store,
)
from suggestfilter.store._migrations import LATEST

POLICY = Policy(
    categories={
        "profanity": CategoryPolicy(Action.BLOCK, Action.BLOCK),
        "exploitation": CategoryPolicy(
            Action.BLOCK,
            Action.INTERVENE,
            {
                "en": Intervention("Help is available.", "https://example.org/help"),
                "fr": Intervention("De l'aide existe.", "https://example.org/fr"),
            },
        ),
    }
)
BADWORD = TermEntry("badword", "profanity", rule_id="r-bad")
ZORBLAX = TermEntry("zorblax", "exploitation", MatchMode.SUBSTRING, "fr", rule_id="r-zor")
ALLOW_ZORBLAXIAN = TermEntry(
    "zorblaxian", "exploitation", kind=EntryKind.ALLOW, rule_id="r-ok", note="a place"
)


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A fresh store location: a SQLite file in a new directory, or a PostgreSQL schema."""
    if request.param == "sqlite":
        return str(tmp_path / "private" / "terms.db")
    return str(request.getfixturevalue("postgres_dsn"))


@pytest.fixture
def store(location: str) -> Iterator[Store]:
    opened = open_store(location, report_rate=3)
    yield opened
    opened.close()


def raw_execute(location: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run SQL on the database directly, around the store (``?`` placeholders)."""
    if is_postgres_location(location):
        with psycopg.connect(location, autocommit=True) as conn:
            cursor = conn.execute(sql.replace("?", "%s"), params)
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
    conn = sqlite3.connect(location)
    try:
        with conn:
            return [tuple(row) for row in conn.execute(sql, params).fetchall()]
    finally:
        conn.close()


def draft(base: int | None, *entries: TermEntry, reason: str = "test") -> DraftContent:
    return DraftContent(base=base, entries=entries, policy=POLICY, reason=reason)


def published_store(store: Store) -> None:
    """v1 (draft, superseded) -> v2 published."""
    store.write_draft(draft(None), actor="alice")
    store.write_draft(draft(1, BADWORD, ZORBLAX), actor="alice")
    store.publish(2, actor="alice", reason="first list")


# --- opening and schema ---------------------------------------------------------


def test_empty_store_has_nothing_published(store: Store) -> None:
    assert store.published_version() is None
    assert store.load_published() is None
    assert store.list_versions() == []
    status = store.status()
    assert (status.published, status.draft) == (None, None)


def test_migrations_are_recorded_and_reopening_is_idempotent(location: str) -> None:
    open_store(location).close()
    second = open_store(location)
    second.write_draft(draft(None, BADWORD), actor="alice")
    second.close()
    third = open_store(location)
    assert third.version_info(1).term_count == 1
    third.close()
    rows = raw_execute(location, "SELECT version FROM schema_version ORDER BY version")
    assert [row[0] for row in rows] == list(range(1, LATEST + 1))


def test_sqlite_file_and_its_companions_are_owner_only(tmp_path: Any) -> None:
    path = tmp_path / "new-dir" / "terms.db"
    store = open_store(str(path))
    store.write_draft(draft(None, BADWORD), actor="alice")
    created = [p for p in path.parent.iterdir()]
    assert {p.name for p in created} >= {"terms.db", "terms.db-wal", "terms.db-shm"}
    for file in created:
        assert file.stat().st_mode & 0o777 == 0o600, file.name
    assert path.parent.stat().st_mode & 0o777 == 0o700
    store.close()


def test_sqlite_runs_in_wal_mode(tmp_path: Any) -> None:
    path = tmp_path / "terms.db"
    open_store(str(path)).close()
    assert raw_execute(str(path), "PRAGMA journal_mode") == [("wal",)]


_WORKER_SCRIPT = """
import sys
from suggestfilter._model import SuggestionKind
from suggestfilter.store import open_store

store = open_store(sys.argv[1], report_rate=1000)
seen = set()
for n in range(40):
    snapshot = store.load_published()
    if snapshot is not None:
        assert snapshot.info.term_count == len(snapshot.entries)
        seen.add(snapshot.info.number)
    store.add_report(f"badword {n % 3}", SuggestionKind.QUERY, "", "", sys.argv[2])
store.close()
print(len(seen))
"""


def test_worker_processes_read_and_report_while_one_process_publishes(location: str) -> None:
    store = open_store(location)
    published_store(store)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER_SCRIPT, location, f"worker-{n}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    for number in range(3, 13):
        entries = (BADWORD, ZORBLAX) if number % 2 else (BADWORD,)
        store.write_draft(draft(number - 1, *entries), actor="alice")
        store.publish(number, actor="alice", reason=f"round {number}")
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        assert int(out) >= 1
    assert sum(group.count for group in store.report_groups()) == 3 * 40
    assert store.published_version() == 12
    store.close()


def test_sqlite_readers_go_on_while_another_connection_writes(tmp_path: Any) -> None:
    path = str(tmp_path / "terms.db")
    store = open_store(path, connect_timeout=0.2)
    published_store(store)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE store_meta SET value = value WHERE key = 'report_salt'")
    try:
        assert store.published_version() == 2  # WAL: readers are not blocked
        snapshot = store.load_published()
        assert snapshot is not None and len(snapshot.entries) == 2
        with pytest.raises(StoreUnavailableError, match="locked"):  # after busy_timeout
            store.write_draft(draft(2, BADWORD), actor="alice")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert store.write_draft(draft(2, BADWORD), actor="alice").number == 3
    store.close()


# --- versions ---------------------------------------------------------------------


def test_each_change_makes_a_new_draft_version_based_on_the_previous(store: Store) -> None:
    first = store.write_draft(draft(None, reason="policy"), actor="alice")
    second = store.write_draft(draft(1, BADWORD, reason="add badword"), actor="bob")
    assert (first.number, first.base, first.state) == (1, None, VersionState.DRAFT)
    assert (second.number, second.base, second.author, second.reason) == (
        2,
        1,
        "bob",
        "add badword",
    )
    states = {info.number: info.state for info in store.list_versions()}
    assert states == {2: VersionState.DRAFT, 1: VersionState.SUPERSEDED}
    assert store.status().draft == 2
    assert store.published_version() is None


def test_version_content_round_trips_in_canonical_order(store: Store) -> None:
    info = store.write_draft(draft(None, ZORBLAX, ALLOW_ZORBLAXIAN, BADWORD), actor="alice")
    snapshot = store.load_version(info.number)
    assert snapshot.entries == _canonical.canonical_entries([BADWORD, ZORBLAX, ALLOW_ZORBLAXIAN])
    assert snapshot.policy == POLICY
    assert list(snapshot.policy.categories["exploitation"].interventions) == ["en", "fr"]
    assert info.term_count == 3
    assert info.checksum == _canonical.checksum(
        _canonical.canonical_bytes([BADWORD, ZORBLAX, ALLOW_ZORBLAXIAN], POLICY)
    )
    assert info.created_at.tzinfo is not None


def test_checksum_depends_on_content_not_order() -> None:
    one = _canonical.canonical_bytes([BADWORD, ZORBLAX], POLICY)
    other = _canonical.canonical_bytes([ZORBLAX, BADWORD], POLICY)
    changed = _canonical.canonical_bytes([BADWORD, ZORBLAX], Policy())
    assert _canonical.checksum(one) == _canonical.checksum(other)
    assert _canonical.checksum(one) != _canonical.checksum(changed)


@pytest.mark.parametrize(
    ("base", "why"),
    [
        pytest.param(None, "a draft exists: the base must be it", id="draft-exists"),
        pytest.param(7, "no such version", id="unknown-base"),
    ],
)
def test_a_draft_written_from_a_stale_base_is_refused(
    store: Store, base: int | None, why: str
) -> None:
    store.write_draft(draft(None), actor="alice")
    with pytest.raises(StaleDraftError):
        store.write_draft(draft(base, BADWORD), actor="bob")
    assert [info.number for info in store.list_versions()] == [1], why


def test_publish_makes_the_draft_the_published_version(store: Store) -> None:
    published_store(store)
    assert store.published_version() == 2
    snapshot = store.load_published()
    assert snapshot is not None
    assert snapshot.info.state is VersionState.PUBLISHED
    assert {e.rule_id for e in snapshot.entries} == {"r-bad", "r-zor"}
    assert store.status().draft is None


@pytest.mark.parametrize(
    ("number", "error"),
    [
        pytest.param(2, ConflictError, id="already-published-no-draft"),
        pytest.param(1, ConflictError, id="superseded-not-the-draft"),
        pytest.param(99, NotFoundError, id="unknown-version"),
    ],
)
def test_publish_of_anything_but_the_open_draft_is_refused(
    store: Store, number: int, error: type[Exception]
) -> None:
    published_store(store)
    with pytest.raises(error):
        store.publish(number, actor="alice", reason="again")
    assert store.published_version() == 2


def test_publish_of_a_draft_whose_origin_is_no_longer_published_is_refused(
    location: str,
) -> None:
    editor, other = open_store(location), open_store(location)
    published_store(editor)  # v2 published
    editor.write_draft(draft(2, BADWORD, reason="drop zorblax"), actor="alice")  # v3 from v2
    other.rollback(1, actor="bob", reason="emergency")  # v1 published meanwhile
    with pytest.raises(ConflictError, match="has been published since"):
        editor.publish(3, actor="alice", reason="go")
    assert editor.published_version() == 1
    assert editor.status().draft == 3
    assert [r.action for r in editor.audit_log()][:1] == ["rollback"]
    editor.close()
    other.close()


def test_rollback_republishes_an_earlier_version(store: Store) -> None:
    published_store(store)  # v2
    store.write_draft(draft(2, BADWORD), actor="alice")  # v3
    store.publish(3, actor="alice", reason="drop zorblax")
    store.rollback(2, actor="carol", reason="zorblax is needed")
    assert store.published_version() == 2
    states = {info.number: info.state for info in store.list_versions()}
    assert states == {
        3: VersionState.RETIRED,
        2: VersionState.PUBLISHED,
        1: VersionState.SUPERSEDED,
    }


@pytest.mark.parametrize(
    ("number", "error"),
    [
        pytest.param(99, NotFoundError, id="unknown-version"),
        pytest.param(2, ConflictError, id="already-published"),
        pytest.param(3, ConflictError, id="open-draft"),
    ],
)
def test_rollback_refuses_unknown_current_and_draft(
    store: Store, number: int, error: type[Exception]
) -> None:
    published_store(store)
    store.write_draft(draft(2, BADWORD), actor="alice")
    with pytest.raises(error):
        store.rollback(number, actor="alice", reason="x")
    assert store.published_version() == 2


def test_discard_closes_the_draft(store: Store) -> None:
    published_store(store)
    store.write_draft(draft(2), actor="alice")
    discarded = store.discard_draft(actor="alice", reason="mistake")
    assert discarded.number == 3
    assert store.status().draft is None
    assert store.version_info(3).state is VersionState.SUPERSEDED
    with pytest.raises(ConflictError):
        store.discard_draft(actor="alice", reason="again")


def test_unknown_version_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.load_version(42)
    with pytest.raises(NotFoundError):
        store.version_info(42)


# --- integrity ----------------------------------------------------------------------


def _corrupt_content(location: str, number: int) -> None:
    other = _canonical.encode([TermEntry("harmless", "profanity", rule_id="r-bad")], POLICY)[0]
    raw_execute(location, "UPDATE versions SET content = ? WHERE number = ?", (other, number))


def _corrupt_checksum(location: str, number: int) -> None:
    raw_execute(location, "UPDATE versions SET checksum = ? WHERE number = ?", ("0" * 64, number))


def _corrupt_bytes(location: str, number: int) -> None:
    raw_execute(location, "UPDATE versions SET content = ? WHERE number = ?", (b"garbage", number))


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(_corrupt_content, id="changed-content"),
        pytest.param(_corrupt_checksum, id="wrong-checksum"),
        pytest.param(_corrupt_bytes, id="garbage-bytes"),
    ],
)
def test_a_corrupted_version_raises_checksum_error_on_load(
    location: str, store: Store, corrupt: Any
) -> None:
    published_store(store)
    corrupt(location, 2)
    with pytest.raises(ChecksumError):
        store.load_version(2)
    with pytest.raises(ChecksumError):
        store.load_published()


def test_a_corrupted_draft_is_never_published_or_rolled_back_to(
    location: str, store: Store
) -> None:
    published_store(store)
    store.write_draft(draft(2, BADWORD), actor="alice")
    _corrupt_content(location, 3)
    _corrupt_content(location, 1)
    with pytest.raises(ChecksumError):
        store.publish(3, actor="alice", reason="go")
    with pytest.raises(ChecksumError):
        store.rollback(1, actor="alice", reason="go")
    assert store.published_version() == 2


# --- audit --------------------------------------------------------------------------


def test_every_action_is_audited_with_actor_time_and_reason(store: Store) -> None:
    store.write_draft(draft(None, BADWORD, reason="initial list"), actor="alice")
    store.publish(1, actor="bob", reason="reviewed")
    store.write_draft(draft(1, reason="oops"), actor="carol")
    store.discard_draft(actor="carol", reason="wrong")
    records = store.audit_log()
    assert [(r.action, r.actor, r.reason, r.version) for r in records] == [
        ("discard", "carol", "wrong", 2),
        ("change", "carol", "oops", 2),
        ("publish", "bob", "reviewed", 1),
        ("change", "alice", "initial list", 1),
    ]
    assert all(r.at.tzinfo is not None for r in records)
    assert store.audit_log(limit=1, before_id=records[1].id) == [records[2]]


# --- reports --------------------------------------------------------------------------


def test_reports_group_by_folded_text_with_counts(location: str, store: Store) -> None:
    store.add_report("#BadWord", SuggestionKind.HASHTAG, "en-GB", "offensive", "user-1")
    store.add_report("BADWORD", SuggestionKind.QUERY, "", "offensive", "user-2")
    store.add_report("badword", SuggestionKind.QUERY, "fr", "spam", "user-2")
    store.add_report("zorblax", SuggestionKind.QUERY, "", "abuse", "user-3")
    groups = store.report_groups()
    assert [(g.count, g.reporters) for g in groups] == [(3, 2), (1, 1)]
    top = groups[0]
    assert top.text == "badword"
    assert top.locales == ("", "en-GB", "fr")
    assert top.reasons == ("offensive", "spam")
    assert top.kinds == (SuggestionKind.QUERY, SuggestionKind.HASHTAG)
    assert top.status is ReportStatus.OPEN


def test_reports_keep_only_a_salted_hash_of_the_reporter(location: str, store: Store) -> None:
    store.add_report("badword", SuggestionKind.QUERY, "", "offensive", "alice@example.org")
    rows = raw_execute(location, "SELECT * FROM reports")
    assert "alice@example.org" not in repr(rows)
    salt = raw_execute(location, "SELECT value FROM store_meta WHERE key = 'report_salt'")
    assert len(salt[0][0]) == 64


def test_a_reporter_over_the_rate_is_limited(store: Store) -> None:
    for _ in range(3):
        store.add_report("badword", SuggestionKind.QUERY, "", "", "noisy")
    with pytest.raises(RateLimitedError):
        store.add_report("badword", SuggestionKind.QUERY, "", "", "noisy")
    store.add_report("badword", SuggestionKind.QUERY, "", "", "quiet")
    assert store.report_groups()[0].count == 4


def test_dismissing_a_group_closes_its_open_reports(store: Store) -> None:
    report_id = store.add_report("badword", SuggestionKind.QUERY, "", "", "user-1")
    store.add_report("BadWord", SuggestionKind.QUERY, "", "", "user-2")
    store.resolve_reports(report_id, ReportStatus.DISMISSED, actor="alice", reason="benign")
    assert store.report_groups() == []
    dismissed = store.report_groups(status=ReportStatus.DISMISSED)
    assert [(g.count, g.status) for g in dismissed] == [(2, ReportStatus.DISMISSED)]
    with pytest.raises(ConflictError):
        store.resolve_reports(
            dismissed[0].group_id, ReportStatus.DISMISSED, actor="alice", reason="again"
        )
    with pytest.raises(NotFoundError):
        store.resolve_reports("g-unknown", ReportStatus.DISMISSED, actor="alice", reason="x")
    assert store.audit_log()[0].action == "report-dismiss"


def test_promoting_a_group_writes_the_draft_in_the_same_transaction(store: Store) -> None:
    store.add_report("badword", SuggestionKind.QUERY, "", "", "user-1")
    group = store.report_groups()[0]
    with pytest.raises(StaleDraftError):  # stale base: nothing resolved, nothing written
        store.resolve_reports(
            group.group_id,
            ReportStatus.PROMOTED,
            actor="alice",
            reason="bad",
            draft=draft(5, BADWORD),
        )
    assert store.report_groups()[0].count == 1
    assert store.list_versions() == []
    info = store.resolve_reports(
        group.group_id,
        ReportStatus.PROMOTED,
        actor="alice",
        reason="bad",
        draft=draft(None, BADWORD),
    )
    assert info is not None and info.state is VersionState.DRAFT
    assert store.report_groups() == []
    assert store.audit_log()[0].action == "report-promote"


# --- availability and change notification -----------------------------------------------


def test_unreachable_postgres_is_store_unavailable() -> None:
    dsn = f"postgresql://postgres@127.0.0.1:{free_tcp_port()}/test"
    with pytest.raises(StoreUnavailableError, match="unavailable"):
        open_store(dsn, connect_timeout=2)


def test_unopenable_sqlite_path_is_store_unavailable(tmp_path: Any) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(StoreUnavailableError):
        open_store(str(blocker / "terms.db"))


@pytest.mark.postgres
def test_a_dead_postgres_connection_fails_clearly_and_reconnects(postgres_dsn: str) -> None:
    store = open_store(postgres_dsn)
    published_store(store)
    backend_pid = store._conn.info.backend_pid  # type: ignore[attr-defined]
    assert raw_execute(postgres_dsn, "SELECT pg_terminate_backend(?)", (backend_pid,)) == [(True,)]
    with pytest.raises(StoreUnavailableError, match=r"PostgreSQL at \S+ is unavailable"):
        store.write_draft(draft(2, BADWORD), actor="alice")
    assert store.published_version() == 2  # reconnected; nothing half-written
    assert store.status().draft is None
    store.close()


@pytest.mark.postgres
def test_postgres_wait_for_change_returns_on_publish(postgres_dsn: str) -> None:
    watcher, editor = open_store(postgres_dsn), open_store(postgres_dsn)
    assert watcher.wait_for_change(0.01) is False  # starts listening
    published_store(editor)
    assert watcher.wait_for_change(60) is True
    assert watcher.published_version() == 2
    done = threading.Event()

    def rollback_later() -> None:
        editor.rollback(1, actor="bob", reason="undo")
        done.set()

    thread = threading.Thread(target=rollback_later)
    thread.start()
    assert watcher.wait_for_change(60) is True
    thread.join()
    assert done.is_set()
    watcher.close()
    editor.close()


def test_sqlite_wait_for_change_sleeps_and_reports_no_notification(tmp_path: Any) -> None:
    store = open_store(str(tmp_path / "terms.db"))
    assert store.wait_for_change(0.01) is False
    store.close()
