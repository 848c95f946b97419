"""The admin gRPC API end to end: a real admin server on loopback over a real SQLite store.

Auth is checked on every RPC of the service (a table of method x credentials);
the safety team's workflow runs through RemoteAdmin (the CLI's --target client);
errors come back as the matching suggestfilter._errors classes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from _pki import write_pki
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from suggestfilter._errors import (
    AuthError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    PolicyError,
    StoreUnavailableError,
    SuggestFilterError,
)
from suggestfilter._model import (
    Action,
    CategoryPolicy,
    EntryKind,
    Intervention,
    MatchMode,
    Policy,
    SuggestionKind,
    TermEntry,
)
from suggestfilter.admin._auth import Role, TokenRegistry
from suggestfilter.admin._client import RemoteAdmin, admin_error
from suggestfilter.admin._ops import ChangeSet, Sample
from suggestfilter.admin._server import create_admin_server
from suggestfilter.admin._servicer import REQUIRED_ROLES, SERVICE_NAME, VIEWER_METHODS
from suggestfilter.store import ReportStatus, VersionState, open_store
from suggestfilter.v1 import admin_pb2, admin_pb2_grpc

EDITOR_TOKEN = "editor-token-for-tests"
VIEWER_TOKEN = "viewer-token-for-tests"

POLICY = Policy(
    categories={
        "profanity": CategoryPolicy(suggestions=Action.BLOCK, query=Action.BLOCK),
        "exploitation": CategoryPolicy(
            suggestions=Action.BLOCK,
            query=Action.INTERVENE,
            interventions={"en": Intervention("Help is available.", "https://example.org/help")},
        ),
    }
)


class AdminServer:
    """A running admin server over a fresh SQLite store."""

    def __init__(self, db: Path) -> None:
        self.db = db
        tokens = TokenRegistry.from_tokens(
            [("alice", Role.EDITOR, EDITOR_TOKEN), ("dash", Role.VIEWER, VIEWER_TOKEN)]
        )
        self.server, self.port = create_admin_server("127.0.0.1:0", str(db), tokens=tokens)
        self.server.start()
        self.target = f"127.0.0.1:{self.port}"

    def admin(self, token: str = EDITOR_TOKEN) -> RemoteAdmin:
        return RemoteAdmin(self.target, token, timeout=30)

    def stop(self) -> None:
        self.server.stop(None).wait()


@pytest.fixture
def admin_server(tmp_path: Path) -> Iterator[AdminServer]:
    server = AdminServer(tmp_path / "store.db")
    yield server
    server.stop()


@pytest.fixture
def editor(admin_server: AdminServer) -> Iterator[RemoteAdmin]:
    with admin_server.admin(EDITOR_TOKEN) as client:
        yield client


@pytest.fixture
def viewer(admin_server: AdminServer) -> Iterator[RemoteAdmin]:
    with admin_server.admin(VIEWER_TOKEN) as client:
        yield client


@pytest.fixture
def channel(admin_server: AdminServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(admin_server.target) as chan:
        yield chan


def entry(term: str, category: str = "profanity", **fields: Any) -> TermEntry:
    return TermEntry(term=term, category=category, **fields)


# --- authentication and roles, on every RPC ------------------------------------------------

SERVICE = admin_pb2.DESCRIPTOR.services_by_name["TermAdminService"]
METHODS = [m.name for m in SERVICE.methods]


def test_every_method_has_a_role_and_viewers_only_read() -> None:
    assert set(REQUIRED_ROLES) == {f"/{SERVICE_NAME}/{name}" for name in METHODS}
    assert set(METHODS) >= VIEWER_METHODS
    editor_only = {name for name in METHODS if name not in VIEWER_METHODS}
    assert editor_only == {
        "ApplyChanges",
        "AddTerms",
        "RemoveTerms",
        "ImportPolicy",
        "DiscardDraft",
        "Publish",
        "Rollback",
        "ResolveReport",
    }


def _invoke(channel: grpc.Channel, name: str, metadata: list[tuple[str, str]] | None) -> None:
    """Call one RPC with an invalid request (version 0, empty ids) and the given metadata."""
    method = SERVICE.methods_by_name[name]
    path = f"/{SERVICE_NAME}/{name}"
    request_class: Any = getattr(admin_pb2, method.input_type.name)
    response_class: Any = getattr(admin_pb2, method.output_type.name)
    request = request_class()
    for field in ("number", "version", "from_version"):
        if field in request_class.DESCRIPTOR.fields_by_name:
            setattr(request, field, 0)  # invalid: versions start at 1
    kwargs: dict[str, Any] = {
        "request_serializer": request_class.SerializeToString,
        "response_deserializer": response_class.FromString,
    }
    if method.client_streaming:
        channel.stream_unary(path, **kwargs)(iter([request]), metadata=metadata, timeout=10)
    elif method.server_streaming:
        list(channel.unary_stream(path, **kwargs)(request, metadata=metadata, timeout=10))
    else:
        channel.unary_unary(path, **kwargs)(request, metadata=metadata, timeout=10)


def _code(channel: grpc.Channel, name: str, metadata: list[tuple[str, str]] | None) -> Any:
    try:
        _invoke(channel, name, metadata)
    except grpc.RpcError as error:
        return error.code()  # type: ignore[attr-defined]
    return grpc.StatusCode.OK


def _bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


@pytest.mark.parametrize("name", METHODS)
def test_no_token_or_unknown_token_is_unauthenticated_before_validation(
    channel: grpc.Channel, name: str
) -> None:
    """Even an invalid request gets UNAUTHENTICATED: nothing is learned without a token."""
    for metadata in (None, _bearer("not-a-token"), [("authorization", "Basic abc")]):
        assert _code(channel, name, metadata) == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("name", METHODS)
def test_viewer_is_denied_every_change(channel: grpc.Channel, name: str) -> None:
    code = _code(channel, name, _bearer(VIEWER_TOKEN))
    if name in VIEWER_METHODS:
        assert code not in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)
    else:
        assert code == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize("name", METHODS)
def test_editor_passes_auth_everywhere(channel: grpc.Channel, name: str) -> None:
    code = _code(channel, name, _bearer(EDITOR_TOKEN))
    assert code not in (
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNIMPLEMENTED,
    )


def test_health_needs_no_token(channel: grpc.Channel) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    for service in ("", SERVICE_NAME):
        response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
        assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_needs_no_token(admin_server: AdminServer) -> None:
    beside_python = Path(sys.executable).parent / "grpcurl"
    binary = str(beside_python) if beside_python.is_file() else shutil.which("grpcurl")
    if binary is None:
        pytest.skip("grpcurl is not installed")
    result = subprocess.run(
        [binary, "-plaintext", admin_server.target, "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert SERVICE_NAME in result.stdout.split()
    assert "grpc.health.v1.Health" in result.stdout.split()


# --- the workflow through RemoteAdmin ------------------------------------------------------


def test_import_publish_explain_rollback_workflow(editor: RemoteAdmin, viewer: RemoteAdmin) -> None:
    assert editor.status().published is None
    first = editor.import_policy(POLICY, reason="initial policy")
    assert first.version.state is VersionState.DRAFT
    assert editor.policy() == POLICY

    # More entries than one AddTerms batch: the stream is stored as one draft.
    many = [entry(f"zorblax{i}") for i in range(2500)]
    added = editor.add_terms([*many, entry("badword")], reason="import")
    assert added.added == 2501
    assert added.version.term_count == 2501
    assert editor.status().draft == added.version.number

    published = editor.publish(reason="go live")
    assert published.state is VersionState.PUBLISHED
    assert viewer.status().published == published.number
    entries = viewer.entries()
    assert len(entries) == 2501
    assert {e.term for e in entries} >= {"badword", "zorblax0", "zorblax2499"}
    assert viewer.entries(category="exploitation") == []

    explanation, terms = viewer.explain_with_terms("free b4dw0rd videos")
    assert explanation.suggestion_verdict.action is Action.BLOCK
    [match] = explanation.matches
    assert "free b4dw0rd videos"[match.start : match.end] == "b4dw0rd"
    assert match.category == "profanity"
    assert match.kind is EntryKind.BLOCK and match.match is MatchMode.WORD
    assert terms == {match.rule_id: "badword"}
    assert viewer.explain("free videos").matches == ()

    removed = editor.remove_terms(["badword"], reason="false positive")
    assert removed.removed == 1
    diff = viewer.diff()
    assert [e.term for e in diff.removed] == ["badword"]
    assert diff.from_version == published.number
    dry = viewer.dry_run([Sample("badword"), Sample("zorblax7"), Sample("hello")])
    assert dry.total == 3
    assert [item.sample.text for item in dry.newly_unblocked] == ["badword"]
    assert dry.newly_blocked == ()

    second = editor.publish(reason="drop badword", expected_draft=removed.version.number)
    assert editor.rollback(published.number, reason="undo").number == published.number
    assert viewer.status().published == published.number
    states = {v.number: v.state for v in viewer.versions()}
    assert states[second.number] is VersionState.RETIRED
    assert viewer.version(published.number).checksum == published.checksum

    audit = viewer.audit(limit=20)
    assert {r.action for r in audit} >= {"publish", "rollback", "change", "policy-import"}
    assert {r.actor for r in audit} == {"alice"}  # the token's name, never the token
    assert len(viewer.audit(limit=2)) == 2
    older = viewer.audit(limit=100, before_id=audit[0].id)
    assert all(r.id < audit[0].id for r in older)


def test_apply_changes_and_discard(editor: RemoteAdmin) -> None:
    editor.import_policy(POLICY, reason="policy")
    result = editor.apply_changes(
        ChangeSet(
            add=(entry("badword"), entry("safeword", kind=EntryKind.ALLOW)),
            set_policies=(("spam", CategoryPolicy(suggestions=Action.BLOCK, query=Action.ALLOW)),),
        ),
        reason="batch",
    )
    assert (result.added, result.policies_changed) == (2, 1)
    assert set(editor.policy().categories) == {"profanity", "exploitation", "spam"}
    assert {e.kind for e in editor.entries()} == {EntryKind.BLOCK, EntryKind.ALLOW}
    discarded = editor.discard_draft(reason="never mind")
    assert discarded.state is VersionState.SUPERSEDED
    assert editor.status().draft is None


def test_reports_grouped_promoted_and_dismissed(
    admin_server: AdminServer, editor: RemoteAdmin, viewer: RemoteAdmin
) -> None:
    editor.import_policy(POLICY, reason="policy")
    editor.add_terms([entry("badword")], reason="seed")
    editor.publish(reason="live")
    store = open_store(str(admin_server.db))
    try:
        for reporter, text in [("u1", "Zorblax"), ("u2", "zorblax"), ("u3", "#quuxly")]:
            store.add_report(text, SuggestionKind.HASHTAG, "en", "harmful", reporter)
    finally:
        store.close()
    groups = viewer.report_groups()
    assert [(g.folded, g.count) for g in groups] == [("zorblax", 2), ("quuxly", 1)]
    zorblax, quuxly = groups
    assert zorblax.reporters == 2 and zorblax.status is ReportStatus.OPEN

    draft = editor.resolve_report(
        zorblax.group_id, ReportStatus.PROMOTED, reason="confirmed", category="profanity"
    )
    assert draft is not None and draft.state is VersionState.DRAFT
    assert "zorblax" in {e.term.lower() for e in editor.entries()}
    assert editor.resolve_report(quuxly.group_id, ReportStatus.DISMISSED, reason="fine") is None
    assert viewer.report_groups() == []
    assert {g.status for g in viewer.report_groups(status=None)} == {
        ReportStatus.PROMOTED,
        ReportStatus.DISMISSED,
    }


# --- errors come back as the matching classes ------------------------------------------------

ERROR_CASES = [
    # (name, call, expected class, text in the message)
    ("unknown version", lambda a: a.version(99), NotFoundError, "99"),
    ("publish without draft", lambda a: a.publish(reason="x"), ConflictError, ""),
    (
        "unknown category",
        lambda a: a.add_terms([entry("badword", "nosuch")], reason="x"),
        PolicyError,
        "nosuch",
    ),
    ("rollback to nothing", lambda a: a.rollback(42, reason="x"), NotFoundError, ""),
    (
        "resolve unknown report",
        lambda a: a.resolve_report("nope", ReportStatus.DISMISSED, reason="x"),
        NotFoundError,
        "",
    ),
]


@pytest.mark.parametrize(
    ("name", "call", "expected", "text"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES]
)
def test_store_errors_map_to_their_classes(
    editor: RemoteAdmin, name: str, call: Any, expected: type[Exception], text: str
) -> None:
    editor.import_policy(POLICY, reason="policy")
    if name == "publish without draft":
        editor.publish(reason="first")
    with pytest.raises(expected) as raised:
        call(editor)
    assert type(raised.value) is expected
    assert text in str(raised.value)


INVALID_CASES = [
    # (call, field)
    (lambda a: a.version(0), "number"),
    (lambda a: a.entries(version=0), "version"),
    (lambda a: a.diff(0, None), "from_version"),
    (
        lambda a: a.add_terms([entry("ok"), TermEntry(term=" ", category="profanity")], reason="x"),
        "entries[1].term",
    ),
    (lambda a: a.add_terms([], reason="x"), "entries"),
    (lambda a: a.apply_changes(ChangeSet(add=(entry("x", ""),)), reason="x"), "add[0].category"),
    (lambda a: a.remove_terms([], reason="x"), "names"),
    (lambda a: a.audit(limit=10**6), "limit"),
    (lambda a: a.resolve_report("g", ReportStatus.PROMOTED, reason="x"), "category"),
    (lambda a: a.resolve_report("g", ReportStatus.OPEN, reason="x"), "decision"),
    (lambda a: a.resolve_report("", ReportStatus.DISMISSED, reason="x"), "group_id"),
    (lambda a: a.rollback(0, reason="x"), "version"),
]


@pytest.mark.parametrize(("call", "field"), INVALID_CASES, ids=[c[1] for c in INVALID_CASES])
def test_bad_input_is_invalid_argument_naming_the_field(
    editor: RemoteAdmin, call: Any, field: str
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        call(editor)
    assert raised.value.field == field


def test_bad_request_detail_on_the_wire(channel: grpc.Channel) -> None:
    stub = admin_pb2_grpc.TermAdminServiceStub(channel)  # type: ignore[no-untyped-call]
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetVersion(
            admin_pb2.GetVersionRequest(number=0), metadata=_bearer(VIEWER_TOKEN), timeout=10
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    status = rpc_status.from_call(raised.value)  # type: ignore[arg-type]
    assert status is not None
    request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(request)
    assert request.field_violations[0].field == "number"


def test_roles_and_tokens_come_back_as_auth_errors(admin_server: AdminServer) -> None:
    with admin_server.admin(VIEWER_TOKEN) as viewer, pytest.raises(PermissionDeniedError):
        viewer.publish(reason="x")
    with admin_server.admin("wrong-token") as stranger:
        with pytest.raises(AuthError) as raised:
            stranger.status()
        assert type(raised.value) is AuthError
        assert "wrong-token" not in str(raised.value)
    with pytest.raises(AuthError):
        RemoteAdmin(admin_server.target, "")


def test_unreachable_server_is_one_clean_error(free_port: int) -> None:
    with (
        RemoteAdmin(f"127.0.0.1:{free_port}", "tok", timeout=5) as admin,
        pytest.raises(StoreUnavailableError, match="unavailable"),
    ):
        admin.status()


class _FakeRpcError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        self._code = code
        self._details = details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> tuple[()]:
        return ()


CODE_CASES = [
    (grpc.StatusCode.UNAUTHENTICATED, AuthError),
    (grpc.StatusCode.PERMISSION_DENIED, PermissionDeniedError),
    (grpc.StatusCode.NOT_FOUND, NotFoundError),
    (grpc.StatusCode.FAILED_PRECONDITION, ConflictError),
    (grpc.StatusCode.INVALID_ARGUMENT, PolicyError),  # no BadRequest detail
    (grpc.StatusCode.UNAVAILABLE, StoreUnavailableError),
    (grpc.StatusCode.INTERNAL, SuggestFilterError),
]


@pytest.mark.parametrize(("code", "expected"), CODE_CASES, ids=[c[0].name for c in CODE_CASES])
def test_status_codes_map_to_error_classes(
    code: grpc.StatusCode, expected: type[SuggestFilterError]
) -> None:
    error = admin_error(_FakeRpcError(code, "why"), "host:1")
    assert type(error) is expected
    assert "why" in str(error)


# --- TLS and mutual TLS -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    pytest.importorskip("cryptography")
    directory = tmp_path_factory.mktemp("pki")
    return {"good": write_pki(directory, "good"), "rogue": write_pki(directory, "rogue")}


def _tls_server(tmp_path: Path, files: dict[str, Path], *, mutual: bool) -> tuple[Any, str]:
    from suggestfilter.rpc._tls import TlsFiles

    credentials = TlsFiles.read(
        files["server_cert"], files["server_key"], files["ca"] if mutual else None
    ).server_credentials()
    tokens = TokenRegistry.from_tokens([("alice", Role.EDITOR, EDITOR_TOKEN)])
    server, port = create_admin_server(
        "127.0.0.1:0", str(tmp_path / "tls.db"), tokens=tokens, credentials=credentials
    )
    server.start()
    return server, f"localhost:{port}"


TLS_CASES = [
    # (mutual, client options by PKI name, works)
    (False, {"tls_ca": ("good", "ca")}, True),
    (False, {}, False),  # plaintext client, TLS server
    (False, {"tls_ca": ("rogue", "ca")}, False),  # server cert not trusted
    (True, {"tls_ca": ("good", "ca")}, False),  # no client cert
    (
        True,
        {
            "tls_ca": ("good", "ca"),
            "tls_cert": ("good", "client_cert"),
            "tls_key": ("good", "client_key"),
        },
        True,
    ),
    (
        True,
        {
            "tls_ca": ("good", "ca"),
            "tls_cert": ("rogue", "client_cert"),
            "tls_key": ("rogue", "client_key"),
        },
        False,  # client cert from another CA
    ),
]


@pytest.mark.parametrize(
    ("mutual", "options", "works"),
    TLS_CASES,
    ids=["tls", "plaintext-client", "untrusted-server", "mtls-no-cert", "mtls", "mtls-rogue"],
)
def test_tls_and_mutual_tls(
    tmp_path: Path,
    pki: dict[str, dict[str, Path]],
    mutual: bool,
    options: dict[str, tuple[str, str]],
    works: bool,
) -> None:
    server, target = _tls_server(tmp_path, pki["good"], mutual=mutual)
    try:
        paths = {option: pki[name][file] for option, (name, file) in options.items()}
        with RemoteAdmin(target, EDITOR_TOKEN, timeout=10, **paths) as admin:
            if works:
                assert admin.status().published is None
            else:
                with pytest.raises(StoreUnavailableError):
                    admin.status()
    finally:
        server.stop(None).wait()


def test_mutual_tls_needs_cert_and_key_together(pki: dict[str, dict[str, Path]]) -> None:
    with pytest.raises(SuggestFilterError, match="both"):
        RemoteAdmin("localhost:1", EDITOR_TOKEN, tls_cert=pki["good"]["client_cert"])


@pytest.mark.postgres
def test_workflow_on_postgresql(postgres_dsn: str) -> None:
    tokens = TokenRegistry.from_tokens([("alice", Role.EDITOR, EDITOR_TOKEN)])
    server, port = create_admin_server("127.0.0.1:0", postgres_dsn, tokens=tokens)
    server.start()
    try:
        with RemoteAdmin(f"127.0.0.1:{port}", EDITOR_TOKEN, timeout=30) as admin:
            admin.import_policy(POLICY, reason="policy")
            admin.add_terms([entry("badword"), entry("zorblax", "exploitation")], reason="seed")
            published = admin.publish(reason="live")
            assert admin.status().published == published.number
            assert {e.term for e in admin.entries()} == {"badword", "zorblax"}
            assert {r.actor for r in admin.audit()} == {"alice"}
    finally:
        server.stop(None).wait()
