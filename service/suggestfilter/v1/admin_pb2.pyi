import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from suggestfilter.v1 import filter_pb2 as _filter_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MatchMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MATCH_MODE_UNSPECIFIED: _ClassVar[MatchMode]
    MATCH_MODE_WORD: _ClassVar[MatchMode]
    MATCH_MODE_SUBSTRING: _ClassVar[MatchMode]

class EntryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENTRY_KIND_UNSPECIFIED: _ClassVar[EntryKind]
    ENTRY_KIND_BLOCK: _ClassVar[EntryKind]
    ENTRY_KIND_ALLOW: _ClassVar[EntryKind]

class VersionState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERSION_STATE_UNSPECIFIED: _ClassVar[VersionState]
    VERSION_STATE_DRAFT: _ClassVar[VersionState]
    VERSION_STATE_PUBLISHED: _ClassVar[VersionState]
    VERSION_STATE_RETIRED: _ClassVar[VersionState]
    VERSION_STATE_SUPERSEDED: _ClassVar[VersionState]

class ReportStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPORT_STATUS_UNSPECIFIED: _ClassVar[ReportStatus]
    REPORT_STATUS_OPEN: _ClassVar[ReportStatus]
    REPORT_STATUS_PROMOTED: _ClassVar[ReportStatus]
    REPORT_STATUS_DISMISSED: _ClassVar[ReportStatus]
MATCH_MODE_UNSPECIFIED: MatchMode
MATCH_MODE_WORD: MatchMode
MATCH_MODE_SUBSTRING: MatchMode
ENTRY_KIND_UNSPECIFIED: EntryKind
ENTRY_KIND_BLOCK: EntryKind
ENTRY_KIND_ALLOW: EntryKind
VERSION_STATE_UNSPECIFIED: VersionState
VERSION_STATE_DRAFT: VersionState
VERSION_STATE_PUBLISHED: VersionState
VERSION_STATE_RETIRED: VersionState
VERSION_STATE_SUPERSEDED: VersionState
REPORT_STATUS_UNSPECIFIED: ReportStatus
REPORT_STATUS_OPEN: ReportStatus
REPORT_STATUS_PROMOTED: ReportStatus
REPORT_STATUS_DISMISSED: ReportStatus

class TermEntry(_message.Message):
    __slots__ = ("term", "category", "match", "locale", "kind", "rule_id", "note")
    TERM_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    MATCH_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    term: str
    category: str
    match: MatchMode
    locale: str
    kind: EntryKind
    rule_id: str
    note: str
    def __init__(self, term: _Optional[str] = ..., category: _Optional[str] = ..., match: _Optional[_Union[MatchMode, str]] = ..., locale: _Optional[str] = ..., kind: _Optional[_Union[EntryKind, str]] = ..., rule_id: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class LocalizedIntervention(_message.Message):
    __slots__ = ("language", "message", "help_url")
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    HELP_URL_FIELD_NUMBER: _ClassVar[int]
    language: str
    message: str
    help_url: str
    def __init__(self, language: _Optional[str] = ..., message: _Optional[str] = ..., help_url: _Optional[str] = ...) -> None: ...

class CategoryPolicy(_message.Message):
    __slots__ = ("category", "suggestions", "query", "interventions")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    INTERVENTIONS_FIELD_NUMBER: _ClassVar[int]
    category: str
    suggestions: _filter_pb2.Action
    query: _filter_pb2.Action
    interventions: _containers.RepeatedCompositeFieldContainer[LocalizedIntervention]
    def __init__(self, category: _Optional[str] = ..., suggestions: _Optional[_Union[_filter_pb2.Action, str]] = ..., query: _Optional[_Union[_filter_pb2.Action, str]] = ..., interventions: _Optional[_Iterable[_Union[LocalizedIntervention, _Mapping]]] = ...) -> None: ...

class Policy(_message.Message):
    __slots__ = ("categories",)
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    categories: _containers.RepeatedCompositeFieldContainer[CategoryPolicy]
    def __init__(self, categories: _Optional[_Iterable[_Union[CategoryPolicy, _Mapping]]] = ...) -> None: ...

class VersionInfo(_message.Message):
    __slots__ = ("number", "state", "base", "author", "created_at", "reason", "checksum", "term_count")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    BASE_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CHECKSUM_FIELD_NUMBER: _ClassVar[int]
    TERM_COUNT_FIELD_NUMBER: _ClassVar[int]
    number: int
    state: VersionState
    base: int
    author: str
    created_at: _timestamp_pb2.Timestamp
    reason: str
    checksum: str
    term_count: int
    def __init__(self, number: _Optional[int] = ..., state: _Optional[_Union[VersionState, str]] = ..., base: _Optional[int] = ..., author: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ..., checksum: _Optional[str] = ..., term_count: _Optional[int] = ...) -> None: ...

class AuditRecord(_message.Message):
    __slots__ = ("id", "at", "actor", "action", "version", "reason", "detail")
    ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    id: int
    at: _timestamp_pb2.Timestamp
    actor: str
    action: str
    version: int
    reason: str
    detail: str
    def __init__(self, id: _Optional[int] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., version: _Optional[int] = ..., reason: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class ChangeResult(_message.Message):
    __slots__ = ("version", "added", "updated", "unchanged", "removed", "policies_changed")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ADDED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    POLICIES_CHANGED_FIELD_NUMBER: _ClassVar[int]
    version: VersionInfo
    added: int
    updated: int
    unchanged: int
    removed: int
    policies_changed: int
    def __init__(self, version: _Optional[_Union[VersionInfo, _Mapping]] = ..., added: _Optional[int] = ..., updated: _Optional[int] = ..., unchanged: _Optional[int] = ..., removed: _Optional[int] = ..., policies_changed: _Optional[int] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetStatusResponse(_message.Message):
    __slots__ = ("published", "draft")
    PUBLISHED_FIELD_NUMBER: _ClassVar[int]
    DRAFT_FIELD_NUMBER: _ClassVar[int]
    published: int
    draft: int
    def __init__(self, published: _Optional[int] = ..., draft: _Optional[int] = ...) -> None: ...

class ListVersionsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListVersionsResponse(_message.Message):
    __slots__ = ("versions",)
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[VersionInfo]
    def __init__(self, versions: _Optional[_Iterable[_Union[VersionInfo, _Mapping]]] = ...) -> None: ...

class GetVersionRequest(_message.Message):
    __slots__ = ("number",)
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    number: int
    def __init__(self, number: _Optional[int] = ...) -> None: ...

class GetVersionResponse(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: VersionInfo
    def __init__(self, version: _Optional[_Union[VersionInfo, _Mapping]] = ...) -> None: ...

class ListEntriesRequest(_message.Message):
    __slots__ = ("version", "category")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    version: int
    category: str
    def __init__(self, version: _Optional[int] = ..., category: _Optional[str] = ...) -> None: ...

class ListEntriesResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[TermEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[TermEntry, _Mapping]]] = ...) -> None: ...

class GetPolicyRequest(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: int
    def __init__(self, version: _Optional[int] = ...) -> None: ...

class GetPolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: Policy
    def __init__(self, policy: _Optional[_Union[Policy, _Mapping]] = ...) -> None: ...

class ListAuditRecordsRequest(_message.Message):
    __slots__ = ("limit", "before_id")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    BEFORE_ID_FIELD_NUMBER: _ClassVar[int]
    limit: int
    before_id: int
    def __init__(self, limit: _Optional[int] = ..., before_id: _Optional[int] = ...) -> None: ...

class ListAuditRecordsResponse(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[AuditRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[AuditRecord, _Mapping]]] = ...) -> None: ...

class ApplyChangesRequest(_message.Message):
    __slots__ = ("add", "remove", "set_policies", "remove_categories", "reason")
    ADD_FIELD_NUMBER: _ClassVar[int]
    REMOVE_FIELD_NUMBER: _ClassVar[int]
    SET_POLICIES_FIELD_NUMBER: _ClassVar[int]
    REMOVE_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    add: _containers.RepeatedCompositeFieldContainer[TermEntry]
    remove: _containers.RepeatedScalarFieldContainer[str]
    set_policies: _containers.RepeatedCompositeFieldContainer[CategoryPolicy]
    remove_categories: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, add: _Optional[_Iterable[_Union[TermEntry, _Mapping]]] = ..., remove: _Optional[_Iterable[str]] = ..., set_policies: _Optional[_Iterable[_Union[CategoryPolicy, _Mapping]]] = ..., remove_categories: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...

class ApplyChangesResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: ChangeResult
    def __init__(self, result: _Optional[_Union[ChangeResult, _Mapping]] = ...) -> None: ...

class AddTermsRequest(_message.Message):
    __slots__ = ("entries", "reason")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[TermEntry]
    reason: str
    def __init__(self, entries: _Optional[_Iterable[_Union[TermEntry, _Mapping]]] = ..., reason: _Optional[str] = ...) -> None: ...

class AddTermsResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: ChangeResult
    def __init__(self, result: _Optional[_Union[ChangeResult, _Mapping]] = ...) -> None: ...

class RemoveTermsRequest(_message.Message):
    __slots__ = ("names", "reason")
    NAMES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    names: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, names: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...

class RemoveTermsResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: ChangeResult
    def __init__(self, result: _Optional[_Union[ChangeResult, _Mapping]] = ...) -> None: ...

class ImportPolicyRequest(_message.Message):
    __slots__ = ("policy", "reason")
    POLICY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    policy: Policy
    reason: str
    def __init__(self, policy: _Optional[_Union[Policy, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class ImportPolicyResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: ChangeResult
    def __init__(self, result: _Optional[_Union[ChangeResult, _Mapping]] = ...) -> None: ...

class DiscardDraftRequest(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class DiscardDraftResponse(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: VersionInfo
    def __init__(self, version: _Optional[_Union[VersionInfo, _Mapping]] = ...) -> None: ...

class DiffVersionsRequest(_message.Message):
    __slots__ = ("from_version", "to_version")
    FROM_VERSION_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    from_version: int
    to_version: int
    def __init__(self, from_version: _Optional[int] = ..., to_version: _Optional[int] = ...) -> None: ...

class EntryChange(_message.Message):
    __slots__ = ("before", "after")
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    before: TermEntry
    after: TermEntry
    def __init__(self, before: _Optional[_Union[TermEntry, _Mapping]] = ..., after: _Optional[_Union[TermEntry, _Mapping]] = ...) -> None: ...

class PolicyChange(_message.Message):
    __slots__ = ("category", "before", "after")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    category: str
    before: CategoryPolicy
    after: CategoryPolicy
    def __init__(self, category: _Optional[str] = ..., before: _Optional[_Union[CategoryPolicy, _Mapping]] = ..., after: _Optional[_Union[CategoryPolicy, _Mapping]] = ...) -> None: ...

class DiffVersionsResponse(_message.Message):
    __slots__ = ("from_version", "to_version", "added", "removed", "changed", "policy_changes")
    FROM_VERSION_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    ADDED_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    POLICY_CHANGES_FIELD_NUMBER: _ClassVar[int]
    from_version: int
    to_version: int
    added: _containers.RepeatedCompositeFieldContainer[TermEntry]
    removed: _containers.RepeatedCompositeFieldContainer[TermEntry]
    changed: _containers.RepeatedCompositeFieldContainer[EntryChange]
    policy_changes: _containers.RepeatedCompositeFieldContainer[PolicyChange]
    def __init__(self, from_version: _Optional[int] = ..., to_version: _Optional[int] = ..., added: _Optional[_Iterable[_Union[TermEntry, _Mapping]]] = ..., removed: _Optional[_Iterable[_Union[TermEntry, _Mapping]]] = ..., changed: _Optional[_Iterable[_Union[EntryChange, _Mapping]]] = ..., policy_changes: _Optional[_Iterable[_Union[PolicyChange, _Mapping]]] = ...) -> None: ...

class Sample(_message.Message):
    __slots__ = ("text", "kind", "locale")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    text: str
    kind: _filter_pb2.SuggestionKind
    locale: str
    def __init__(self, text: _Optional[str] = ..., kind: _Optional[_Union[_filter_pb2.SuggestionKind, str]] = ..., locale: _Optional[str] = ...) -> None: ...

class DryRunRequest(_message.Message):
    __slots__ = ("samples", "version", "against")
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    AGAINST_FIELD_NUMBER: _ClassVar[int]
    samples: _containers.RepeatedCompositeFieldContainer[Sample]
    version: int
    against: int
    def __init__(self, samples: _Optional[_Iterable[_Union[Sample, _Mapping]]] = ..., version: _Optional[int] = ..., against: _Optional[int] = ...) -> None: ...

class DryRunItem(_message.Message):
    __slots__ = ("sample", "before", "after")
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    sample: Sample
    before: _filter_pb2.Verdict
    after: _filter_pb2.Verdict
    def __init__(self, sample: _Optional[_Union[Sample, _Mapping]] = ..., before: _Optional[_Union[_filter_pb2.Verdict, _Mapping]] = ..., after: _Optional[_Union[_filter_pb2.Verdict, _Mapping]] = ...) -> None: ...

class DryRunResponse(_message.Message):
    __slots__ = ("version", "against", "total", "newly_blocked", "newly_unblocked")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    AGAINST_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    NEWLY_BLOCKED_FIELD_NUMBER: _ClassVar[int]
    NEWLY_UNBLOCKED_FIELD_NUMBER: _ClassVar[int]
    version: int
    against: int
    total: int
    newly_blocked: _containers.RepeatedCompositeFieldContainer[DryRunItem]
    newly_unblocked: _containers.RepeatedCompositeFieldContainer[DryRunItem]
    def __init__(self, version: _Optional[int] = ..., against: _Optional[int] = ..., total: _Optional[int] = ..., newly_blocked: _Optional[_Iterable[_Union[DryRunItem, _Mapping]]] = ..., newly_unblocked: _Optional[_Iterable[_Union[DryRunItem, _Mapping]]] = ...) -> None: ...

class ExplainRequest(_message.Message):
    __slots__ = ("text", "kind", "locale", "version")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    text: str
    kind: _filter_pb2.SuggestionKind
    locale: str
    version: int
    def __init__(self, text: _Optional[str] = ..., kind: _Optional[_Union[_filter_pb2.SuggestionKind, str]] = ..., locale: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class ExplainedMatch(_message.Message):
    __slots__ = ("start", "end", "rule_id", "category", "kind", "match", "suppressed", "term")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MATCH_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    start: int
    end: int
    rule_id: str
    category: str
    kind: EntryKind
    match: MatchMode
    suppressed: bool
    term: str
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ..., rule_id: _Optional[str] = ..., category: _Optional[str] = ..., kind: _Optional[_Union[EntryKind, str]] = ..., match: _Optional[_Union[MatchMode, str]] = ..., suppressed: _Optional[bool] = ..., term: _Optional[str] = ...) -> None: ...

class ExplainResponse(_message.Message):
    __slots__ = ("folded", "matches", "suggestion_verdict", "query_verdict")
    FOLDED_FIELD_NUMBER: _ClassVar[int]
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    SUGGESTION_VERDICT_FIELD_NUMBER: _ClassVar[int]
    QUERY_VERDICT_FIELD_NUMBER: _ClassVar[int]
    folded: str
    matches: _containers.RepeatedCompositeFieldContainer[ExplainedMatch]
    suggestion_verdict: _filter_pb2.Verdict
    query_verdict: _filter_pb2.Verdict
    def __init__(self, folded: _Optional[str] = ..., matches: _Optional[_Iterable[_Union[ExplainedMatch, _Mapping]]] = ..., suggestion_verdict: _Optional[_Union[_filter_pb2.Verdict, _Mapping]] = ..., query_verdict: _Optional[_Union[_filter_pb2.Verdict, _Mapping]] = ...) -> None: ...

class PublishRequest(_message.Message):
    __slots__ = ("reason", "expected_draft")
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_DRAFT_FIELD_NUMBER: _ClassVar[int]
    reason: str
    expected_draft: int
    def __init__(self, reason: _Optional[str] = ..., expected_draft: _Optional[int] = ...) -> None: ...

class PublishResponse(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: VersionInfo
    def __init__(self, version: _Optional[_Union[VersionInfo, _Mapping]] = ...) -> None: ...

class RollbackRequest(_message.Message):
    __slots__ = ("version", "reason")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    version: int
    reason: str
    def __init__(self, version: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class RollbackResponse(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: VersionInfo
    def __init__(self, version: _Optional[_Union[VersionInfo, _Mapping]] = ...) -> None: ...

class ReportGroup(_message.Message):
    __slots__ = ("group_id", "folded", "text", "count", "reporters", "kinds", "locales", "reasons", "first_at", "last_at", "status")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    FOLDED_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    REPORTERS_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    LOCALES_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    FIRST_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    group_id: str
    folded: str
    text: str
    count: int
    reporters: int
    kinds: _containers.RepeatedScalarFieldContainer[_filter_pb2.SuggestionKind]
    locales: _containers.RepeatedScalarFieldContainer[str]
    reasons: _containers.RepeatedScalarFieldContainer[str]
    first_at: _timestamp_pb2.Timestamp
    last_at: _timestamp_pb2.Timestamp
    status: ReportStatus
    def __init__(self, group_id: _Optional[str] = ..., folded: _Optional[str] = ..., text: _Optional[str] = ..., count: _Optional[int] = ..., reporters: _Optional[int] = ..., kinds: _Optional[_Iterable[_Union[_filter_pb2.SuggestionKind, str]]] = ..., locales: _Optional[_Iterable[str]] = ..., reasons: _Optional[_Iterable[str]] = ..., first_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[ReportStatus, str]] = ...) -> None: ...

class ListReportGroupsRequest(_message.Message):
    __slots__ = ("status", "limit")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    status: ReportStatus
    limit: int
    def __init__(self, status: _Optional[_Union[ReportStatus, str]] = ..., limit: _Optional[int] = ...) -> None: ...

class ListReportGroupsResponse(_message.Message):
    __slots__ = ("groups",)
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[ReportGroup]
    def __init__(self, groups: _Optional[_Iterable[_Union[ReportGroup, _Mapping]]] = ...) -> None: ...

class ResolveReportRequest(_message.Message):
    __slots__ = ("group_id", "decision", "reason", "category", "term", "match", "locale")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    MATCH_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    group_id: str
    decision: ReportStatus
    reason: str
    category: str
    term: str
    match: MatchMode
    locale: str
    def __init__(self, group_id: _Optional[str] = ..., decision: _Optional[_Union[ReportStatus, str]] = ..., reason: _Optional[str] = ..., category: _Optional[str] = ..., term: _Optional[str] = ..., match: _Optional[_Union[MatchMode, str]] = ..., locale: _Optional[str] = ...) -> None: ...

class ResolveReportResponse(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: VersionInfo
    def __init__(self, version: _Optional[_Union[VersionInfo, _Mapping]] = ...) -> None: ...
