"""AdminOps: the safety team's operations, on real SQLite and PostgreSQL stores."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from suggestfilter._errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PolicyError,
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
from suggestfilter.admin._ops import AdminOps, ChangeSet, Sample, parse_samples
from suggestfilter.lists._termfile import format_terms_csv, parse_term_text
from suggestfilter.store import (
    DraftContent,
    ReportStatus,
    Store,
    VersionInfo,
    VersionState,
    open_store,
)

POLICY = Policy(
    categories={
        "profanity": CategoryPolicy(Action.BLOCK, Action.BLOCK),
        "exploitation": CategoryPolicy(
            Action.BLOCK, Action.INTERVENE, {"en": Intervention("Help is available.")}
        ),
    }
)
BADWORD = TermEntry("badword", "profanity", rule_id="r-bad")
ZORBLAX = TermEntry("zorblax", "exploitation", rule_id="r-zor")
QWZZYX = TermEntry("qwzzyx", "exploitation", MatchMode.SUBSTRING, rule_id="r-qw")
ALLOW_QWZZYXOLOGY = TermEntry("qwzzyxology", "exploitation", kind=EntryKind.ALLOW, rule_id="r-ok")


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "terms.db")
    return str(request.getfixturevalue("postgres_dsn"))


@pytest.fixture
def admin(location: str) -> Iterator[AdminOps]:
    with AdminOps(open_store(location), actor="alice") as ops:
        yield ops


def publish_initial(admin: AdminOps) -> VersionInfo:
    admin.import_policy(POLICY, reason="policy")
    admin.add_terms([BADWORD, ZORBLAX], reason="initial")
    return admin.publish(reason="go")


# --- the one open draft ---------------------------------------------------------


def test_changes_accumulate_in_one_draft_until_published(admin: AdminOps) -> None:
    first = admin.import_policy(POLICY, reason="policy").version
    second = admin.add_terms([BADWORD], reason="add").version
    third = admin.add_terms([ZORBLAX], reason="add more").version
    assert (first.number, second.base, third.base) == (1, 1, 2)
    assert admin.status().draft == 3
    assert {e.rule_id for e in admin.entries()} == {"r-bad", "r-zor"}
    published = admin.publish(reason="reviewed")
    assert published.number == 3
    assert admin.status().draft is None
    fourth = admin.remove_terms(["r-zor"], reason="drop").version
    assert (fourth.base, fourth.state) == (3, VersionState.DRAFT)
    assert [e.rule_id for e in admin.entries(3)] == ["r-zor", "r-bad"]  # canonical order
    assert [e.rule_id for e in admin.entries()] == ["r-bad"]


@pytest.mark.parametrize(
    ("add", "counts"),
    [
        pytest.param([BADWORD], (0, 0, 1), id="same entry again is unchanged"),
        pytest.param(
            [TermEntry("badword", "profanity", rule_id="r-other")],
            (0, 0, 1),
            id="same term+category+kind+locale+match under a new id is unchanged",
        ),
        pytest.param(
            [TermEntry("badword", "profanity", MatchMode.SUBSTRING, rule_id="r-bad")],
            (0, 1, 0),
            id="same rule id with new content is an update",
        ),
        pytest.param(
            [TermEntry("badword", "profanity", locale="fr", rule_id="r-fr")],
            (1, 0, 0),
            id="another locale is a new entry",
        ),
        pytest.param([QWZZYX, ALLOW_QWZZYXOLOGY], (2, 0, 0), id="new entries are added"),
    ],
)
def test_adding_entries(admin: AdminOps, add: list[TermEntry], counts: tuple[int, ...]) -> None:
    publish_initial(admin)
    result = admin.add_terms(add, reason="add")
    assert (result.added, result.updated, result.unchanged) == counts
    assert result.version.term_count == 2 + counts[0]


@pytest.mark.parametrize(
    ("names", "left"),
    [
        pytest.param(["r-bad"], {"r-zor"}, id="rule-id"),
        pytest.param(["zorblax"], {"r-bad"}, id="term"),
        pytest.param(["badword", "r-zor"], set(), id="term-and-rule-id"),
    ],
)
def test_removing_entries_by_rule_id_or_term(
    admin: AdminOps, names: list[str], left: set[str]
) -> None:
    publish_initial(admin)
    admin.remove_terms(names, reason="remove")
    assert {e.rule_id for e in admin.entries()} == left


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        pytest.param(ChangeSet(remove=("nothing-like-this",)), NotFoundError, id="remove-unknown"),
        pytest.param(
            ChangeSet(add=(TermEntry("glorp", "spam"),)), PolicyError, id="category-not-in-policy"
        ),
        pytest.param(
            ChangeSet(add=(TermEntry("  ", "profanity"),)), InvalidInputError, id="blank-term"
        ),
        pytest.param(
            ChangeSet(add=(BADWORD, TermEntry("glorp", "bad name!"))),
            InvalidInputError,
            id="bad-category-name-after-a-good-entry",
        ),
        pytest.param(
            ChangeSet(set_policies=(("p", CategoryPolicy(Action.BLOCK, Action.INTERVENE)),)),
            InvalidInputError,
            id="intervene-without-message",
        ),
        pytest.param(
            ChangeSet(remove_categories=("profanity",)), PolicyError, id="remove-used-category"
        ),
        pytest.param(
            ChangeSet(remove_categories=("spam",)), NotFoundError, id="remove-unknown-category"
        ),
    ],
)
def test_a_bad_change_stores_nothing(
    admin: AdminOps, changes: ChangeSet, error: type[Exception]
) -> None:
    publish_initial(admin)
    before = admin.versions()
    with pytest.raises(error):
        admin.apply_changes(changes, reason="bad")
    assert admin.versions() == before


BAD_VALUES = [
    pytest.param(
        lambda ops: ops.add_terms([BADWORD, TermEntry("glorp", "p", locale="FR-ca")], reason="x"),
        "entries[1].locale",
        id="add-terms-locale-region",
    ),
    pytest.param(
        lambda ops: ops.apply_changes(
            ChangeSet(add=(TermEntry("glorp", "profanity", rule_id="r 1"),)), reason="x"
        ),
        "add[0].rule_id",
        id="apply-changes-rule-id-space",
    ),
    pytest.param(
        lambda ops: ops.apply_changes(
            ChangeSet(set_policies=(("p", CategoryPolicy(Action.INTERVENE)),)), reason="x"
        ),
        "set_policies[0].suggestions",
        id="apply-changes-suggestions-intervene",
    ),
    pytest.param(
        lambda ops: ops.import_policy(
            Policy({**POLICY.categories, "bad name!": CategoryPolicy()}), reason="x"
        ),
        "policy.categories[2].category",
        id="import-policy-bad-name",
    ),
]


@pytest.mark.parametrize(("call", "field"), BAD_VALUES)
def test_bad_values_are_refused_naming_the_field(
    admin: AdminOps, call: Callable[[AdminOps], object], field: str
) -> None:
    publish_initial(admin)
    before = admin.versions()
    with pytest.raises(InvalidInputError) as raised:
        call(admin)
    assert raised.value.field == field
    assert admin.versions() == before


def test_what_is_stored_is_normalised(admin: AdminOps) -> None:
    publish_initial(admin)
    admin.add_terms(
        [TermEntry(" glorp ", " profanity ", locale="FR", rule_id=" r-glorp ")], reason="x"
    )
    assert TermEntry("glorp", "profanity", locale="fr", rule_id="r-glorp") in admin.entries()


def test_policy_edits_are_part_of_the_draft(admin: AdminOps) -> None:
    publish_initial(admin)
    spam = CategoryPolicy(Action.BLOCK, Action.ALLOW)
    result = admin.apply_changes(
        ChangeSet(set_policies=(("spam", spam),), add=(TermEntry("glorp", "spam"),)),
        reason="new category",
    )
    assert (result.added, result.policies_changed) == (1, 1)
    assert admin.policy().categories["spam"] == spam
    assert "spam" not in admin.policy(admin.status().published).categories


def test_policy_import_that_drops_a_used_category_is_refused(admin: AdminOps) -> None:
    publish_initial(admin)
    with pytest.raises(PolicyError, match="profanity"):
        admin.import_policy(
            Policy(categories={"exploitation": POLICY.categories["exploitation"]}), reason="x"
        )


class _InterleavingStore:
    """A real store that lets another writer change the draft just before our first write."""

    def __init__(self, store: Store, other: AdminOps) -> None:
        self._store = store
        self._other = other
        self.interleaved = 0

    def write_draft(self, content: DraftContent, *, actor: str) -> VersionInfo:
        if not self.interleaved:
            self.interleaved += 1
            self._other.add_terms([QWZZYX], reason="meanwhile")
        return self._store.write_draft(content, actor=actor)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_a_change_racing_another_writer_is_retried_on_the_new_draft(location: str) -> None:
    with AdminOps(open_store(location), actor="bob") as other:
        other.import_policy(POLICY, reason="policy")
        racing = _InterleavingStore(open_store(location), other)
        with AdminOps(racing, actor="alice") as alice:  # type: ignore[arg-type]
            result = alice.add_terms([BADWORD], reason="mine")
        assert racing.interleaved == 1
        assert result.version.number == 3
        assert {e.rule_id for e in other.entries()} == {"r-bad", "r-qw"}


# --- publish and rollback -----------------------------------------------------------


def test_publish_without_a_draft_or_with_the_wrong_expectation_is_refused(
    admin: AdminOps,
) -> None:
    with pytest.raises(ConflictError, match="no open draft"):
        admin.publish()
    admin.import_policy(POLICY, reason="policy")
    admin.add_terms([BADWORD], reason="add")
    with pytest.raises(ConflictError, match="not 1"):
        admin.publish(expected_draft=1)
    assert admin.publish(expected_draft=2).number == 2


def test_publish_after_a_concurrent_rollback_is_refused_and_changes_nothing(
    location: str,
) -> None:
    with (
        AdminOps(open_store(location), actor="alice") as alice,
        AdminOps(open_store(location), actor="bob") as bob,
    ):
        publish_initial(alice)  # v1 policy, v2 published
        alice.add_terms([QWZZYX], reason="more")  # v3 draft from v2
        bob.rollback(1, reason="incident")
        before = alice.versions()
        with pytest.raises(ConflictError, match="published since"):
            alice.publish(reason="go")
        assert alice.versions() == before
        assert alice.status().published == 1
        alice.discard_draft(reason="start over")
        alice.add_terms([QWZZYX], reason="more, again")  # v4 from v1
        assert alice.publish().number == 4


def test_rollback_is_audited(admin: AdminOps) -> None:
    publish_initial(admin)
    admin.add_terms([QWZZYX], reason="more")
    admin.publish(reason="second")
    admin.rollback(2, reason="second was wrong")
    assert admin.status().published == 2
    record = admin.audit(limit=1)[0]
    assert (record.action, record.actor, record.reason, record.version) == (
        "rollback",
        "alice",
        "second was wrong",
        2,
    )


# --- diff, dry-run, explain ---------------------------------------------------------


def test_diff_shows_entries_and_policies_that_change(admin: AdminOps) -> None:
    publish_initial(admin)  # v2
    changed_bad = TermEntry("badword", "profanity", MatchMode.SUBSTRING, rule_id="r-bad")
    admin.apply_changes(
        ChangeSet(
            add=(changed_bad, QWZZYX),
            remove=("r-zor",),
            set_policies=(("spam", CategoryPolicy()),),
        ),
        reason="edit",
    )
    diff = admin.diff()
    assert (diff.from_version, diff.to_version) == (2, 3)
    assert diff.added == (QWZZYX,)
    assert diff.removed == (ZORBLAX,)
    assert [(c.before, c.after) for c in diff.changed] == [(BADWORD, changed_bad)]
    assert [(p.category, p.before, p.after) for p in diff.policy_changes] == [
        ("spam", None, CategoryPolicy())
    ]
    assert admin.diff(3, 2).added == (ZORBLAX,)
    with pytest.raises(NotFoundError):
        admin.diff(99)


SAMPLES = [
    Sample("badword"),
    Sample("#FreeBadWordVideos", SuggestionKind.HASHTAG),
    Sample("zorblax"),
    Sample("qwzzyxes"),
    Sample("qwzzyxology"),
    Sample("scunthorpe"),
]


def test_dry_run_lists_newly_blocked_and_unblocked(admin: AdminOps) -> None:
    publish_initial(admin)
    admin.apply_changes(
        ChangeSet(add=(QWZZYX, ALLOW_QWZZYXOLOGY), remove=("r-bad",)), reason="edit"
    )
    result = admin.dry_run(SAMPLES)
    assert (result.version, result.against, result.total) == (3, 2, 6)
    assert [item.sample.text for item in result.newly_blocked] == ["qwzzyxes"]
    assert result.newly_blocked[0].after.rule_id == "r-qw"
    assert [item.sample.text for item in result.newly_unblocked] == [
        "badword",
        "#FreeBadWordVideos",
    ]
    assert result.newly_unblocked[0].before.category == "profanity"


def test_dry_run_against_nothing_published_counts_every_block(admin: AdminOps) -> None:
    admin.import_policy(POLICY, reason="policy")
    admin.add_terms([BADWORD, ZORBLAX], reason="first")
    result = admin.dry_run(SAMPLES)
    assert result.against is None
    assert [item.sample.text for item in result.newly_blocked] == [
        "badword",
        "#FreeBadWordVideos",
        "zorblax",
    ]


def test_dry_run_without_a_draft_needs_a_version(admin: AdminOps) -> None:
    publish_initial(admin)
    with pytest.raises(ConflictError, match="no open draft"):
        admin.dry_run(SAMPLES)
    assert admin.dry_run(SAMPLES, version=2, against=2).newly_blocked == ()


def test_explain_uses_the_working_version(admin: AdminOps) -> None:
    publish_initial(admin)
    explanation = admin.explain("b4dw0rd today")
    assert [(m.start, m.end, m.rule_id) for m in explanation.matches] == [(0, 7, "r-bad")]


# --- reports ------------------------------------------------------------------------


def test_promoting_a_report_adds_a_term_to_the_draft(admin: AdminOps) -> None:
    publish_initial(admin)
    admin.store.add_report("#Glorpnik", SuggestionKind.HASHTAG, "", "abuse", "user-1")
    report_id = admin.store.add_report("glorpnik", SuggestionKind.QUERY, "", "abuse", "user-2")
    group = admin.report_groups()[0]
    assert group.count == 2
    info = admin.resolve_report(
        report_id, ReportStatus.PROMOTED, category="exploitation", reason="confirmed"
    )
    assert info is not None and info.state is VersionState.DRAFT
    added = [e for e in admin.entries() if e.term == "glorpnik"]
    assert len(added) == 1 and added[0].category == "exploitation"
    assert admin.report_groups() == []
    assert admin.audit(limit=1)[0].action == "report-promote"
    assert admin.dry_run([Sample("#glorpnik")]).newly_blocked


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        pytest.param({"decision": ReportStatus.PROMOTED}, InvalidInputError, id="no-category"),
        pytest.param({"decision": ReportStatus.OPEN}, InvalidInputError, id="open-is-no-decision"),
        pytest.param(
            {"decision": ReportStatus.PROMOTED, "category": "spam"},
            PolicyError,
            id="category-not-in-policy",
        ),
        pytest.param(
            {"decision": ReportStatus.PROMOTED, "category": "bad name!"},
            InvalidInputError,
            id="bad-category-name",
        ),
        pytest.param(
            {"decision": ReportStatus.PROMOTED, "category": "profanity", "locale": "FR-ca"},
            InvalidInputError,
            id="locale-with-region",
        ),
    ],
)
def test_bad_report_decisions_change_nothing(
    admin: AdminOps, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    publish_initial(admin)
    admin.store.add_report("glorpnik", SuggestionKind.QUERY, "", "abuse", "user-1")
    group = admin.report_groups()[0]
    with pytest.raises(error):
        admin.resolve_report(group.group_id, reason="x", **kwargs)
    assert admin.report_groups() == [group]
    assert admin.status().draft is None


def test_dismissing_a_report_is_audited(admin: AdminOps) -> None:
    admin.store.add_report("harmless", SuggestionKind.QUERY, "", "", "user-1")
    group = admin.report_groups()[0]
    assert admin.resolve_report(group.group_id, ReportStatus.DISMISSED, reason="benign") is None
    assert admin.report_groups() == []
    assert admin.audit(limit=1)[0].action == "report-dismiss"
    with pytest.raises(NotFoundError):
        admin.resolve_report("g-nothing", ReportStatus.DISMISSED, reason="x")


# --- import and export --------------------------------------------------------------


def test_export_then_import_gives_the_same_entries(admin: AdminOps, tmp_path: Any) -> None:
    publish_initial(admin)
    admin.add_terms(
        [QWZZYX, ALLOW_QWZZYXOLOGY, TermEntry("merde", "profanity", locale="fr", note="a, b")],
        reason="more",
    )
    exported = format_terms_csv(admin.entries())
    with AdminOps(open_store(str(tmp_path / "other.db")), actor="bob") as fresh:
        fresh.import_policy(admin.policy(), reason="copy")
        parsed = parse_term_text(
            exported,
            source="export.csv",
            csv_format=True,
            known_categories={"profanity"} | {"exploitation"},
        )
        fresh.add_terms(parsed, reason="copy")
        assert fresh.entries() == admin.entries()
        assert fresh.policy() == admin.policy()


@pytest.mark.parametrize(
    ("text", "samples"),
    [
        pytest.param(
            "badword\n\n#glorp\n", [Sample("badword"), Sample("#glorp")], id="blank-line-skipped"
        ),
        pytest.param(
            "glorp\thashtag\tfr-FR\n",
            [Sample("glorp", SuggestionKind.HASHTAG, "fr-FR")],
            id="text-kind-locale",
        ),
        pytest.param("glorp\tquery\n", [Sample("glorp", SuggestionKind.QUERY)], id="text-and-kind"),
    ],
)
def test_parse_samples(text: str, samples: list[Sample]) -> None:
    assert parse_samples(text) == samples


@pytest.mark.parametrize("text", ["glorp\tnope\n", "a\tquery\tfr\textra\n"])
def test_parse_samples_rejects_bad_lines(text: str) -> None:
    with pytest.raises(InvalidInputError, match="line 1"):
        parse_samples(text)
