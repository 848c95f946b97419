"""The exception hierarchy of suggestfilter.

::

    SuggestFilterError
    ├── InvalidInputError        a request or argument is malformed (names the field)
    ├── TermFileError            a term file is malformed (names the line); nothing is loaded
    ├── PolicyError              a policy is malformed, or an entry names an unknown category
    ├── AuthError                no or bad credentials (UNAUTHENTICATED)
    │   └── PermissionDeniedError   the credentials lack the role (PERMISSION_DENIED)
    ├── RateLimitedError         too many requests from one caller (RESOURCE_EXHAUSTED)
    ├── NotServingError          no usable term list is loaded (UNAVAILABLE)
    ├── ReportsNotAcceptedError  this server is configured without a report store (UNIMPLEMENTED)
    └── StoreError               the term store failed
        ├── NotFoundError           an unknown version, entry or report (NOT_FOUND)
        ├── ConflictError           a concurrent edit or a forbidding state (FAILED_PRECONDITION)
        ├── ChecksumError           a stored version does not verify (DATA_LOSS)
        └── StoreUnavailableError   the database cannot be reached (UNAVAILABLE)

Each maps to one gRPC status code in exactly one place (``grpc_code``), and
the CLI prints ``str(error)`` as its one line.
"""

from __future__ import annotations

import grpc


class SuggestFilterError(Exception):
    """Base of every error suggestfilter raises on purpose."""

    grpc_code: grpc.StatusCode = grpc.StatusCode.INTERNAL


class InvalidInputError(SuggestFilterError):
    """A request or argument is malformed. ``field`` is its path, e.g. ``suggestions[3].text``."""

    grpc_code = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, field: str, description: str) -> None:
        super().__init__(f"{field}: {description}")
        self.field = field
        self.description = description


class TermFileError(SuggestFilterError):
    """A term file is malformed; ``line`` is 1-based (0: no one line). Nothing is loaded."""

    grpc_code = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, source: str, line: int, description: str) -> None:
        # line 0: the file as a whole (unreadable) or a command-line default
        super().__init__(f"{source}:{line}: {description}" if line else f"{source}: {description}")
        self.source = source
        self.line = line
        self.description = description


class PolicyError(SuggestFilterError):
    """A policy is malformed, or a term names a category the policy does not define."""

    grpc_code = grpc.StatusCode.INVALID_ARGUMENT


class AuthError(SuggestFilterError):
    """The caller sent no credentials, or unknown ones."""

    grpc_code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDeniedError(AuthError):
    """The caller's role does not allow the call."""

    grpc_code = grpc.StatusCode.PERMISSION_DENIED


class RateLimitedError(SuggestFilterError):
    """One caller made too many requests."""

    grpc_code = grpc.StatusCode.RESOURCE_EXHAUSTED


class NotServingError(SuggestFilterError):
    """No usable term list is loaded: the filter fails closed."""

    grpc_code = grpc.StatusCode.UNAVAILABLE


class ReportsNotAcceptedError(SuggestFilterError):
    """This server is configured without a report store."""

    grpc_code = grpc.StatusCode.UNIMPLEMENTED


class StoreError(SuggestFilterError):
    """The term store failed."""

    grpc_code = grpc.StatusCode.INTERNAL


class NotFoundError(StoreError):
    """An unknown version, entry or report."""

    grpc_code = grpc.StatusCode.NOT_FOUND


class ConflictError(StoreError):
    """A concurrent edit, or a store state that forbids the call (e.g. no draft to publish)."""

    grpc_code = grpc.StatusCode.FAILED_PRECONDITION


class ChecksumError(StoreError):
    """A stored version's content does not match its SHA-256 checksum."""

    grpc_code = grpc.StatusCode.DATA_LOSS


class StoreUnavailableError(StoreError):
    """The database cannot be reached."""

    grpc_code = grpc.StatusCode.UNAVAILABLE
