"""Whatever the admin API accepts, ``terms export`` and ``policy export`` write files that
``policy import`` and ``terms import`` read back equal; what it refuses is INVALID_ARGUMENT
naming the field, and nothing is stored.

A real admin server on loopback over SQLite is driven with raw gRPC requests
(so the wire is what is tested); the real CLI, in subprocesses, exports from it
(``--target``) and imports into a fresh store (``--db``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2
from grpc_status import rpc_status
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
from suggestfilter.admin._auth import Role, TokenRegistry
from suggestfilter.admin._client import RemoteAdmin
from suggestfilter.admin._ops import AdminOps
from suggestfilter.admin._server import create_admin_server
from suggestfilter.store import open_store
from suggestfilter.v1 import admin_pb2, admin_pb2_grpc, filter_pb2

TOKEN = "editor-token-for-round-trips"
METADATA = (("authorization", f"Bearer {TOKEN}"),)

WORD, SUBSTRING = admin_pb2.MATCH_MODE_WORD, admin_pb2.MATCH_MODE_SUBSTRING
BLOCK_KIND, ALLOW_KIND = admin_pb2.ENTRY_KIND_BLOCK, admin_pb2.ENTRY_KIND_ALLOW
ALLOW, BLOCK, INTERVENE = (
    filter_pb2.ACTION_ALLOW,
    filter_pb2.ACTION_BLOCK,
    filter_pb2.ACTION_INTERVENE,
)

LONG_CATEGORY = "c" * 64

# --- tricky but valid: (category policy as sent, the name and policy stored) ----------------

VALID_CATEGORIES = [
    pytest.param(
        admin_pb2.CategoryPolicy(category="profanity", suggestions=BLOCK, query=BLOCK),
        ("profanity", CategoryPolicy(Action.BLOCK, Action.BLOCK)),
        id="plain",
    ),
    pytest.param(
        admin_pb2.CategoryPolicy(category="-", suggestions=ALLOW, query=ALLOW),
        ("-", CategoryPolicy(Action.ALLOW, Action.ALLOW)),
        id="name-a-lone-dash",
    ),
    pytest.param(
        admin_pb2.CategoryPolicy(category="_"),
        ("_", CategoryPolicy(Action.BLOCK, Action.BLOCK)),
        id="name-underscore-actions-unspecified",
    ),
    pytest.param(
        admin_pb2.CategoryPolicy(category="2026", suggestions=BLOCK, query=ALLOW),
        ("2026", CategoryPolicy(Action.BLOCK, Action.ALLOW)),
        id="name-digits-only",
    ),
    pytest.param(
        admin_pb2.CategoryPolicy(category=" A-b_9 ", suggestions=BLOCK, query=BLOCK),
        ("A-b_9", CategoryPolicy(Action.BLOCK, Action.BLOCK)),
        id="name-mixed-stripped",
    ),
    pytest.param(
        admin_pb2.CategoryPolicy(category=LONG_CATEGORY, suggestions=BLOCK, query=BLOCK),
        (LONG_CATEGORY, CategoryPolicy(Action.BLOCK, Action.BLOCK)),
        id="name-64-characters",
    ),
    pytest.param(
        admin_pb2.CategoryPolicy(
            category="exploitation",
            suggestions=BLOCK,
            query=INTERVENE,
            interventions=[
                admin_pb2.LocalizedIntervention(
                    language="FR",
                    message=' Il existe de l\'aide "confidentielle".\nLigne 2\t\\ \x00 \x7f ',
                    help_url="https://example.org/aide?a=1&b=\u00e9#x",
                ),
                admin_pb2.LocalizedIntervention(language="en", message="Help \U0001f91d \u4e2d"),
                admin_pb2.LocalizedIntervention(
                    language="fil", message="x = [y]", help_url="mailto:help@example.org"
                ),
            ],
        ),
        (
            "exploitation",
            CategoryPolicy(
                Action.BLOCK,
                Action.INTERVENE,
                {
                    "fr": Intervention(
                        ' Il existe de l\'aide "confidentielle".\nLigne 2\t\\ \x00 \x7f ',
                        "https://example.org/aide?a=1&b=\u00e9#x",
                    ),
                    "en": Intervention("Help \U0001f91d \u4e2d"),
                    "fil": Intervention("x = [y]", "mailto:help@example.org"),
                },
            ),
        ),
        id="intervene-odd-messages-language-order-and-case",
    ),
]

# --- tricky but valid: (entry as sent, entry stored; rule id None = a fresh one) --------------


def _sent(term: str, category: str = "profanity", **fields: Any) -> admin_pb2.TermEntry:
    return admin_pb2.TermEntry(term=term, category=category, **fields)


def _stored(term: str, category: str = "profanity", **fields: Any) -> TermEntry:
    return TermEntry(term=term, category=category, **fields)


VALID_ENTRIES = [
    pytest.param(_sent("badword", rule_id="r-1"), _stored("badword", rule_id="r-1"), id="plain"),
    pytest.param(
        _sent('bad, "word"', rule_id="r-2"),
        _stored('bad, "word"', rule_id="r-2"),
        id="term-comma-and-quotes",
    ),
    pytest.param(
        _sent("#badword", rule_id="r-3"), _stored("#badword", rule_id="r-3"), id="term-hashtag"
    ),
    pytest.param(
        _sent("badword \U0001f595\U0001f3fd", "-", rule_id="r-4"),
        _stored("badword \U0001f595\U0001f3fd", "-", rule_id="r-4"),
        id="term-with-emoji-skin-tone",
    ),
    pytest.param(
        _sent("b\u00e4dw\u00f6rd \u4e2d\u6587 \u0627\u0644", rule_id="r-5"),
        _stored("b\u00e4dw\u00f6rd \u4e2d\u6587 \u0627\u0644", rule_id="r-5"),
        id="term-non-latin-scripts",
    ),
    pytest.param(
        _sent("bad\u200bword\u00ad2 \\=", rule_id="r-6"),
        _stored("bad\u200bword\u00ad2 \\=", rule_id="r-6"),
        id="term-invisible-characters-backslash",
    ),
    pytest.param(
        _sent("  zorblax\u3000", rule_id="r-7"),
        _stored("zorblax", rule_id="r-7"),
        id="term-stripped",
    ),
    pytest.param(
        _sent("b" * 511 + "x", rule_id="r-8"),
        _stored("b" * 511 + "x", rule_id="r-8"),
        id="term-512-characters",
    ),
    pytest.param(
        _sent("qwzzyx", "A-b_9", match=SUBSTRING, kind=ALLOW_KIND, rule_id="r-9"),
        _stored("qwzzyx", "A-b_9", match=MatchMode.SUBSTRING, kind=EntryKind.ALLOW, rule_id="r-9"),
        id="substring-allow",
    ),
    pytest.param(
        _sent("glorbnak", LONG_CATEGORY, locale="FR", rule_id="r-10"),
        _stored("glorbnak", LONG_CATEGORY, locale="fr", rule_id="r-10"),
        id="locale-upper-case-lowered",
    ),
    pytest.param(
        _sent("glorbnak", "2026", locale=" fil ", rule_id="r-11"),
        _stored("glorbnak", "2026", locale="fil", rule_id="r-11"),
        id="locale-three-letters-stripped",
    ),
    pytest.param(
        _sent("frobnitz", "_", rule_id=" r.12:x_Y-9 "),
        _stored("frobnitz", "_", rule_id="r.12:x_Y-9"),
        id="rule-id-punctuation-stripped",
    ),
    pytest.param(
        _sent("frobnitz", "exploitation", rule_id="r" * 64),
        _stored("frobnitz", "exploitation", rule_id="r" * 64),
        id="rule-id-64-characters",
    ),
    pytest.param(
        _sent("snorkelmoo", " exploitation "), _stored("snorkelmoo", "exploitation"), id="fresh-id"
    ),
    pytest.param(
        _sent(
            "quuxly",
            rule_id="r-15",
            note=' a "note", #1\r\nline 2\rlone CR\n\x00\ttab =[x] ',
        ),
        _stored(
            "quuxly",
            rule_id="r-15",
            note=' a "note", #1\r\nline 2\rlone CR\n\x00\ttab =[x] ',
        ),
        id="note-kept-exactly",
    ),
    pytest.param(
        _sent("blarg", rule_id="r-16", note="n" * 4096),
        _stored("blarg", rule_id="r-16", note="n" * 4096),
        id="note-4096-characters",
    ),
]


def _params(table: list[Any]) -> list[tuple[Any, Any]]:
    return [tuple(param.values) for param in table]


def _stub(channel: grpc.Channel) -> Any:
    return admin_pb2_grpc.TermAdminServiceStub(channel)  # type: ignore[no-untyped-call]


class _Server:
    """An admin server on loopback over a fresh SQLite store, with one editor token."""

    def __init__(self, db: Path) -> None:
        self.db = db
        tokens = TokenRegistry.from_tokens([("alice", Role.EDITOR, TOKEN)])
        self.server, port = create_admin_server("127.0.0.1:0", str(db), tokens=tokens)
        self.server.start()
        self.target = f"127.0.0.1:{port}"
        self.channel = grpc.insecure_channel(self.target)
        self.stub = _stub(self.channel)

    def stop(self) -> None:
        self.channel.close()
        self.server.stop(None).wait()


def _cli(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "suggestfilter", "--log-level", "WARNING", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SUGGESTFILTER_TOKEN": TOKEN},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@dataclass(frozen=True)
class RoundTrip:
    """What the admin API stored, and what the exported files imported into a fresh store."""

    stored_entries: list[TermEntry]
    stored_policy: Policy
    imported_entries: list[TermEntry]
    imported_policy: Policy


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoundTrip]:
    tmp = tmp_path_factory.mktemp("round-trip")
    server = _Server(tmp / "served.db")
    try:
        server.stub.ApplyChanges(
            admin_pb2.ApplyChangesRequest(
                set_policies=[sent for sent, _ in _params(VALID_CATEGORIES)],
                add=[sent for sent, _ in _params(VALID_ENTRIES)],
                reason="tricky values",
            ),
            metadata=METADATA,
            timeout=30,
        )
        server.stub.Publish(admin_pb2.PublishRequest(), metadata=METADATA, timeout=30)
        with RemoteAdmin(server.target, TOKEN, timeout=30) as admin:
            stored_entries, stored_policy = admin.entries(), admin.policy()
        _cli("terms", "export", "--target", server.target, "-o", str(tmp / "terms.csv"))
        _cli("policy", "export", "--target", server.target, "-o", str(tmp / "policy.toml"))
    finally:
        server.stop()
    copy = str(tmp / "imported.db")
    _cli("policy", "import", "--db", copy, str(tmp / "policy.toml"))
    _cli("terms", "import", "--db", copy, str(tmp / "terms.csv"))
    with AdminOps(open_store(copy), actor="test") as ops:
        imported_entries, imported_policy = ops.entries(), ops.policy()
    yield RoundTrip(stored_entries, stored_policy, imported_entries, imported_policy)


def test_export_then_import_gives_the_same_entries_and_policy(round_trip: RoundTrip) -> None:
    assert len(round_trip.stored_entries) == len(VALID_ENTRIES)
    assert round_trip.imported_entries == round_trip.stored_entries
    assert round_trip.imported_policy == round_trip.stored_policy
    for name, category in round_trip.stored_policy.categories.items():
        imported = round_trip.imported_policy.categories[name]
        assert list(imported.interventions) == list(category.interventions)


@pytest.mark.parametrize(("sent", "expected"), VALID_ENTRIES)
def test_each_accepted_entry_is_stored_normalised_and_round_trips(
    round_trip: RoundTrip, sent: admin_pb2.TermEntry, expected: TermEntry
) -> None:
    (stored,) = [
        e
        for e in round_trip.stored_entries
        if e.term == expected.term and (e.category == expected.category)
    ]
    if not sent.rule_id:
        assert stored.rule_id.startswith("r-")
        expected = replace(expected, rule_id=stored.rule_id)
    assert stored == expected
    assert expected in round_trip.imported_entries


@pytest.mark.parametrize(("sent", "expected"), VALID_CATEGORIES)
def test_each_accepted_policy_is_stored_normalised_and_round_trips(
    round_trip: RoundTrip, sent: admin_pb2.CategoryPolicy, expected: tuple[str, CategoryPolicy]
) -> None:
    name, category = expected
    for policy in (round_trip.stored_policy, round_trip.imported_policy):
        assert policy.categories[name] == category
        assert list(policy.categories[name].interventions) == list(category.interventions)


# --- refused: INVALID_ARGUMENT naming the field, nothing stored ----------------------------------

GOOD = _sent("badword", rule_id="r-good")
HELP = admin_pb2.LocalizedIntervention(language="en", message="Help is available.")


def _apply(**fields: Any) -> Callable[[Any], Any]:
    request = admin_pb2.ApplyChangesRequest(**fields)
    return lambda stub: stub.ApplyChanges(request, metadata=METADATA, timeout=30)


def _add_terms(*batches: list[admin_pb2.TermEntry]) -> Callable[[Any], Any]:
    def call(stub: Any) -> Any:
        requests = iter([admin_pb2.AddTermsRequest(entries=batch) for batch in batches])
        return stub.AddTerms(requests, metadata=METADATA, timeout=30)

    return call


def _import_policy(*categories: admin_pb2.CategoryPolicy) -> Callable[[Any], Any]:
    request = admin_pb2.ImportPolicyRequest(policy=admin_pb2.Policy(categories=categories))
    return lambda stub: stub.ImportPolicy(request, metadata=METADATA, timeout=30)


PROFANITY = admin_pb2.CategoryPolicy(category="profanity", suggestions=BLOCK, query=BLOCK)

REFUSED = [
    pytest.param(
        _apply(add=[GOOD, _sent("zorblax"), _sent("glorbnak", "bad name!")]),
        "add[2].category",
        id="category-bad-name",
    ),
    pytest.param(
        _apply(add=[_sent("badword", locale="FR-ca")]), "add[0].locale", id="locale-region"
    ),
    pytest.param(_apply(add=[_sent("badword", locale="f")]), "add[0].locale", id="locale-short"),
    pytest.param(
        _apply(add=[_sent("badword", rule_id="r 1")]), "add[0].rule_id", id="rule-id-space"
    ),
    pytest.param(
        _apply(add=[_sent("badword", rule_id="r,1")]), "add[0].rule_id", id="rule-id-comma"
    ),
    pytest.param(_apply(add=[_sent("bad\nword")]), "add[0].term", id="term-line-break"),
    pytest.param(_apply(add=[_sent("!!!")]), "add[0].term", id="term-folds-to-nothing"),
    pytest.param(_apply(add=[_sent(" ")]), "add[0].term", id="term-blank"),
    pytest.param(_apply(add=[_sent("b" * 513)]), "add[0].term", id="term-too-long"),
    pytest.param(_apply(add=[_sent("badword", note="n" * 4097)]), "add[0].note", id="note-long"),
    pytest.param(_apply(add=[_sent("badword", match=7)]), "add[0].match", id="match-unknown"),
    pytest.param(
        _add_terms([GOOD], [_sent("zorblax", "bad name!")]),
        "entries[1].category",
        id="add-terms-stream-category",
    ),
    pytest.param(
        _apply(set_policies=[admin_pb2.CategoryPolicy(category="bad name!")]),
        "set_policies[0].category",
        id="policy-bad-name",
    ),
    pytest.param(
        _apply(set_policies=[admin_pb2.CategoryPolicy(category="p", suggestions=INTERVENE)]),
        "set_policies[0].suggestions",
        id="policy-suggestions-intervene",
    ),
    pytest.param(
        _apply(set_policies=[admin_pb2.CategoryPolicy(category="p", query=INTERVENE)]),
        "set_policies[0].interventions",
        id="policy-intervene-without-message",
    ),
    pytest.param(
        _apply(
            set_policies=[
                admin_pb2.CategoryPolicy(
                    category="p",
                    interventions=[
                        HELP,
                        admin_pb2.LocalizedIntervention(language="en-GB", message="Help."),
                    ],
                )
            ]
        ),
        "set_policies[0].interventions[1].language",
        id="policy-language-region",
    ),
    pytest.param(
        _apply(
            set_policies=[
                admin_pb2.CategoryPolicy(
                    category="p",
                    interventions=[
                        HELP,
                        admin_pb2.LocalizedIntervention(language="EN", message="x"),
                    ],
                )
            ]
        ),
        "set_policies[0].interventions[1].language",
        id="policy-language-twice-in-two-cases",
    ),
    pytest.param(
        _import_policy(PROFANITY, admin_pb2.CategoryPolicy(category="bad name!")),
        "policy.categories[1].category",
        id="import-policy-bad-name",
    ),
    pytest.param(
        _import_policy(
            admin_pb2.CategoryPolicy(
                category="profanity",
                interventions=[admin_pb2.LocalizedIntervention(language="en", message=" \n")],
            )
        ),
        "policy.categories[0].interventions[0].message",
        id="import-policy-blank-message",
    ),
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Server]:
    server = _Server(tmp_path_factory.mktemp("refused") / "store.db")
    try:
        _import_policy(PROFANITY)(server.stub)
        _add_terms([GOOD])(server.stub)
        yield server
    finally:
        server.stop()


def _refused_field(error: grpc.RpcError) -> str:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None and status.code == code_pb2.INVALID_ARGUMENT
    bad_request = error_details_pb2.BadRequest()
    (detail,) = [d for d in status.details if d.Is(error_details_pb2.BadRequest.DESCRIPTOR)]
    assert detail.Unpack(bad_request)
    (violation,) = bad_request.field_violations
    message = error.details() or ""  # type: ignore[attr-defined]
    assert message.startswith(f"{violation.field}: ")
    return str(violation.field)


def _content(stub: Any) -> tuple[Any, ...]:
    versions = stub.ListVersions(admin_pb2.ListVersionsRequest(), metadata=METADATA, timeout=30)
    entries = stub.ListEntries(admin_pb2.ListEntriesRequest(), metadata=METADATA, timeout=30)
    policy = stub.GetPolicy(admin_pb2.GetPolicyRequest(), metadata=METADATA, timeout=30)
    return versions, [e for batch in entries for e in batch.entries], policy


@pytest.mark.parametrize(("call", "field"), REFUSED)
def test_refused_values_are_invalid_argument_naming_the_field_and_store_nothing(
    seeded: _Server, call: Callable[[Any], Any], field: str
) -> None:
    before = _content(seeded.stub)
    with pytest.raises(grpc.RpcError) as raised:
        call(seeded.stub)
    assert _refused_field(raised.value) == field
    assert _content(seeded.stub) == before


def test_a_promoted_report_is_checked_like_any_entry(seeded: _Server) -> None:
    store = open_store(str(seeded.db))
    try:
        store.add_report("#Sploink", SuggestionKind.HASHTAG, "en", "abuse", "u1")
    finally:
        store.close()
    (group,) = seeded.stub.ListReportGroups(
        admin_pb2.ListReportGroupsRequest(), metadata=METADATA, timeout=30
    ).groups
    before = _content(seeded.stub)
    for fields, field in [
        ({"category": "bad name!"}, "category"),
        ({"category": "profanity", "locale": "FR-ca"}, "locale"),
        ({"category": "profanity", "term": "!!!"}, "term"),
    ]:
        request = admin_pb2.ResolveReportRequest(
            group_id=group.group_id, decision=admin_pb2.REPORT_STATUS_PROMOTED, **fields
        )
        with pytest.raises(grpc.RpcError) as raised:
            seeded.stub.ResolveReport(request, metadata=METADATA, timeout=30)
        assert _refused_field(raised.value) == field
    assert _content(seeded.stub) == before
