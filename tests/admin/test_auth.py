"""Token registry parsing, constant-time lookup, and the auth interceptor on a real server.

The interceptor is exercised on a real gRPC server with a tiny byte-echo service
(one unary and one streaming method) beside the real health and reflection
services; tests/test_admin_api.py checks it again on the admin service itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from suggestfilter._errors import AuthError, PermissionDeniedError
from suggestfilter.admin._auth import (
    TOKENS_ENV,
    AuthInterceptor,
    Principal,
    Role,
    TokenRegistry,
    bearer_token,
    current_principal,
)
from suggestfilter.rpc._status import error_from_rpc

EDITOR_TOKEN = "editor-secret-1"
VIEWER_TOKEN = "viewer-secret-2"


def sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- registry sources --------------------------------------------------------------------

ENV_CASES = [
    # (value, token, expected principal)
    pytest.param("alice:editor:tok1", "tok1", Principal("alice", Role.EDITOR), id="one-item"),
    pytest.param(
        "alice:editor:tok1,bob:viewer:tok2",
        "tok2",
        Principal("bob", Role.VIEWER),
        id="second-of-two-items",
    ),
    pytest.param("editor:tok3", "tok3", Principal("editor", Role.EDITOR), id="role-and-token-only"),
    pytest.param(
        "viewer:tok:with:colons",
        "tok:with:colons",
        Principal("viewer", Role.VIEWER),
        id="colons-in-token",
    ),
    pytest.param(
        " carol:viewer:tok4 , ",
        "tok4",
        Principal("carol", Role.VIEWER),
        id="spaces-and-trailing-comma",
    ),
]


@pytest.mark.parametrize(("value", "token", "expected"), ENV_CASES)
def test_env_format(value: str, token: str, expected: Principal) -> None:
    assert TokenRegistry.parse_env(value).authenticate(token) == expected


MALFORMED_ENV = [
    "alice:admin:s3cr3t",  # unknown role
    "alice:editor:",  # empty token
    "alice",  # no role
    "al ice:editor:s3cr3t",  # bad name
]


@pytest.mark.parametrize("value", MALFORMED_ENV)
def test_malformed_env_is_refused_without_echoing_the_token(value: str) -> None:
    with pytest.raises(AuthError) as raised:
        TokenRegistry.parse_env(value)
    assert "item 1" in str(raised.value)
    assert "s3cr3t" not in str(raised.value)


def test_file_format_with_comments(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text(
        "# name role sha256\n"
        f"alice editor {sha(EDITOR_TOKEN)}  # the lead\n"
        "\n"
        f"dash  viewer {sha(VIEWER_TOKEN).upper()}\n"
    )
    registry = TokenRegistry.from_env_or_file(path, environ={})
    assert len(registry) == 2
    assert registry.authenticate(EDITOR_TOKEN) == Principal("alice", Role.EDITOR)
    assert registry.authenticate(VIEWER_TOKEN) == Principal("dash", Role.VIEWER)


MALFORMED_FILE = [
    pytest.param(f"alice editor {sha('x')} extra", id="extra-field"),
    pytest.param(f"alice owner {sha('x')}", id="unknown-role"),
    pytest.param("alice editor not-a-digest", id="not-a-digest"),
    pytest.param("alice editor", id="no-digest"),
]


@pytest.mark.parametrize("line", MALFORMED_FILE)
def test_malformed_file_line_is_named(line: str, tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text(f"# header\n{line}\n")
    with pytest.raises(AuthError, match=r"tokens:2: expected NAME ROLE SHA256HEX"):
        TokenRegistry.from_env_or_file(path, environ={})


def test_file_and_env_are_merged(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text(f"alice editor {sha(EDITOR_TOKEN)}\n")
    registry = TokenRegistry.from_env_or_file(
        path, environ={TOKENS_ENV: f"bob:viewer:{VIEWER_TOKEN}"}
    )
    assert registry.authenticate(EDITOR_TOKEN).name == "alice"
    assert registry.authenticate(VIEWER_TOKEN).name == "bob"


def test_missing_file_is_one_clean_error(tmp_path: Path) -> None:
    with pytest.raises(AuthError, match="cannot read tokens file"):
        TokenRegistry.from_env_or_file(tmp_path / "absent", environ={})


def test_no_source_gives_an_empty_registry_that_refuses_everything() -> None:
    registry = TokenRegistry.from_env_or_file(None, environ={})
    assert len(registry) == 0
    with pytest.raises(AuthError):
        registry.authenticate("")


@pytest.mark.parametrize("token", ["", "editor-secret", "editor-secret-1 ", "EDITOR-SECRET-1"])
def test_near_misses_are_unknown(token: str) -> None:
    registry = TokenRegistry.from_tokens([("alice", Role.EDITOR, EDITOR_TOKEN)])
    with pytest.raises(AuthError, match="unknown token"):
        registry.authenticate(token)


def test_registry_keeps_only_digests() -> None:
    registry = TokenRegistry.from_tokens([("alice", Role.EDITOR, EDITOR_TOKEN)])
    assert EDITOR_TOKEN not in repr(registry)
    assert all(EDITOR_TOKEN.encode() not in digest for digest, _ in registry._entries)


ROLE_CASES = [
    pytest.param(Role.VIEWER, Role.VIEWER, True, id="viewer-for-viewer"),
    pytest.param(Role.VIEWER, Role.EDITOR, False, id="viewer-for-editor"),
    pytest.param(Role.EDITOR, Role.VIEWER, True, id="editor-for-viewer"),
    pytest.param(Role.EDITOR, Role.EDITOR, True, id="editor-for-editor"),
]


@pytest.mark.parametrize(("held", "required", "allowed"), ROLE_CASES)
def test_role_order(held: Role, required: Role, allowed: bool) -> None:
    assert held.allows(required) is allowed


BEARER_CASES = [
    pytest.param([("authorization", "Bearer abc")], "abc", id="bearer"),
    pytest.param([("authorization", "bearer abc ")], "abc", id="lowercase-scheme-trailing-space"),
    pytest.param([("Authorization", "Bearer abc")], "abc", id="capitalised-key"),
    pytest.param([("authorization", "Basic abc")], None, id="basic-scheme"),
    pytest.param([("authorization", "Bearer ")], None, id="empty-token"),
    pytest.param([("x-other", "Bearer abc")], None, id="other-header"),
    pytest.param([], None, id="no-headers"),
    pytest.param(None, None, id="no-metadata"),
]


@pytest.mark.parametrize(("metadata", "token"), BEARER_CASES)
def test_bearer_token(metadata: list[tuple[str, str]] | None, token: str | None) -> None:
    assert bearer_token(metadata) == token


# --- the interceptor on a real server ----------------------------------------------------

READ = "/test.Probe/Read"
WRITE = "/test.Probe/Write"
WATCH = "/test.Probe/Watch"
ROLES = {READ: Role.VIEWER, WRITE: Role.EDITOR, WATCH: Role.VIEWER}


def _whoami(_request: bytes, _context: grpc.ServicerContext) -> bytes:
    principal = current_principal()
    return f"{principal.name}:{principal.role}".encode()


def _watch(_request: bytes, _context: grpc.ServicerContext) -> Iterator[bytes]:
    principal = current_principal()
    for _ in range(2):
        yield principal.name.encode()


@pytest.fixture(scope="module")
def channel() -> Iterator[grpc.Channel]:
    registry = TokenRegistry.from_tokens(
        [("alice", Role.EDITOR, EDITOR_TOKEN), ("dash", Role.VIEWER, VIEWER_TOKEN)]
    )
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=2),
        interceptors=[AuthInterceptor(registry, ROLES)],
    )
    handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {
        "Read": grpc.unary_unary_rpc_method_handler(_whoami),
        "Write": grpc.unary_unary_rpc_method_handler(_whoami),
        "Unlisted": grpc.unary_unary_rpc_method_handler(_whoami),
        "Watch": grpc.unary_stream_rpc_method_handler(_watch),
    }
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Probe", handlers)])
    health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as chan:
        yield chan
    server.stop(None)


def _bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


CALL_CASES = [
    # (method, metadata, expected code or reply)
    pytest.param(READ, None, grpc.StatusCode.UNAUTHENTICATED, id="read-no-token"),
    pytest.param(
        READ,
        [("authorization", "Basic xyz")],
        grpc.StatusCode.UNAUTHENTICATED,
        id="read-basic-scheme",
    ),
    pytest.param(READ, _bearer("wrong"), grpc.StatusCode.UNAUTHENTICATED, id="read-unknown-token"),
    pytest.param(WRITE, None, grpc.StatusCode.UNAUTHENTICATED, id="write-no-token"),
    pytest.param(READ, _bearer(VIEWER_TOKEN), b"dash:viewer", id="read-as-viewer"),
    pytest.param(READ, _bearer(EDITOR_TOKEN), b"alice:editor", id="read-as-editor"),
    pytest.param(
        WRITE, _bearer(VIEWER_TOKEN), grpc.StatusCode.PERMISSION_DENIED, id="write-as-viewer"
    ),
    pytest.param(WRITE, _bearer(EDITOR_TOKEN), b"alice:editor", id="write-as-editor"),
    pytest.param(
        "/test.Probe/Unlisted",
        _bearer(VIEWER_TOKEN),
        grpc.StatusCode.PERMISSION_DENIED,
        id="unlisted-as-viewer",
    ),
    pytest.param(
        "/test.Probe/Unlisted", _bearer(EDITOR_TOKEN), b"alice:editor", id="unlisted-as-editor"
    ),
]

# A refusal is the status of an AuthError or PermissionDeniedError, from the one status table.
REFUSAL_CLASSES = {
    grpc.StatusCode.UNAUTHENTICATED: AuthError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
}


@pytest.mark.parametrize(("method", "metadata", "expected"), CALL_CASES)
def test_unary_calls(
    channel: grpc.Channel,
    method: str,
    metadata: list[tuple[str, str]] | None,
    expected: grpc.StatusCode | bytes,
) -> None:
    call = channel.unary_unary(method)
    if isinstance(expected, bytes):
        assert call(b"", metadata=metadata, timeout=10) == expected
        return
    with pytest.raises(grpc.RpcError) as raised:
        call(b"", metadata=metadata, timeout=10)
    assert raised.value.code() == expected
    assert VIEWER_TOKEN not in str(raised.value.details())
    assert type(error_from_rpc(raised.value)) is REFUSAL_CLASSES[expected]
    status = rpc_status.from_call(raised.value)
    assert status is not None  # the rich status of the table, with its ErrorInfo
    assert any(detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR) for detail in status.details)


def test_streaming_call_sees_principal_and_is_refused_without_token(
    channel: grpc.Channel,
) -> None:
    call = channel.unary_stream(WATCH)
    assert list(call(b"", metadata=_bearer(VIEWER_TOKEN), timeout=10)) == [b"dash", b"dash"]
    with pytest.raises(grpc.RpcError) as raised:
        list(call(b"", timeout=10))
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_refused_request_is_never_parsed(channel: grpc.Channel) -> None:
    """Garbage bodies get UNAUTHENTICATED, not a parse error: nothing is learned."""
    call = channel.unary_unary(READ)
    with pytest.raises(grpc.RpcError) as raised:
        call(b"\xff\xff\xff", timeout=10)
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_health_needs_no_token(channel: grpc.Channel) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    response = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
    assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_current_principal_outside_a_call_is_an_error() -> None:
    with pytest.raises(AuthError):
        current_principal()
