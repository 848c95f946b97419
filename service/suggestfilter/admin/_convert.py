"""Conversions between the admin API's protobuf messages and the model's values.

The admin servicer turns requests into model values with the ``*_from_proto``
functions, which check what only the message can show as they go: an enum
number the model lacks, a category or language given twice, a version
number, a text field over its length. Such a field raises
:class:`~suggestfilter._errors.InvalidInputError` naming its path (for
example ``add[3].match``), so the caller gets INVALID_ARGUMENT with a
``google.rpc.BadRequest``. The content of entries and policies (names,
locales, rule ids, terms, messages) is checked by
:class:`~suggestfilter.admin._ops.AdminOps` with the rules every way into the
store shares, under the same paths.
:class:`~suggestfilter.admin._client.RemoteAdmin` uses the same functions in
the other direction, so it reads back whatever a store holds. Enum values left
UNSPECIFIED on input take the model's default (``MatchMode.WORD``,
``EntryKind.BLOCK``, ``Action.BLOCK``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from google.protobuf import timestamp_pb2

from suggestfilter._errors import InvalidInputError
from suggestfilter._model import (
    Action,
    CategoryPolicy,
    EntryKind,
    Intervention,
    MatchMode,
    Policy,
    SuggestionKind,
    TermEntry,
    Verdict,
)
from suggestfilter.admin._ops import (
    ChangeResult,
    ChangeSet,
    DryRunItem,
    DryRunResult,
    EntryChange,
    PolicyChange,
    Sample,
    VersionDiff,
)
from suggestfilter.store import (
    AuditRecord,
    ReportGroup,
    ReportStatus,
    StoreStatus,
    VersionInfo,
    VersionState,
)
from suggestfilter.v1 import admin_pb2, filter_pb2

if TYPE_CHECKING:
    from suggestfilter.engine import Explanation

_K = TypeVar("_K")
_V = TypeVar("_V")

MAX_TEXT_CHARS = 4096
"""The longest reason, name or sample text accepted (entries and policies have their own
limits, in ``suggestfilter.lists._validate``)."""

_MATCH_TO_PROTO: dict[MatchMode, Any] = {
    MatchMode.WORD: admin_pb2.MATCH_MODE_WORD,
    MatchMode.SUBSTRING: admin_pb2.MATCH_MODE_SUBSTRING,
}
_MATCH_FROM_PROTO: dict[int, MatchMode] = {
    admin_pb2.MATCH_MODE_UNSPECIFIED: MatchMode.WORD,
    **{int(v): k for k, v in _MATCH_TO_PROTO.items()},
}
_KIND_TO_PROTO: dict[EntryKind, Any] = {
    EntryKind.BLOCK: admin_pb2.ENTRY_KIND_BLOCK,
    EntryKind.ALLOW: admin_pb2.ENTRY_KIND_ALLOW,
}
_KIND_FROM_PROTO: dict[int, EntryKind] = {
    admin_pb2.ENTRY_KIND_UNSPECIFIED: EntryKind.BLOCK,
    **{int(v): k for k, v in _KIND_TO_PROTO.items()},
}
_STATE_TO_PROTO: dict[VersionState, Any] = {
    VersionState.DRAFT: admin_pb2.VERSION_STATE_DRAFT,
    VersionState.PUBLISHED: admin_pb2.VERSION_STATE_PUBLISHED,
    VersionState.RETIRED: admin_pb2.VERSION_STATE_RETIRED,
    VersionState.SUPERSEDED: admin_pb2.VERSION_STATE_SUPERSEDED,
}
_STATE_FROM_PROTO: dict[int, VersionState] = {int(v): k for k, v in _STATE_TO_PROTO.items()}
_REPORT_TO_PROTO: dict[ReportStatus, Any] = {
    ReportStatus.OPEN: admin_pb2.REPORT_STATUS_OPEN,
    ReportStatus.PROMOTED: admin_pb2.REPORT_STATUS_PROMOTED,
    ReportStatus.DISMISSED: admin_pb2.REPORT_STATUS_DISMISSED,
}
_REPORT_FROM_PROTO: dict[int, ReportStatus] = {int(v): k for k, v in _REPORT_TO_PROTO.items()}
_ACTIONS: dict[int, Action] = {int(a): a for a in Action}
_SUGGESTION_KINDS: dict[int, SuggestionKind] = {int(k): k for k in SuggestionKind}


def _lookup(table: Mapping[_K, _V], value: _K, field: str) -> _V:
    try:
        return table[value]
    except KeyError:
        raise InvalidInputError(field, f"unknown value {value}") from None


def _text(value: str, field: str, *, required: bool = False) -> str:
    if required and not value.strip():
        raise InvalidInputError(field, "must not be empty")
    if len(value) > MAX_TEXT_CHARS:
        raise InvalidInputError(field, f"longer than {MAX_TEXT_CHARS} characters")
    return value


def version_number(value: int, field: str) -> int:
    """A version number from a request: at least 1."""
    if value < 1:
        raise InvalidInputError(field, "versions start at 1")
    return value


def optional_version(message: Any, field: str) -> int | None:
    """The value of an ``optional uint64`` version field, or None when unset."""
    if not message.HasField(field):
        return None
    return version_number(int(getattr(message, field)), field)


def _optional_uint(message: Any, field: str) -> int | None:
    return int(getattr(message, field)) if message.HasField(field) else None


# --- timestamps ----------------------------------------------------------------------


def timestamp_to_proto(moment: datetime) -> timestamp_pb2.Timestamp:
    """A protobuf Timestamp of an aware datetime."""
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def timestamp_from_proto(stamp: timestamp_pb2.Timestamp) -> datetime:
    """The aware UTC datetime of a protobuf Timestamp."""
    return stamp.ToDatetime(tzinfo=UTC)


# --- entries and policies --------------------------------------------------------------


def entry_to_proto(entry: TermEntry) -> admin_pb2.TermEntry:
    """The message of one term entry."""
    return admin_pb2.TermEntry(
        term=entry.term,
        category=entry.category,
        match=_MATCH_TO_PROTO[entry.match],
        locale=entry.locale,
        kind=_KIND_TO_PROTO[entry.kind],
        rule_id=entry.rule_id,
        note=entry.note,
    )


def entry_from_proto(message: admin_pb2.TermEntry, field: str) -> TermEntry:
    """The entry of a message; ``field`` is its path in the request (for errors).

    Only the enums are checked here (AdminOps checks the rest); an empty rule
    id is kept empty, and gets a fresh one when the entry is checked.
    """
    return TermEntry(
        term=message.term,
        category=message.category,
        match=_lookup(_MATCH_FROM_PROTO, int(message.match), f"{field}.match"),
        locale=message.locale,
        kind=_lookup(_KIND_FROM_PROTO, int(message.kind), f"{field}.kind"),
        rule_id=message.rule_id,
        note=message.note,
    )


def entries_from_proto(messages: Iterable[admin_pb2.TermEntry], field: str) -> list[TermEntry]:
    """The entries of a repeated field, each validated under ``field[i]``."""
    return [entry_from_proto(m, f"{field}[{i}]") for i, m in enumerate(messages)]


def category_policy_to_proto(category: str, policy: CategoryPolicy) -> admin_pb2.CategoryPolicy:
    """The message of one category's policy."""
    return admin_pb2.CategoryPolicy(
        category=category,
        suggestions=int(policy.suggestions),  # type: ignore[arg-type]
        query=int(policy.query),  # type: ignore[arg-type]
        interventions=[
            admin_pb2.LocalizedIntervention(
                language=language, message=notice.message, help_url=notice.help_url
            )
            for language, notice in policy.interventions.items()
        ],
    )


def _action(value: int, field: str) -> Action:
    if value == filter_pb2.ACTION_UNSPECIFIED:
        return Action.BLOCK
    return _lookup(_ACTIONS, value, field)


def category_policy_from_proto(
    message: admin_pb2.CategoryPolicy, field: str
) -> tuple[str, CategoryPolicy]:
    """The category name and policy of a message; a language given twice is
    InvalidInputError (AdminOps checks the rest)."""
    interventions: dict[str, Intervention] = {}
    for i, notice in enumerate(message.interventions):
        if notice.language in interventions:
            raise InvalidInputError(f"{field}.interventions[{i}].language", "given twice")
        interventions[notice.language] = Intervention(
            message=notice.message, help_url=notice.help_url
        )
    return message.category, CategoryPolicy(
        suggestions=_action(int(message.suggestions), f"{field}.suggestions"),
        query=_action(int(message.query), f"{field}.query"),
        interventions=interventions,
    )


def policy_to_proto(policy: Policy) -> admin_pb2.Policy:
    """The message of a whole policy, in policy order."""
    return admin_pb2.Policy(
        categories=[category_policy_to_proto(c, p) for c, p in policy.categories.items()]
    )


def policy_from_proto(message: admin_pb2.Policy, field: str) -> Policy:
    """The policy of a message; a category given twice is InvalidInputError."""
    categories: dict[str, CategoryPolicy] = {}
    for i, item in enumerate(message.categories):
        name, policy = category_policy_from_proto(item, f"{field}.categories[{i}]")
        if name in categories:
            raise InvalidInputError(f"{field}.categories[{i}].category", "given twice")
        categories[name] = policy
    return Policy(categories=categories)


# --- versions, audit, status -------------------------------------------------------------


def version_info_to_proto(info: VersionInfo) -> admin_pb2.VersionInfo:
    """The message of a version's description."""
    message = admin_pb2.VersionInfo(
        number=info.number,
        state=_STATE_TO_PROTO[info.state],
        author=info.author,
        created_at=timestamp_to_proto(info.created_at),
        reason=info.reason,
        checksum=info.checksum,
        term_count=info.term_count,
    )
    if info.base is not None:
        message.base = info.base
    return message


def version_info_from_proto(message: admin_pb2.VersionInfo) -> VersionInfo:
    """The version description of a response message."""
    return VersionInfo(
        number=int(message.number),
        state=_lookup(_STATE_FROM_PROTO, int(message.state), "state"),
        base=_optional_uint(message, "base"),
        author=message.author,
        created_at=timestamp_from_proto(message.created_at),
        reason=message.reason,
        checksum=message.checksum,
        term_count=int(message.term_count),
    )


def status_to_proto(status: StoreStatus) -> admin_pb2.GetStatusResponse:
    """The response of GetStatus."""
    message = admin_pb2.GetStatusResponse()
    if status.published is not None:
        message.published = status.published
    if status.draft is not None:
        message.draft = status.draft
    return message


def status_from_proto(message: admin_pb2.GetStatusResponse) -> StoreStatus:
    """The store status of a GetStatus response."""
    return StoreStatus(
        published=_optional_uint(message, "published"), draft=_optional_uint(message, "draft")
    )


def audit_record_to_proto(record: AuditRecord) -> admin_pb2.AuditRecord:
    """The message of one audit record."""
    message = admin_pb2.AuditRecord(
        id=record.id,
        at=timestamp_to_proto(record.at),
        actor=record.actor,
        action=record.action,
        reason=record.reason,
        detail=record.detail,
    )
    if record.version is not None:
        message.version = record.version
    return message


def audit_record_from_proto(message: admin_pb2.AuditRecord) -> AuditRecord:
    """The audit record of a message."""
    return AuditRecord(
        id=int(message.id),
        at=timestamp_from_proto(message.at),
        actor=message.actor,
        action=message.action,
        version=_optional_uint(message, "version"),
        reason=message.reason,
        detail=message.detail,
    )


def change_result_to_proto(result: ChangeResult) -> admin_pb2.ChangeResult:
    """The message of what a change did."""
    return admin_pb2.ChangeResult(
        version=version_info_to_proto(result.version),
        added=result.added,
        updated=result.updated,
        unchanged=result.unchanged,
        removed=result.removed,
        policies_changed=result.policies_changed,
    )


def change_result_from_proto(message: admin_pb2.ChangeResult) -> ChangeResult:
    """What a change did, from its message."""
    return ChangeResult(
        version=version_info_from_proto(message.version),
        added=int(message.added),
        updated=int(message.updated),
        unchanged=int(message.unchanged),
        removed=int(message.removed),
        policies_changed=int(message.policies_changed),
    )


def change_set_to_proto(changes: ChangeSet, *, reason: str) -> admin_pb2.ApplyChangesRequest:
    """The ApplyChanges request of a change set."""
    return admin_pb2.ApplyChangesRequest(
        add=[entry_to_proto(e) for e in changes.add],
        remove=list(changes.remove),
        set_policies=[category_policy_to_proto(c, p) for c, p in changes.set_policies],
        remove_categories=list(changes.remove_categories),
        reason=reason,
    )


def change_set_from_proto(message: admin_pb2.ApplyChangesRequest) -> ChangeSet:
    """The change set of an ApplyChanges request (validated)."""
    return ChangeSet(
        add=tuple(entries_from_proto(message.add, "add")),
        remove=tuple(
            _text(name, f"remove[{i}]", required=True) for i, name in enumerate(message.remove)
        ),
        set_policies=tuple(
            category_policy_from_proto(p, f"set_policies[{i}]")
            for i, p in enumerate(message.set_policies)
        ),
        remove_categories=tuple(
            _text(name, f"remove_categories[{i}]", required=True)
            for i, name in enumerate(message.remove_categories)
        ),
    )


# --- diff and dry run --------------------------------------------------------------------


def diff_to_proto(diff: VersionDiff) -> admin_pb2.DiffVersionsResponse:
    """The DiffVersions response of a diff."""
    message = admin_pb2.DiffVersionsResponse(
        to_version=diff.to_version,
        added=[entry_to_proto(e) for e in diff.added],
        removed=[entry_to_proto(e) for e in diff.removed],
        changed=[
            admin_pb2.EntryChange(before=entry_to_proto(c.before), after=entry_to_proto(c.after))
            for c in diff.changed
        ],
    )
    for change in diff.policy_changes:
        item = message.policy_changes.add(category=change.category)
        if change.before is not None:
            item.before.CopyFrom(category_policy_to_proto(change.category, change.before))
        if change.after is not None:
            item.after.CopyFrom(category_policy_to_proto(change.category, change.after))
    if diff.from_version is not None:
        message.from_version = diff.from_version
    return message


def diff_from_proto(message: admin_pb2.DiffVersionsResponse) -> VersionDiff:
    """The diff of a DiffVersions response."""
    policy_changes = []
    for change in message.policy_changes:
        before = (
            category_policy_from_proto(change.before, "before")[1]
            if change.HasField("before")
            else None
        )
        after = (
            category_policy_from_proto(change.after, "after")[1]
            if change.HasField("after")
            else None
        )
        policy_changes.append(PolicyChange(change.category, before, after))
    return VersionDiff(
        from_version=_optional_uint(message, "from_version"),
        to_version=int(message.to_version),
        added=tuple(entries_from_proto(message.added, "added")),
        removed=tuple(entries_from_proto(message.removed, "removed")),
        changed=tuple(
            EntryChange(entry_from_proto(c.before, "before"), entry_from_proto(c.after, "after"))
            for c in message.changed
        ),
        policy_changes=tuple(policy_changes),
    )


def sample_to_proto(sample: Sample) -> admin_pb2.Sample:
    """The message of a dry-run sample."""
    return admin_pb2.Sample(
        text=sample.text,
        kind=int(sample.kind),  # type: ignore[arg-type]
        locale=sample.locale,
    )


def sample_from_proto(message: admin_pb2.Sample, field: str) -> Sample:
    """The dry-run sample of a message (validated)."""
    return Sample(
        text=_text(message.text, f"{field}.text"),
        kind=_lookup(_SUGGESTION_KINDS, int(message.kind), f"{field}.kind"),
        locale=_text(message.locale, f"{field}.locale"),
    )


def _verdict_to_proto(verdict: Verdict) -> filter_pb2.Verdict:
    return filter_pb2.Verdict(
        action=int(verdict.action),  # type: ignore[arg-type]
        category=verdict.category,
        rule_id=verdict.rule_id,
    )


def _verdict_from_proto(message: filter_pb2.Verdict) -> Verdict:
    return Verdict(
        action=_lookup(_ACTIONS, int(message.action), "action"),
        category=message.category,
        rule_id=message.rule_id,
    )


def _dry_run_item_to_proto(item: DryRunItem) -> admin_pb2.DryRunItem:
    return admin_pb2.DryRunItem(
        sample=sample_to_proto(item.sample),
        before=_verdict_to_proto(item.before),
        after=_verdict_to_proto(item.after),
    )


def _dry_run_item_from_proto(message: admin_pb2.DryRunItem) -> DryRunItem:
    return DryRunItem(
        sample=sample_from_proto(message.sample, "sample"),
        before=_verdict_from_proto(message.before),
        after=_verdict_from_proto(message.after),
    )


def dry_run_to_proto(result: DryRunResult) -> admin_pb2.DryRunResponse:
    """The DryRun response of a dry-run result."""
    message = admin_pb2.DryRunResponse(
        version=result.version,
        total=result.total,
        newly_blocked=[_dry_run_item_to_proto(i) for i in result.newly_blocked],
        newly_unblocked=[_dry_run_item_to_proto(i) for i in result.newly_unblocked],
    )
    if result.against is not None:
        message.against = result.against
    return message


def dry_run_from_proto(message: admin_pb2.DryRunResponse) -> DryRunResult:
    """The dry-run result of a DryRun response."""
    return DryRunResult(
        version=int(message.version),
        against=_optional_uint(message, "against"),
        total=int(message.total),
        newly_blocked=tuple(_dry_run_item_from_proto(i) for i in message.newly_blocked),
        newly_unblocked=tuple(_dry_run_item_from_proto(i) for i in message.newly_unblocked),
    )


# --- explain ---------------------------------------------------------------------------


def explanation_to_proto(
    explanation: Explanation, terms: Mapping[str, str]
) -> admin_pb2.ExplainResponse:
    """The Explain response; ``terms`` maps rule ids to their terms (admin API only)."""
    return admin_pb2.ExplainResponse(
        folded=explanation.folded,
        matches=[
            admin_pb2.ExplainedMatch(
                start=m.start,
                end=m.end,
                rule_id=m.rule_id,
                category=m.category,
                kind=_KIND_TO_PROTO[m.kind],
                match=_MATCH_TO_PROTO[m.match],
                suppressed=m.suppressed,
                term=terms.get(m.rule_id, ""),
            )
            for m in explanation.matches
        ],
        suggestion_verdict=_verdict_to_proto(explanation.suggestion_verdict),
        query_verdict=_verdict_to_proto(explanation.query_verdict),
    )


def explanation_from_proto(message: admin_pb2.ExplainResponse) -> Explanation:
    """The explanation of an Explain response (the terms are left out; see `explained_terms`)."""
    from suggestfilter.engine import ExplainedMatch, Explanation

    return Explanation(
        folded=message.folded,
        matches=tuple(
            ExplainedMatch(
                start=int(m.start),
                end=int(m.end),
                rule_id=m.rule_id,
                category=m.category,
                kind=_lookup(_KIND_FROM_PROTO, int(m.kind), "kind"),
                match=_lookup(_MATCH_FROM_PROTO, int(m.match), "match"),
                suppressed=m.suppressed,
            )
            for m in message.matches
        ),
        suggestion_verdict=_verdict_from_proto(message.suggestion_verdict),
        query_verdict=_verdict_from_proto(message.query_verdict),
    )


def explained_terms(message: admin_pb2.ExplainResponse) -> dict[str, str]:
    """The term of each matching rule id in an Explain response."""
    return {m.rule_id: m.term for m in message.matches if m.term}


# --- reports ---------------------------------------------------------------------------


def report_status_to_proto(status: ReportStatus | None) -> Any:
    """The proto value of a report status; None (every status) is UNSPECIFIED."""
    return admin_pb2.REPORT_STATUS_UNSPECIFIED if status is None else _REPORT_TO_PROTO[status]


def report_status_from_proto(value: int, field: str) -> ReportStatus | None:
    """The report status of a proto value; UNSPECIFIED is None (every status)."""
    if value == admin_pb2.REPORT_STATUS_UNSPECIFIED:
        return None
    return _lookup(_REPORT_FROM_PROTO, value, field)


def report_group_to_proto(group: ReportGroup) -> admin_pb2.ReportGroup:
    """The message of one report group."""
    return admin_pb2.ReportGroup(
        group_id=group.group_id,
        folded=group.folded,
        text=group.text,
        count=group.count,
        reporters=group.reporters,
        kinds=[int(k) for k in group.kinds],  # type: ignore[misc]
        locales=list(group.locales),
        reasons=list(group.reasons),
        first_at=timestamp_to_proto(group.first_at),
        last_at=timestamp_to_proto(group.last_at),
        status=_REPORT_TO_PROTO[group.status],
    )


def report_group_from_proto(message: admin_pb2.ReportGroup) -> ReportGroup:
    """The report group of a message."""
    return ReportGroup(
        group_id=message.group_id,
        folded=message.folded,
        text=message.text,
        count=int(message.count),
        reporters=int(message.reporters),
        kinds=tuple(_lookup(_SUGGESTION_KINDS, int(k), "kinds") for k in message.kinds),
        locales=tuple(message.locales),
        reasons=tuple(message.reasons),
        first_at=timestamp_from_proto(message.first_at),
        last_at=timestamp_from_proto(message.last_at),
        status=_lookup(_REPORT_FROM_PROTO, int(message.status), "status"),
    )


def match_mode_to_proto(mode: MatchMode) -> Any:
    """The proto value of a match mode."""
    return _MATCH_TO_PROTO[mode]


def match_mode_from_proto(value: int, field: str) -> MatchMode:
    """The match mode of a proto value (UNSPECIFIED is WORD)."""
    return _lookup(_MATCH_FROM_PROTO, value, field)


def suggestion_kind_from_proto(value: int, field: str) -> SuggestionKind:
    """The suggestion kind of a proto value."""
    return _lookup(_SUGGESTION_KINDS, value, field)


def text_field(value: str, field: str, *, required: bool = False) -> str:
    """A validated text field of a request (length-limited; maybe required)."""
    return _text(value, field, required=required)
