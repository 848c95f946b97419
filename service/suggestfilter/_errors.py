"""The exception hierarchy of suggestfilter.

::

    SuggestFilterError
    ├── InvalidInputError        a request or argument is malformed (names the field)
    ├── TermFileError            a term file is malformed (names the line); nothing is loaded
    ├── PolicyError              a policy is malformed, or an entry names an unknown category
    ├── AuthError                no or bad credentials
    │   └── PermissionDeniedError   the credentials lack the role
    ├── RateLimitedError         too many requests from one caller
    ├── NotServingError          no usable term list is loaded
    ├── ReportsNotAcceptedError  this server is configured without a report store
    └── StoreError               the term store failed
        ├── NotFoundError           an unknown version, entry or report
        ├── ConflictError           a concurrent edit or a forbidding state
        ├── ChecksumError           a stored version does not verify
        └── StoreUnavailableError   the database cannot be reached

Messages are short English for developers and never quote a request's text;
the CLI prints ``str(error)`` as its one line. This module knows no
transport: the servers turn these errors into gRPC statuses, and the clients
turn statuses back into them, through one table in
:mod:`suggestfilter.rpc._status`.
"""

from __future__ import annotations


class SuggestFilterError(Exception):
    """Base of every error suggestfilter raises on purpose."""


class InvalidInputError(SuggestFilterError):
    """A request or argument is malformed. ``field`` is its path, e.g. ``suggestions[3].text``."""

    def __init__(self, field: str, description: str) -> None:
        super().__init__(f"{field}: {description}")
        self.field = field
        self.description = description


class TermFileError(SuggestFilterError):
    """A term file is malformed; ``line`` is 1-based (0: no one line). Nothing is loaded."""

    def __init__(self, source: str, line: int, description: str) -> None:
        # line 0: the file as a whole (unreadable) or a command-line default
        super().__init__(f"{source}:{line}: {description}" if line else f"{source}: {description}")
        self.source = source
        self.line = line
        self.description = description


class PolicyError(SuggestFilterError):
    """A policy is malformed, or a term names a category the policy does not define."""


class AuthError(SuggestFilterError):
    """The caller sent no credentials, or unknown ones."""


class PermissionDeniedError(AuthError):
    """The caller's role does not allow the call."""


class RateLimitedError(SuggestFilterError):
    """One caller made too many requests."""


class NotServingError(SuggestFilterError):
    """No usable term list is loaded: the filter fails closed."""


class ReportsNotAcceptedError(SuggestFilterError):
    """This server is configured without a report store."""


class StoreError(SuggestFilterError):
    """The term store failed."""


class NotFoundError(StoreError):
    """An unknown version, entry or report."""


class ConflictError(StoreError):
    """A concurrent edit, or a store state that forbids the call (e.g. no draft to publish)."""


class ChecksumError(StoreError):
    """A stored version's content does not match its SHA-256 checksum."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached."""
