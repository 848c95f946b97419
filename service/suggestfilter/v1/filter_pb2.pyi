from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SuggestionKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUGGESTION_KIND_UNSPECIFIED: _ClassVar[SuggestionKind]
    SUGGESTION_KIND_QUERY: _ClassVar[SuggestionKind]
    SUGGESTION_KIND_HASHTAG: _ClassVar[SuggestionKind]
    SUGGESTION_KIND_ACCOUNT: _ClassVar[SuggestionKind]

class Action(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTION_UNSPECIFIED: _ClassVar[Action]
    ACTION_ALLOW: _ClassVar[Action]
    ACTION_BLOCK: _ClassVar[Action]
    ACTION_INTERVENE: _ClassVar[Action]
SUGGESTION_KIND_UNSPECIFIED: SuggestionKind
SUGGESTION_KIND_QUERY: SuggestionKind
SUGGESTION_KIND_HASHTAG: SuggestionKind
SUGGESTION_KIND_ACCOUNT: SuggestionKind
ACTION_UNSPECIFIED: Action
ACTION_ALLOW: Action
ACTION_BLOCK: Action
ACTION_INTERVENE: Action

class Suggestion(_message.Message):
    __slots__ = ("text", "kind")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    text: str
    kind: SuggestionKind
    def __init__(self, text: _Optional[str] = ..., kind: _Optional[_Union[SuggestionKind, str]] = ...) -> None: ...

class FilterRequest(_message.Message):
    __slots__ = ("query", "suggestions", "locale")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    query: str
    suggestions: _containers.RepeatedCompositeFieldContainer[Suggestion]
    locale: str
    def __init__(self, query: _Optional[str] = ..., suggestions: _Optional[_Iterable[_Union[Suggestion, _Mapping]]] = ..., locale: _Optional[str] = ...) -> None: ...

class Verdict(_message.Message):
    __slots__ = ("action", "category", "rule_id", "undecided")
    ACTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    UNDECIDED_FIELD_NUMBER: _ClassVar[int]
    action: Action
    category: str
    rule_id: str
    undecided: bool
    def __init__(self, action: _Optional[_Union[Action, str]] = ..., category: _Optional[str] = ..., rule_id: _Optional[str] = ..., undecided: _Optional[bool] = ...) -> None: ...

class Intervention(_message.Message):
    __slots__ = ("category", "message", "help_url")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    HELP_URL_FIELD_NUMBER: _ClassVar[int]
    category: str
    message: str
    help_url: str
    def __init__(self, category: _Optional[str] = ..., message: _Optional[str] = ..., help_url: _Optional[str] = ...) -> None: ...

class FilterResponse(_message.Message):
    __slots__ = ("allowed", "verdicts", "query_verdict", "intervention", "list_version")
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    VERDICTS_FIELD_NUMBER: _ClassVar[int]
    QUERY_VERDICT_FIELD_NUMBER: _ClassVar[int]
    INTERVENTION_FIELD_NUMBER: _ClassVar[int]
    LIST_VERSION_FIELD_NUMBER: _ClassVar[int]
    allowed: _containers.RepeatedCompositeFieldContainer[Suggestion]
    verdicts: _containers.RepeatedCompositeFieldContainer[Verdict]
    query_verdict: Verdict
    intervention: Intervention
    list_version: int
    def __init__(self, allowed: _Optional[_Iterable[_Union[Suggestion, _Mapping]]] = ..., verdicts: _Optional[_Iterable[_Union[Verdict, _Mapping]]] = ..., query_verdict: _Optional[_Union[Verdict, _Mapping]] = ..., intervention: _Optional[_Union[Intervention, _Mapping]] = ..., list_version: _Optional[int] = ...) -> None: ...

class ReportRequest(_message.Message):
    __slots__ = ("suggestion", "locale", "reason", "reporter")
    SUGGESTION_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REPORTER_FIELD_NUMBER: _ClassVar[int]
    suggestion: Suggestion
    locale: str
    reason: str
    reporter: str
    def __init__(self, suggestion: _Optional[_Union[Suggestion, _Mapping]] = ..., locale: _Optional[str] = ..., reason: _Optional[str] = ..., reporter: _Optional[str] = ...) -> None: ...

class ReportResponse(_message.Message):
    __slots__ = ("report_id",)
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    def __init__(self, report_id: _Optional[str] = ...) -> None: ...
