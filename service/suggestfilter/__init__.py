"""suggestfilter: decide which search suggestions may be shown.

Most users need the server (``suggestfilter serve``) and, in a frontend, the
client in :mod:`suggestfilter.client`. The engine can also be used directly:
compile term entries and a policy into a :class:`Matcher` and ask it about a
keystroke.
"""

from __future__ import annotations

from suggestfilter._errors import (
    AuthError,
    ChecksumError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    NotServingError,
    PermissionDeniedError,
    PolicyError,
    RateLimitedError,
    ReportsNotAcceptedError,
    StoreError,
    StoreUnavailableError,
    SuggestFilterError,
    TermFileError,
)
from suggestfilter._model import (
    ALLOWED,
    Action,
    CategoryPolicy,
    EntryKind,
    Intervention,
    InterventionNotice,
    KeystrokeDecision,
    MatchMode,
    Policy,
    SuggestionKind,
    TermEntry,
    Verdict,
)
from suggestfilter.engine import ExplainedMatch, Explanation, Matcher, fold

__all__ = [
    "ALLOWED",
    "Action",
    "AuthError",
    "CategoryPolicy",
    "ChecksumError",
    "ConflictError",
    "EntryKind",
    "ExplainedMatch",
    "Explanation",
    "Intervention",
    "InterventionNotice",
    "InvalidInputError",
    "KeystrokeDecision",
    "MatchMode",
    "Matcher",
    "NotFoundError",
    "NotServingError",
    "PermissionDeniedError",
    "Policy",
    "PolicyError",
    "RateLimitedError",
    "ReportsNotAcceptedError",
    "StoreError",
    "StoreUnavailableError",
    "SuggestFilterError",
    "SuggestionKind",
    "TermEntry",
    "TermFileError",
    "Verdict",
    "fold",
]
