"""Exceptions to gRPC statuses: the one place where that mapping happens.

- :class:`InvalidInputError` becomes INVALID_ARGUMENT with a
  ``google.rpc.BadRequest`` detail whose field violation names the field
  (``suggestions[3].text``) and the broken rule.
- Any other :class:`SuggestFilterError` becomes its class's ``grpc_code``
  with ``str(error)`` as the message (those messages are written for
  developers and never carry request text).
- Anything else is a bug: INTERNAL with the generic message
  ``internal error``. It is logged with its type and stack frames only,
  never with its message or arguments, which could quote the request.
"""

from __future__ import annotations

import logging
import traceback
from typing import NoReturn

import grpc
from google.protobuf import any_pb2
from google.rpc import (  # type: ignore[import-untyped]
    code_pb2,
    error_details_pb2,
    status_pb2,
)
from grpc_status import rpc_status

from suggestfilter._errors import InvalidInputError, SuggestFilterError

_LOGGER = logging.getLogger(__name__)

INTERNAL_MESSAGE = "internal error"


def code_for_error(error: BaseException) -> grpc.StatusCode:
    """The gRPC status code ``error`` becomes."""
    if isinstance(error, SuggestFilterError):
        return error.grpc_code
    return grpc.StatusCode.INTERNAL


def rich_status_for_error(error: BaseException) -> status_pb2.Status:
    """The ``google.rpc.Status`` that ``error`` becomes (see the module docstring)."""
    code = code_for_error(error)
    numeric_code = int(code.value[0])
    if isinstance(error, InvalidInputError):
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=error.field, description=error.description
        )
        detail = any_pb2.Any()
        detail.Pack(error_details_pb2.BadRequest(field_violations=[violation]))
        return status_pb2.Status(code=numeric_code, message=str(error), details=[detail])
    if isinstance(error, SuggestFilterError):
        return status_pb2.Status(code=numeric_code, message=str(error))
    return status_pb2.Status(code=code_pb2.INTERNAL, message=INTERNAL_MESSAGE)


def status_for_error(error: BaseException) -> grpc.Status:
    """The ``grpc.Status`` (code, message, rich-status trailer) that ``error`` becomes."""
    status: grpc.Status = rpc_status.to_status(rich_status_for_error(error))
    return status


def log_unexpected(error: BaseException, method: str) -> None:
    """Log a bug: the exception's type and stack frames, never its message."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    _LOGGER.error("unexpected %s in %s:\n%s", type(error).__name__, method, frames)


def abort_with_error(context: grpc.ServicerContext, error: BaseException, method: str) -> NoReturn:
    """End the call with the status ``error`` becomes; log it first when it is a bug."""
    if not isinstance(error, SuggestFilterError):
        log_unexpected(error, method)
    context.abort_with_status(status_for_error(error))
    raise AssertionError("abort_with_status returned")  # pragma: no cover
