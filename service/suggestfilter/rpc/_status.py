"""Errors and gRPC statuses: one table, applied by the servers and inverted by the clients.

:data:`STATUS_TABLE` gives every class of :mod:`suggestfilter._errors` its
gRPC status code and the ``reason`` of the ``google.rpc.ErrorInfo`` detail
(domain ``suggestfilter``) that names the class on the wire, since several
classes share a code. A subclass without a row of its own (such as the
store's ``StaleDraftError``) takes the row of its nearest base class.

Servers (the public and admin servicers, the admin auth interceptor) end a
failed call with :func:`abort_with_error`:

- :class:`InvalidInputError` becomes INVALID_ARGUMENT with a
  ``google.rpc.BadRequest`` detail whose field violation names the field
  (``suggestions[3].text``) and the broken rule, then the ErrorInfo.
- Any other :class:`SuggestFilterError` becomes its row's code with
  ``str(error)`` as the message (those messages are written for developers
  and never carry request text) and the ErrorInfo; a :class:`TermFileError`
  also carries its source, line and description as ErrorInfo metadata.
- Anything else is a bug: INTERNAL with the generic message
  ``internal error`` and no details. It is logged with its type and stack
  frames only, never with its message or arguments, which could quote the
  request.

Clients (the frontend client, the admin client, the CLI through them) turn a
failed call back into an exception with :func:`error_from_rpc`: the class the
ErrorInfo reason names, with the server's message (an InvalidInputError
rebuilt from the BadRequest field violation), so exception → status →
exception gives back the class it started from. A status without that
ErrorInfo was made by gRPC itself (server unreachable, deadline, unknown
method) or by a server that sends none; its code alone decides, through the
rows marked ``by_code`` (INVALID_ARGUMENT with a BadRequest is still
InvalidInputError), and a code no row claims gives a plain
:class:`SuggestFilterError`.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable
from typing import NamedTuple, NoReturn, cast

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import (  # type: ignore[import-untyped]
    code_pb2,
    error_details_pb2,
    status_pb2,
)
from grpc_status import rpc_status

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

_LOGGER = logging.getLogger(__name__)

INTERNAL_MESSAGE = "internal error"
"""The message of the INTERNAL status an unexpected exception becomes."""

ERROR_DOMAIN = "suggestfilter"
"""The ``domain`` of every ``google.rpc.ErrorInfo`` this table writes."""

_Code = grpc.StatusCode


class StatusRow(NamedTuple):
    """One row of :data:`STATUS_TABLE`.

    ``by_code``: a status with this code but no ErrorInfo (made by gRPC
    itself, or by a server that sends none) stands for this class; at most
    one row per code says so.
    """

    error: type[SuggestFilterError]
    code: grpc.StatusCode
    reason: str
    by_code: bool


STATUS_TABLE: tuple[StatusRow, ...] = (
    StatusRow(SuggestFilterError, _Code.INTERNAL, "ERROR", by_code=True),
    StatusRow(InvalidInputError, _Code.INVALID_ARGUMENT, "INVALID_INPUT", by_code=False),
    StatusRow(TermFileError, _Code.INVALID_ARGUMENT, "TERM_FILE", by_code=False),
    StatusRow(PolicyError, _Code.INVALID_ARGUMENT, "POLICY", by_code=True),
    StatusRow(AuthError, _Code.UNAUTHENTICATED, "UNAUTHENTICATED", by_code=True),
    StatusRow(PermissionDeniedError, _Code.PERMISSION_DENIED, "PERMISSION_DENIED", by_code=True),
    StatusRow(RateLimitedError, _Code.RESOURCE_EXHAUSTED, "RATE_LIMITED", by_code=True),
    StatusRow(NotServingError, _Code.UNAVAILABLE, "NOT_SERVING", by_code=True),
    # by_code False: gRPC answers UNIMPLEMENTED itself for a method the server lacks
    StatusRow(ReportsNotAcceptedError, _Code.UNIMPLEMENTED, "REPORTS_NOT_ACCEPTED", by_code=False),
    StatusRow(StoreError, _Code.INTERNAL, "STORE", by_code=False),
    StatusRow(NotFoundError, _Code.NOT_FOUND, "NOT_FOUND", by_code=True),
    StatusRow(ConflictError, _Code.FAILED_PRECONDITION, "CONFLICT", by_code=True),
    StatusRow(ChecksumError, _Code.DATA_LOSS, "CHECKSUM", by_code=True),
    StatusRow(StoreUnavailableError, _Code.UNAVAILABLE, "STORE_UNAVAILABLE", by_code=False),
)
"""Every error class, its status code and its ErrorInfo reason (see the module docstring)."""

_ROW_BY_CLASS = {row.error: row for row in STATUS_TABLE}
_ROW_BY_REASON = {row.reason: row for row in STATUS_TABLE}
_ROW_BY_CODE = {row.code: row for row in STATUS_TABLE if row.by_code}
_BASE_ROW = _ROW_BY_CLASS[SuggestFilterError]


def _row(error: SuggestFilterError) -> StatusRow:
    """The row of ``error``'s class, or of its nearest base class that has one."""
    for cls in type(error).__mro__:
        row = _ROW_BY_CLASS.get(cls)
        if row is not None:
            return row
    return _BASE_ROW  # pragma: no cover (every SuggestFilterError has the base in its MRO)


# --- errors to statuses (servers) ----------------------------------------------------------


def code_for_error(error: BaseException) -> grpc.StatusCode:
    """The gRPC status code ``error`` becomes (INTERNAL for an unexpected exception)."""
    if isinstance(error, SuggestFilterError):
        return _row(error).code
    return grpc.StatusCode.INTERNAL


def _packed(message: Message) -> any_pb2.Any:
    detail = any_pb2.Any()
    detail.Pack(message)
    return detail


def rich_status_for_error(error: BaseException) -> status_pb2.Status:
    """The ``google.rpc.Status`` that ``error`` becomes (see the module docstring)."""
    if not isinstance(error, SuggestFilterError):
        return status_pb2.Status(code=code_pb2.INTERNAL, message=INTERNAL_MESSAGE)
    row = _row(error)
    details = []
    if isinstance(error, InvalidInputError):
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=error.field, description=error.description
        )
        details.append(_packed(error_details_pb2.BadRequest(field_violations=[violation])))
    info = error_details_pb2.ErrorInfo(reason=row.reason, domain=ERROR_DOMAIN)
    if isinstance(error, TermFileError):
        info.metadata["source"] = error.source
        info.metadata["line"] = str(error.line)
        info.metadata["description"] = error.description
    details.append(_packed(info))
    return status_pb2.Status(code=int(row.code.value[0]), message=str(error), details=details)


def status_for_error(error: BaseException) -> grpc.Status:
    """The ``grpc.Status`` (code, message, rich-status trailer) that ``error`` becomes."""
    status: grpc.Status = rpc_status.to_status(rich_status_for_error(error))
    return status


def _log_unexpected(error: BaseException, method: str) -> None:
    """Log a bug: the exception's type and stack frames, never its message."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    _LOGGER.error("unexpected %s in %s:\n%s", type(error).__name__, method, frames)


def abort_with_error(context: grpc.ServicerContext, error: BaseException, method: str) -> NoReturn:
    """End the call with the status ``error`` becomes; log it first when it is a bug."""
    if not isinstance(error, SuggestFilterError):
        _log_unexpected(error, method)
    context.abort_with_status(status_for_error(error))
    raise AssertionError("abort_with_status returned")  # pragma: no cover


# --- statuses to errors (clients) ----------------------------------------------------------


def error_from_status(
    code: grpc.StatusCode, message: str, details: Iterable[any_pb2.Any] = ()
) -> SuggestFilterError:
    """The exception a status stands for: the inverse of :data:`STATUS_TABLE`.

    ``message`` is the status message (the server's ``str(error)``) and
    ``details`` the ``google.rpc.Status`` details, if any.
    """
    info: error_details_pb2.ErrorInfo | None = None
    violation: error_details_pb2.BadRequest.FieldViolation | None = None
    for detail in details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR) and info is None:
            candidate = error_details_pb2.ErrorInfo()
            detail.Unpack(candidate)
            if candidate.domain == ERROR_DOMAIN:
                info = candidate
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR) and violation is None:
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            if bad_request.field_violations:
                violation = bad_request.field_violations[0]
    if code is grpc.StatusCode.INVALID_ARGUMENT and violation is not None:
        return InvalidInputError(str(violation.field), str(violation.description))
    row = _ROW_BY_REASON.get(info.reason) if info is not None else None
    if row is None or row.code is not code:
        row = _ROW_BY_CODE.get(code)
    text = message or code.name
    if row is None:
        return SuggestFilterError(text)
    if row.error is InvalidInputError:  # no field violation: the request as a whole
        return InvalidInputError("request", text)
    if row.error is TermFileError:
        assert info is not None  # TERM_FILE is not by_code: only its ErrorInfo selects it
        metadata = info.metadata
        line = metadata.get("line", "0")
        return TermFileError(
            metadata.get("source", ""),
            int(line) if line.isdigit() else 0,
            metadata.get("description", text),
        )
    return row.error(text)


def error_from_rpc(error: grpc.RpcError) -> SuggestFilterError:
    """The exception a failed call stands for (see :func:`error_from_status`)."""
    call = cast(grpc.Call, error)
    code: grpc.StatusCode = call.code()
    message: str = call.details() or ""
    try:
        status = rpc_status.from_call(call)
    except ValueError:  # a rich-status trailer that disagrees with the call's status
        status = None
    return error_from_status(code, message, status.details if status is not None else ())
