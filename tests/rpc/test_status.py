"""The one table from exceptions to gRPC statuses, and its inverse used by every client."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from collections import Counter

import grpc
import pytest
import suggestfilter._errors as errors_module
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2
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
from suggestfilter.rpc._status import (
    ERROR_DOMAIN,
    INTERNAL_MESSAGE,
    STATUS_TABLE,
    error_from_rpc,
    error_from_status,
    rich_status_for_error,
    status_for_error,
)
from suggestfilter.store import StaleDraftError


class _FailedCall(grpc.RpcError):
    """A failed call as a client sees it, carrying the status a server sent."""

    def __init__(self, status: grpc.Status) -> None:
        self._status = status

    def code(self) -> grpc.StatusCode:
        return self._status.code  # type: ignore[no-any-return]

    def details(self) -> str:
        return self._status.details  # type: ignore[no-any-return]

    def trailing_metadata(self) -> tuple[tuple[str, bytes], ...]:
        return tuple(self._status.trailing_metadata)


class _PlainStatus(grpc.Status):  # type: ignore[misc]
    """A status with no rich-status trailer, as gRPC itself makes them."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        self.code = code
        self.details = details
        self.trailing_metadata = ()


# -- errors to statuses -----------------------------------------------------------------

STATUS_CASES = [
    # error, code, message
    pytest.param(
        NotServingError("no list"), grpc.StatusCode.UNAVAILABLE, "no list", id="not-serving"
    ),
    pytest.param(
        RateLimitedError("slow down"),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "slow down",
        id="rate-limited",
    ),
    pytest.param(
        StoreUnavailableError("down"), grpc.StatusCode.UNAVAILABLE, "down", id="store-unavailable"
    ),
    pytest.param(NotFoundError("gone"), grpc.StatusCode.NOT_FOUND, "gone", id="not-found"),
    pytest.param(ConflictError("busy"), grpc.StatusCode.FAILED_PRECONDITION, "busy", id="conflict"),
    pytest.param(
        StaleDraftError("moved on"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "moved on",
        id="subclass-takes-its-base-row",
    ),
    pytest.param(ChecksumError("bad sum"), grpc.StatusCode.DATA_LOSS, "bad sum", id="checksum"),
    pytest.param(StoreError("broken"), grpc.StatusCode.INTERNAL, "broken", id="store"),
    pytest.param(AuthError("who"), grpc.StatusCode.UNAUTHENTICATED, "who", id="auth"),
    pytest.param(
        PermissionDeniedError("no"),
        grpc.StatusCode.PERMISSION_DENIED,
        "no",
        id="permission-denied",
    ),
    pytest.param(
        PolicyError("bad policy"), grpc.StatusCode.INVALID_ARGUMENT, "bad policy", id="policy"
    ),
    pytest.param(
        TermFileError("f", 3, "bad"), grpc.StatusCode.INVALID_ARGUMENT, "f:3: bad", id="term-file"
    ),
    pytest.param(
        ReportsNotAcceptedError("no reports"),
        grpc.StatusCode.UNIMPLEMENTED,
        "no reports",
        id="reports-not-accepted",
    ),
    pytest.param(SuggestFilterError("base"), grpc.StatusCode.INTERNAL, "base", id="base"),
]


@pytest.mark.parametrize(("error", "code", "message"), STATUS_CASES)
def test_errors_map_to_their_status(error: Exception, code: grpc.StatusCode, message: str) -> None:
    status = status_for_error(error)
    assert (status.code, status.details) == (code, message)
    rich = rich_status_for_error(error)
    assert (rich.code, rich.message) == (code.value[0], message)
    (detail,) = rich.details  # no BadRequest: only the ErrorInfo naming the class
    info = error_details_pb2.ErrorInfo()
    assert detail.Unpack(info)
    assert info.domain == ERROR_DOMAIN and info.reason


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(ValueError("privacy-probe"), id="value-error"),
        pytest.param(KeyError("privacy-probe"), id="key-error"),
    ],
)
def test_unexpected_errors_are_internal_without_their_message(error: Exception) -> None:
    status = status_for_error(error)
    assert (status.code, status.details) == (grpc.StatusCode.INTERNAL, INTERNAL_MESSAGE)
    rich = rich_status_for_error(error)
    assert (rich.code, rich.message) == (code_pb2.INTERNAL, INTERNAL_MESSAGE)
    assert list(rich.details) == []
    back = error_from_rpc(_FailedCall(status))
    assert type(back) is SuggestFilterError and str(back) == INTERNAL_MESSAGE


def test_invalid_input_carries_a_bad_request_field_violation() -> None:
    error = InvalidInputError("suggestions[3].text", "at most 512 characters")
    status = status_for_error(error)
    assert status.code is grpc.StatusCode.INVALID_ARGUMENT
    assert status.details == "suggestions[3].text: at most 512 characters"
    rich = rich_status_for_error(error)
    assert rich.code == code_pb2.INVALID_ARGUMENT
    bad_request = error_details_pb2.BadRequest()
    assert rich.details[0].Unpack(bad_request)
    violation = bad_request.field_violations[0]
    assert (violation.field, violation.description) == (
        "suggestions[3].text",
        "at most 512 characters",
    )
    assert rich.details[1].Is(error_details_pb2.ErrorInfo.DESCRIPTOR)
    ((key, value),) = status.trailing_metadata
    assert key == "grpc-status-details-bin" and value == rich.SerializeToString()


# -- the table and its inverse ------------------------------------------------------------


def _error_classes() -> list[type[SuggestFilterError]]:
    return [
        cls
        for _, cls in inspect.getmembers(errors_module, inspect.isclass)
        if issubclass(cls, SuggestFilterError) and cls.__module__ == errors_module.__name__
    ]


def test_every_error_class_has_one_row() -> None:
    assert sorted(c.__name__ for c in _error_classes()) == sorted(
        row.error.__name__ for row in STATUS_TABLE
    )
    assert len({row.error for row in STATUS_TABLE}) == len(STATUS_TABLE)


def test_reasons_are_unique_and_each_code_alone_names_at_most_one_class() -> None:
    reasons = [row.reason for row in STATUS_TABLE]
    assert len(set(reasons)) == len(reasons)
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*[A-Z0-9]", reason) for reason in reasons)
    by_code = Counter(row.code for row in STATUS_TABLE if row.by_code)
    assert max(by_code.values()) == 1


ROUND_TRIPS = [
    pytest.param(SuggestFilterError("base"), id="SuggestFilterError"),
    pytest.param(
        InvalidInputError("suggestions[3].text", "at most 512 characters"), id="InvalidInputError"
    ),
    pytest.param(TermFileError("terms.csv", 7, "unknown match mode"), id="TermFileError"),
    pytest.param(TermFileError("terms.txt", 0, "cannot read"), id="TermFileError-no-line"),
    pytest.param(PolicyError("category x: unknown action"), id="PolicyError"),
    pytest.param(AuthError("unknown token"), id="AuthError"),
    pytest.param(PermissionDeniedError("Publish needs the editor role"), id="PermissionDenied"),
    pytest.param(RateLimitedError("too many reports"), id="RateLimitedError"),
    pytest.param(NotServingError("no term list is loaded yet"), id="NotServingError"),
    pytest.param(ReportsNotAcceptedError("no report store"), id="ReportsNotAcceptedError"),
    pytest.param(StoreError("the store failed"), id="StoreError"),
    pytest.param(NotFoundError("no version 7"), id="NotFoundError"),
    pytest.param(ConflictError("no draft to publish"), id="ConflictError"),
    pytest.param(ChecksumError("version 3 does not verify"), id="ChecksumError"),
    pytest.param(StoreUnavailableError("database unreachable"), id="StoreUnavailableError"),
]


def test_round_trips_cover_every_class() -> None:
    covered = {type(param.values[0]) for param in ROUND_TRIPS}
    assert covered == set(_error_classes())


@pytest.mark.parametrize("error", ROUND_TRIPS)
def test_every_error_round_trips_through_its_status(error: SuggestFilterError) -> None:
    back = error_from_rpc(_FailedCall(status_for_error(error)))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert vars(back) == vars(error)  # InvalidInputError: field; TermFileError: source, line


def test_a_subclass_comes_back_as_its_base() -> None:
    back = error_from_rpc(_FailedCall(status_for_error(StaleDraftError("moved on"))))
    assert type(back) is ConflictError and str(back) == "moved on"


CODE_ALONE = [
    # a status without ErrorInfo: made by gRPC itself, or by a server that sends none
    pytest.param(grpc.StatusCode.UNAVAILABLE, NotServingError, id="unavailable"),
    pytest.param(grpc.StatusCode.INVALID_ARGUMENT, PolicyError, id="invalid-argument"),
    pytest.param(grpc.StatusCode.UNAUTHENTICATED, AuthError, id="unauthenticated"),
    pytest.param(grpc.StatusCode.PERMISSION_DENIED, PermissionDeniedError, id="permission-denied"),
    pytest.param(grpc.StatusCode.RESOURCE_EXHAUSTED, RateLimitedError, id="resource-exhausted"),
    pytest.param(grpc.StatusCode.NOT_FOUND, NotFoundError, id="not-found"),
    pytest.param(grpc.StatusCode.FAILED_PRECONDITION, ConflictError, id="failed-precondition"),
    pytest.param(grpc.StatusCode.DATA_LOSS, ChecksumError, id="data-loss"),
    pytest.param(grpc.StatusCode.INTERNAL, SuggestFilterError, id="internal"),
    pytest.param(grpc.StatusCode.UNIMPLEMENTED, SuggestFilterError, id="unknown-method"),
    pytest.param(grpc.StatusCode.DEADLINE_EXCEEDED, SuggestFilterError, id="deadline"),
    pytest.param(grpc.StatusCode.CANCELLED, SuggestFilterError, id="cancelled"),
]


@pytest.mark.parametrize(("code", "expected"), CODE_ALONE)
def test_a_status_without_error_info_maps_by_its_code(
    code: grpc.StatusCode, expected: type[SuggestFilterError]
) -> None:
    back = error_from_rpc(_FailedCall(_PlainStatus(code, "why")))
    assert type(back) is expected
    assert str(back) == "why"
    assert str(error_from_status(code, "")) == code.name  # no message: the code names it


def test_a_bad_request_without_error_info_is_invalid_input() -> None:
    violation = error_details_pb2.BadRequest.FieldViolation(field="locale", description="bad tag")
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.BadRequest(field_violations=[violation]))
    back = error_from_status(grpc.StatusCode.INVALID_ARGUMENT, "locale: bad tag", [detail])
    assert isinstance(back, InvalidInputError)
    assert (back.field, back.description) == ("locale", "bad tag")


def test_error_info_of_another_domain_is_ignored() -> None:
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.ErrorInfo(reason="NOT_SERVING", domain="example.com"))
    back = error_from_status(grpc.StatusCode.NOT_FOUND, "gone", [detail])
    assert type(back) is NotFoundError


# -- the engine API imports no transport ----------------------------------------------------


def test_importing_the_engine_api_does_not_import_grpc() -> None:
    code = (
        "import sys, suggestfilter, suggestfilter.engine\n"
        "assert 'grpc' not in sys.modules, 'grpc imported'\n"
        "import suggestfilter.rpc._status\n"
        "assert 'grpc' in sys.modules\n"  # the check itself can see an import
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
