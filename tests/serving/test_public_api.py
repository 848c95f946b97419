"""The public gRPC API served in process: verdicts, sessions, limits, fail closed, Report,
health, reflection, metrics and privacy.

Every test runs the real server (create_public_server) on 127.0.0.1 with a
Matcher compiled from synthetic entries (tests/_public_helpers.py).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import grpc
import pytest
from _public_helpers import (
    ENTRIES,
    POLICY,
    TERMS,
    RunningServer,
    compile_matcher,
    loaded_list,
    running_server,
)
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status
from prometheus_client import REGISTRY, generate_latest
from suggestfilter._errors import RateLimitedError, StoreUnavailableError
from suggestfilter._model import Action, KeystrokeDecision, SuggestionKind
from suggestfilter.rpc._limits import Limits
from suggestfilter.serving._server import create_public_server, server_options
from suggestfilter.serving._state import SERVICE_NAME, LoadedList, ServingState
from suggestfilter.v1 import filter_pb2

ROOT = Path(__file__).resolve().parents[2]
K = filter_pb2.SuggestionKind
QUERY, HASHTAG, UNSPECIFIED = K.SUGGESTION_KIND_QUERY, K.SUGGESTION_KIND_HASHTAG, 0
ALLOW, BLOCK, INTERVENE = Action.ALLOW, Action.BLOCK, Action.INTERVENE


def request(
    query: str, suggestions: Sequence[str | tuple[str, int]] = (), locale: str = ""
) -> filter_pb2.FilterRequest:
    items = [(s, QUERY) if isinstance(s, str) else s for s in suggestions]
    return filter_pb2.FilterRequest(
        query=query,
        suggestions=[filter_pb2.Suggestion(text=t, kind=k) for t, k in items],  # type: ignore[misc]
        locale=locale,
    )


def verdict_tuples(response: filter_pb2.FilterResponse) -> list[tuple[Action, str, str]]:
    return [(Action(v.action), v.category, v.rule_id) for v in response.verdicts]


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with running_server(loaded=loaded_list(1)) as running:
        yield running


# -- verdicts ---------------------------------------------------------------------------

SUGGESTION_CASES = [
    # name, suggestion (text, kind), locale, expected verdict
    ("clean query", ("weather today", QUERY), "", (ALLOW, "", "")),
    ("clean hashtag", ("#sunset", HASHTAG), "", (ALLOW, "", "")),
    ("blocked word", ("badword videos", QUERY), "", (BLOCK, "profanity", "r-prof-1")),
    ("leetspeak", ("b4dw0rd", QUERY), "", (BLOCK, "profanity", "r-prof-1")),
    ("hashtag by kind", ("FreeBadwordVideos", HASHTAG), "", (BLOCK, "profanity", "r-prof-1")),
    (
        "hashtag by leading #",
        ("#FreeBadwordVideos", UNSPECIFIED),
        "",
        (BLOCK, "profanity", "r-prof-1"),
    ),
    ("not a hashtag: no split", ("FreeBadwordVideos", QUERY), "", (ALLOW, "", "")),
    ("innocent look-alike", ("Scunthorpe United", QUERY), "", (ALLOW, "", "")),
    ("locale term, its locale", ("merdouille", QUERY), "fr-FR", (BLOCK, "profanity", "r-fr-1")),
    ("locale term, global only", ("merdouille", QUERY), "", (ALLOW, "", "")),
    ("intervene category blocks", ("zorblax", QUERY), "", (BLOCK, "intervene", "r-int-1")),
]


@pytest.mark.parametrize(
    ("suggestion", "locale", "expected"),
    [case[1:] for case in SUGGESTION_CASES],
    ids=[case[0] for case in SUGGESTION_CASES],
)
def test_suggestion_verdicts(
    server: RunningServer,
    suggestion: tuple[str, int],
    locale: str,
    expected: tuple[Action, str, str],
) -> None:
    response = server.stub.Filter(request("w", ["weather", suggestion], locale), timeout=5)
    assert verdict_tuples(response) == [(ALLOW, "", ""), expected]
    allowed = [(s.text, s.kind) for s in response.allowed]
    if expected[0] is ALLOW:
        assert allowed == [("weather", QUERY), suggestion]
    else:
        assert allowed == [("weather", QUERY)]
    assert response.list_version == 1
    assert not response.HasField("intervention")


QUERY_CASES = [
    # name, query, locale, query verdict, allowed texts, intervention (message, help_url)
    ("clean", "weath", "", (ALLOW, "", ""), ["weather"], None),
    ("blocked query", "badword", "", (BLOCK, "profanity", "r-prof-1"), [], None),
    (
        "intervene, English",
        "zorblax",
        "en-GB",
        (INTERVENE, "intervene", "r-int-1"),
        [],
        ("Help is available.", "https://example.org/help/en"),
    ),
    (
        "intervene, French",
        "zorblax",
        "fr-CA",
        (INTERVENE, "intervene", "r-int-1"),
        [],
        ("De l'aide existe.", "https://example.org/help/fr"),
    ),
    (
        "intervene, German falls back to English",
        "zorblax",
        "de-DE",
        (INTERVENE, "intervene", "r-int-1"),
        [],
        ("Help is available.", "https://example.org/help/en"),
    ),
    ("query-allow category", "darnit", "", (ALLOW, "", ""), ["weather"], None),
]


@pytest.mark.parametrize(
    ("query", "locale", "query_verdict", "allowed", "intervention"),
    [case[1:] for case in QUERY_CASES],
    ids=[case[0] for case in QUERY_CASES],
)
def test_query_verdicts(
    server: RunningServer,
    query: str,
    locale: str,
    query_verdict: tuple[Action, str, str],
    allowed: list[str],
    intervention: tuple[str, str] | None,
) -> None:
    response = server.stub.Filter(request(query, ["weather", "badword"], locale), timeout=5)
    verdict = response.query_verdict
    assert (Action(verdict.action), verdict.category, verdict.rule_id) == query_verdict
    assert [s.text for s in response.allowed] == allowed
    assert len(response.verdicts) == 2
    if intervention is None:
        assert not response.HasField("intervention")
    else:
        notice = response.intervention
        assert (notice.category, notice.message, notice.help_url) == ("intervene", *intervention)


def test_verdicts_keep_request_order_and_duplicates(server: RunningServer) -> None:
    texts = ["a1", "badword", "a2", "#badword", "a1", "b4dword", "a3"]
    response = server.stub.Filter(request("", texts), timeout=5)
    assert [Action(v.action) for v in response.verdicts] == [
        ALLOW,
        BLOCK,
        ALLOW,
        BLOCK,
        ALLOW,
        BLOCK,
        ALLOW,
    ]
    assert [s.text for s in response.allowed] == ["a1", "a2", "a1", "a3"]


def test_empty_keystroke_is_answered(server: RunningServer) -> None:
    response = server.stub.Filter(filter_pb2.FilterRequest(), timeout=5)
    assert Action(response.query_verdict.action) is ALLOW
    assert list(response.verdicts) == [] and list(response.allowed) == []
    assert response.list_version == 1


def test_no_response_field_but_allowed_ever_carries_a_term(server: RunningServer) -> None:
    texts = [*TERMS, "#FreeBadwordVideos", "b.a.d.w.o.r.d"]
    for query in ("", *TERMS):
        response = server.stub.Filter(request(query, texts, "fr-FR"), timeout=5)
        response.ClearField("allowed")
        encoded = response.SerializeToString().lower()
        for term in TERMS:
            assert term.encode() not in encoded


def test_list_version_follows_the_swapped_list() -> None:
    with running_server(loaded=loaded_list(3)) as running:
        assert running.stub.Filter(request("a"), timeout=5).list_version == 3
        previous = running.state.swap(loaded_list(4))
        assert previous is not None and previous.version == 3
        assert running.stub.Filter(request("a"), timeout=5).list_version == 4
        running.state.swap(loaded_list(2))  # a rollback serves an older number
        assert running.stub.Filter(request("a"), timeout=5).list_version == 2


def test_loaded_list_version_is_at_least_one() -> None:
    with pytest.raises(ValueError):
        LoadedList(compile_matcher(), 0, "")


# -- FilterSession ----------------------------------------------------------------------

SESSION_KEYSTROKES = [
    request("w", ["weather", "#sunset"]),
    request("we", ["weather", "badword weather"]),
    request("zorblax", ["weather"], "fr-FR"),
    request("", ["#FreeBadwordVideos", "merdouille"], "fr"),
    request("badword", ["weather"]),
]


def test_session_answers_each_request_in_order_like_filter(server: RunningServer) -> None:
    responses = list(server.stub.FilterSession(iter(SESSION_KEYSTROKES), timeout=10))
    assert responses == [server.stub.Filter(r, timeout=5) for r in SESSION_KEYSTROKES]
    assert [Action(r.query_verdict.action) for r in responses] == [
        ALLOW,
        ALLOW,
        INTERVENE,
        ALLOW,
        BLOCK,
    ]


def test_session_answers_interactively(server: RunningServer) -> None:
    """Each response arrives before the next request is sent (one stream, a typing user)."""
    outbox: list[filter_pb2.FilterRequest] = []
    ready = threading.Semaphore(0)

    def requests() -> Iterator[filter_pb2.FilterRequest]:
        for keystroke in SESSION_KEYSTROKES:
            outbox.append(keystroke)
            yield keystroke
            ready.acquire()

    responses = server.stub.FilterSession(requests(), timeout=10)
    for index, response in enumerate(responses):
        assert len(outbox) == index + 1
        assert len(response.verdicts) == len(SESSION_KEYSTROKES[index].suggestions)
        ready.release()
    assert len(outbox) == len(SESSION_KEYSTROKES)


def test_invalid_request_ends_the_session_after_earlier_answers(server: RunningServer) -> None:
    keystrokes = [request("a", ["x"]), request("b", ["y"], locale="fr_FR"), request("c", ["z"])]
    received: list[filter_pb2.FilterResponse] = []
    with pytest.raises(grpc.RpcError) as raised:
        for response in server.stub.FilterSession(iter(keystrokes), timeout=10):
            received.append(response)
    assert len(received) == 1
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field_violation(raised.value) == "locale"
    assert server.stub.Filter(request("a", ["x"]), timeout=5).list_version == 1


# -- limits -----------------------------------------------------------------------------


def field_violation(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)
    assert status is not None, "no google.rpc.Status in the trailers"
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert len(bad_request.field_violations) == 1
    return str(bad_request.field_violations[0].field)


LONG = "x" * 513
INVALID_CASES = [
    # name, request, field
    ("51 suggestions", request("a", ["s"] * 51), "suggestions"),
    ("query too long", request(LONG), "query"),
    ("suggestion text too long", request("a", ["a", "b", "c", LONG]), "suggestions[3].text"),
    ("unknown kind", request("a", [("x", 7)]), "suggestions[0].kind"),
    ("negative kind", request("a", [("ok", QUERY), ("x", -1)]), "suggestions[1].kind"),
    ("locale with underscore", request("a", locale="fr_FR"), "locale"),
    ("locale not a tag", request("a", locale="french please"), "locale"),
    ("locale too long", request("a", locale="en-" + "-".join(["abcdefgh"] * 4)), "locale"),
]


@pytest.mark.parametrize(
    ("bad_request", "field"),
    [case[1:] for case in INVALID_CASES],
    ids=[case[0] for case in INVALID_CASES],
)
def test_invalid_requests_name_the_field_and_the_worker_goes_on(
    server: RunningServer, bad_request: filter_pb2.FilterRequest, field: str
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        server.stub.Filter(bad_request, timeout=5)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field_violation(raised.value) == field
    assert raised.value.details().startswith(field + ": ")
    assert server.stub.Filter(request("a", ["b"]), timeout=5).list_version == 1


MALFORMED_BYTES = [
    ("invalid UTF-8 in query", b"\x0a\x03\xff\xfeA"),
    ("truncated field", b"\x12\x05privacy-probe-malformed"),
    ("bad tag", b"\xff\xff\xff"),
]


@pytest.mark.parametrize("method", ["Filter", "Report"])
@pytest.mark.parametrize(
    "raw", [c[1] for c in MALFORMED_BYTES], ids=[c[0] for c in MALFORMED_BYTES]
)
def test_malformed_bytes_are_invalid_argument_not_logged(
    server: RunningServer, method: str, raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    call = server.channel.unary_unary(f"/{SERVICE_NAME}/{method}")
    with pytest.raises(grpc.RpcError) as raised:
        call(raw, timeout=5)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field_violation(raised.value) == "request"
    assert "privacy-probe" not in caplog.text and "ERROR" not in caplog.text
    assert server.stub.Filter(request("a", ["b"]), timeout=5).list_version == 1


def test_malformed_bytes_end_a_session(server: RunningServer) -> None:
    call = server.channel.stream_stream(f"/{SERVICE_NAME}/FilterSession")
    good = request("a", ["b"]).SerializeToString()
    received = []
    with pytest.raises(grpc.RpcError) as raised:
        for response in call(iter([good, b"\xff\xff\xff", good]), timeout=5):
            received.append(response)
    assert len(received) == 1
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT


VALID_EDGE_CASES = [
    ("50 suggestions", request("a", ["s"] * 50)),
    ("512-character texts", request("q" * 512, ["x" * 512])),
    ("35-character locale", request("a", locale="en-" + "-".join(["abcdefgh"] * 3) + "-abcde")),
    ("every kind", request("a", [("a", 0), ("b", 1), ("c", 2), ("d", 3)])),
    ("well-formed rare tag", request("a", locale="zh-Hant-TW")),
]


@pytest.mark.parametrize(
    "edge_request", [c[1] for c in VALID_EDGE_CASES], ids=[c[0] for c in VALID_EDGE_CASES]
)
def test_requests_at_the_limits_are_served(
    server: RunningServer, edge_request: filter_pb2.FilterRequest
) -> None:
    response = server.stub.Filter(edge_request, timeout=5)
    assert len(response.verdicts) == len(edge_request.suggestions)


def test_limits_are_configurable() -> None:
    limits = Limits(max_suggestions=2, max_text_chars=10, max_locale_chars=5)
    with running_server(loaded=loaded_list(), limits=limits) as running:
        running.stub.Filter(request("0123456789", ["a", "0123456789"], "fr-FR"), timeout=5)
        for bad, field in [
            (request("a", ["a", "b", "c"]), "suggestions"),
            (request("a", ["01234567890"]), "suggestions[0].text"),
            (request("a", locale="fr-CA-x-a"), "locale"),
        ]:
            with pytest.raises(grpc.RpcError) as raised:
                running.stub.Filter(bad, timeout=5)
            assert field_violation(raised.value) == field


def test_largest_valid_request_fits_the_receive_size_and_larger_is_refused() -> None:
    limits = Limits()
    four_byte = "\U0001f600"  # 4 bytes of UTF-8: the worst case per character
    largest = request(
        four_byte * 512,
        [(four_byte * 512, QUERY)] * 50,
        "en-" + "-".join(["abcdefgh"] * 3) + "-abcde",
    )
    assert largest.ByteSize() < limits.max_message_bytes
    with running_server(loaded=loaded_list()) as running:
        response = running.stub.Filter(largest, timeout=30)
        assert len(response.verdicts) == 50
        oversized = request("a", ["x" * 100_000] * 3)
        assert oversized.ByteSize() > limits.max_message_bytes
        with pytest.raises(grpc.RpcError) as raised:
            running.stub.Filter(oversized, timeout=5)
        assert raised.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert running.stub.Filter(request("a"), timeout=5).list_version == 1


def test_server_options_follow_limits_and_port_sharing() -> None:
    limits = Limits(max_suggestions=5)
    options = dict(server_options(limits, reuse_port=True))
    assert options["grpc.max_receive_message_length"] == limits.max_message_bytes
    assert options["grpc.so_reuseport"] == 1
    assert dict(server_options(limits))["grpc.so_reuseport"] == 0
    assert Limits(max_suggestions=5).max_message_bytes < Limits().max_message_bytes


def test_reuse_port_lets_two_servers_share_a_port(free_port: int) -> None:
    first, port = create_public_server(f"127.0.0.1:{free_port}", ServingState(), reuse_port=True)
    second, second_port = create_public_server(
        f"127.0.0.1:{free_port}", ServingState(), reuse_port=True
    )
    try:
        assert port == second_port == free_port
    finally:
        first.stop(None)
        second.stop(None)


# -- fail closed, health ----------------------------------------------------------------


def health_status(channel: grpc.Channel, service: str) -> int:
    stub = health_pb2_grpc.HealthStub(channel)
    return int(stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status)


def test_no_list_means_unavailable_and_not_serving_until_swap() -> None:
    with running_server() as running:
        for service in ("", SERVICE_NAME):
            assert (
                health_status(running.channel, service)
                == health_pb2.HealthCheckResponse.NOT_SERVING
            )
        with pytest.raises(grpc.RpcError) as unary:
            running.stub.Filter(request("a", ["weather"]), timeout=5)
        assert unary.value.code() is grpc.StatusCode.UNAVAILABLE
        with pytest.raises(grpc.RpcError) as stream:
            list(running.stub.FilterSession(iter([request("a", ["weather"])]), timeout=5))
        assert stream.value.code() is grpc.StatusCode.UNAVAILABLE

        running.state.swap(loaded_list(7))
        for service in ("", SERVICE_NAME):
            assert health_status(running.channel, service) == health_pb2.HealthCheckResponse.SERVING
        assert running.stub.Filter(request("a", ["weather"]), timeout=5).list_version == 7

        running.state.enter_graceful_shutdown()
        assert health_status(running.channel, "") == health_pb2.HealthCheckResponse.NOT_SERVING


def test_health_watch_sees_the_swap() -> None:
    with running_server() as running:
        stub = health_pb2_grpc.HealthStub(running.channel)
        watch = stub.Watch(health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=10)
        assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        running.state.swap(loaded_list())
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        watch.cancel()


class _ExplodingMatcher:
    """A fake beside the real matcher: raises an unexpected error quoting its input."""

    term_count = 0

    def decide(
        self, query: str, suggestions: object, locale: str, *, budget: object = None
    ) -> KeystrokeDecision:
        raise ValueError(f"exploded on {query!r}")


def test_unexpected_error_is_internal_with_a_generic_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loaded = LoadedList(_ExplodingMatcher(), 1, "")  # type: ignore[arg-type]
    caplog.set_level(logging.DEBUG)
    with running_server(loaded=loaded) as running:
        for _ in range(2):
            with pytest.raises(grpc.RpcError) as raised:
                running.stub.Filter(request("privacy-probe-qwerty", ["weather"]), timeout=5)
            assert raised.value.code() is grpc.StatusCode.INTERNAL
            assert raised.value.details() == "internal error"
        with pytest.raises(grpc.RpcError) as stream:
            list(running.stub.FilterSession(iter([request("privacy-probe-qwerty")]), timeout=5))
        assert stream.value.code() is grpc.StatusCode.INTERNAL
    assert "ValueError" in caplog.text
    assert "privacy-probe-qwerty" not in caplog.text


# -- Report -----------------------------------------------------------------------------


class RecordingSink:
    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[tuple[str, SuggestionKind, str, str, str]] = []
        self.error = error

    def __call__(self, text: str, kind: SuggestionKind, locale: str, reason: str, who: str) -> str:
        if self.error is not None:
            raise self.error
        self.calls.append((text, kind, locale, reason, who))
        return f"rep-{len(self.calls)}"


def report(text: str, kind: int = HASHTAG, locale: str = "en", reason: str = "harmful"):
    return filter_pb2.ReportRequest(
        suggestion=filter_pb2.Suggestion(text=text, kind=kind),  # type: ignore[arg-type]
        locale=locale,
        reason=reason,
        reporter="user-42",
    )


def test_report_goes_to_the_sink_even_before_a_list_is_loaded() -> None:
    sink = RecordingSink()
    with running_server(report_sink=sink) as running:
        response = running.stub.Report(report("#SomeTag"), timeout=5)
    assert response.report_id == "rep-1"
    assert sink.calls == [("#SomeTag", SuggestionKind.HASHTAG, "en", "harmful", "user-42")]
    assert type(sink.calls[0][1]) is SuggestionKind


INVALID = grpc.StatusCode.INVALID_ARGUMENT
EXHAUSTED, UNAVAILABLE = grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE
REPORT_ERROR_CASES = [
    # name, request, sink error, code, field
    ("text required", report(""), None, INVALID, "suggestion.text"),
    ("text too long", report(LONG), None, INVALID, "suggestion.text"),
    ("unknown kind", report("x", kind=9), None, INVALID, "suggestion.kind"),
    ("bad locale", report("x", locale="en_US"), None, INVALID, "locale"),
    ("reason too long", report("x", reason="r" * 1001), None, INVALID, "reason"),
    (
        "rate limited",
        report("x"),
        RateLimitedError("slow down"),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        None,
    ),
    (
        "store down",
        report("x"),
        StoreUnavailableError("unreachable"),
        grpc.StatusCode.UNAVAILABLE,
        None,
    ),
    ("sink bug", report("x"), KeyError("x"), grpc.StatusCode.INTERNAL, None),
]


@pytest.mark.parametrize(
    ("report_request", "sink_error", "code", "field"),
    [case[1:] for case in REPORT_ERROR_CASES],
    ids=[case[0] for case in REPORT_ERROR_CASES],
)
def test_report_errors(
    report_request: filter_pb2.ReportRequest,
    sink_error: Exception | None,
    code: grpc.StatusCode,
    field: str | None,
) -> None:
    sink = RecordingSink(sink_error)
    with running_server(report_sink=sink) as running:
        with pytest.raises(grpc.RpcError) as raised:
            running.stub.Report(report_request, timeout=5)
        assert raised.value.code() is code
        if field is not None:
            assert field_violation(raised.value) == field
    assert sink.calls == []


def test_report_without_a_sink_is_unimplemented() -> None:
    with running_server(loaded=loaded_list()) as running:
        with pytest.raises(grpc.RpcError) as raised:
            running.stub.Report(report("#tag"), timeout=5)
        assert raised.value.code() is grpc.StatusCode.UNIMPLEMENTED


def test_report_into_the_real_store(tmp_path: Path) -> None:
    from suggestfilter.store import open_store

    store = open_store(str(tmp_path / "reports.db"))
    try:
        with running_server(report_sink=store.add_report) as running:
            response = running.stub.Report(report("#SomeTag"), timeout=10)
        assert response.report_id
    finally:
        store.close()


# -- reflection -------------------------------------------------------------------------


def test_reflection_lists_the_filter_service_and_health(server: RunningServer) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(server.channel)
    responses = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
    )
    names = {s.name for r in responses for s in r.list_services_response.service}
    assert {SERVICE_NAME, "grpc.health.v1.Health"} <= names
    assert (
        filter_pb2.DESCRIPTOR.services_by_name["SuggestionFilterService"].full_name == SERVICE_NAME
    )


def test_grpcurl_calls_filter_through_reflection(server: RunningServer) -> None:
    grpcurl = Path(sys.executable).parent / "grpcurl"
    if not grpcurl.exists():
        pytest.skip("grpcurl is not installed")
    listed = subprocess.run(
        [str(grpcurl), "-plaintext", server.target, "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert SERVICE_NAME in listed.stdout.split()
    called = subprocess.run(
        [
            str(grpcurl),
            "-plaintext",
            "-d",
            '{"query": "we", "suggestions": [{"text": "badword", "kind": "SUGGESTION_KIND_QUERY"},'
            ' {"text": "weather"}], "locale": "en-GB"}',
            server.target,
            f"{SERVICE_NAME}/Filter",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert called.returncode == 0, called.stderr
    assert '"ACTION_BLOCK"' in called.stdout and '"r-prof-1"' in called.stdout
    assert '"list_version": "1"' in called.stdout


# -- metrics and privacy ----------------------------------------------------------------


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_count_requests_codes_and_verdicts(server: RunningServer) -> None:
    ok_before = sample("suggestfilter_requests_total", method="Filter", code="OK")
    invalid_before = sample(
        "suggestfilter_requests_total", method="Filter", code="INVALID_ARGUMENT"
    )
    blocked_before = sample(
        "suggestfilter_verdicts_total", subject="suggestion", category="profanity", action="BLOCK"
    )
    intervened_before = sample(
        "suggestfilter_verdicts_total", subject="query", category="intervene", action="INTERVENE"
    )
    session_before = sample("suggestfilter_request_seconds_count", method="FilterSession")

    server.stub.Filter(request("a", ["badword", "b4dword", "weather"]), timeout=5)
    server.stub.Filter(request("zorblax", ["weather"]), timeout=5)
    with pytest.raises(grpc.RpcError):
        server.stub.Filter(request("a", locale="no_such"), timeout=5)
    list(server.stub.FilterSession(iter([request("a"), request("b")]), timeout=5))

    assert sample("suggestfilter_requests_total", method="Filter", code="OK") == ok_before + 2
    assert (
        sample("suggestfilter_requests_total", method="Filter", code="INVALID_ARGUMENT")
        == invalid_before + 1
    )
    assert (
        sample(
            "suggestfilter_verdicts_total",
            subject="suggestion",
            category="profanity",
            action="BLOCK",
        )
        == blocked_before + 2
    )
    assert (
        sample(
            "suggestfilter_verdicts_total",
            subject="query",
            category="intervene",
            action="INTERVENE",
        )
        == intervened_before + 1
    )
    assert (
        sample("suggestfilter_request_seconds_count", method="FilterSession") == session_before + 2
    )
    assert sample("suggestfilter_list_version") >= 1
    assert sample("suggestfilter_terms") == len(ENTRIES)


def test_no_request_text_reaches_logs_errors_or_metrics(
    caplog: pytest.LogCaptureFixture,
) -> None:
    probes = [
        "privacy-probe-query",
        "privacy-probe-suggestion badword",
        "#PrivacyProbeHashtag",
        "privacy-probe-long" + "x" * 600,
        "privacy-probe-report",
    ]
    caplog.set_level(logging.DEBUG)
    details: list[str] = []
    with running_server(loaded=loaded_list(), report_sink=RecordingSink()) as running:
        stub = running.stub
        stub.Filter(request(probes[0], probes[1:3], "fr-FR"), timeout=5)
        list(stub.FilterSession(iter([request(probes[0], probes[1:3])]), timeout=5))
        for bad in [
            request(probes[3]),
            request(probes[0], [probes[3]]),
            request(probes[0], [(probes[1], 11)]),
            request(probes[0], locale=probes[2]),
        ]:
            with pytest.raises(grpc.RpcError) as raised:
                stub.Filter(bad, timeout=5)
            details.append(raised.value.details())
            details.append(str(rpc_status.from_call(raised.value)))
        stub.Report(report(probes[4], reason=probes[0]), timeout=5)
        with pytest.raises(grpc.RpcError) as raised:
            stub.Report(report(probes[3]), timeout=5)
        details.append(str(rpc_status.from_call(raised.value)))
    exposed = caplog.text + "\n".join(details) + generate_latest(REGISTRY).decode()
    for probe in probes:
        assert probe[:20].lower() not in exposed.lower()
    assert "locale" in "\n".join(details)  # the errors were captured at all


def test_importing_the_package_does_not_import_prometheus_client() -> None:
    code = (
        "import sys, suggestfilter, suggestfilter.client, suggestfilter.serving._state, "
        "suggestfilter.rpc._limits, suggestfilter.rpc._status\n"
        "assert 'prometheus_client' not in sys.modules, 'prometheus_client imported'\n"
        "import suggestfilter.serving._server\n"
        "assert 'prometheus_client' in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr


def test_policy_fixture_has_the_intervene_category() -> None:
    assert POLICY.categories["intervene"].query is INTERVENE
    assert set(POLICY.categories["intervene"].interventions) == {"en", "fr"}


MULTIPROCESS_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
from _public_helpers import loaded_list, running_server
from suggestfilter.v1 import filter_pb2

request = filter_pb2.FilterRequest(
    query="privacy-probe-mp", suggestions=[filter_pb2.Suggestion(text="badword probe")]
)
with running_server(loaded=loaded_list(6)) as running:
    for _ in range(3):
        running.stub.Filter(request, timeout=10)
"""


def test_metrics_in_multiprocess_mode(tmp_path: Path) -> None:
    """Two processes write to PROMETHEUS_MULTIPROC_DIR; the collector sums them."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-c", MULTIPROCESS_SCRIPT, str(ROOT / "tests")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(tmp_path))
    requests = registry.get_sample_value(
        "suggestfilter_requests_total", {"method": "Filter", "code": "OK"}
    )
    blocked = registry.get_sample_value(
        "suggestfilter_verdicts_total",
        {"subject": "suggestion", "category": "profanity", "action": "BLOCK"},
    )
    assert (requests, blocked) == (6.0, 6.0)
    assert (
        registry.get_sample_value("suggestfilter_request_seconds_count", {"method": "Filter"}) == 6
    )
    text = generate_latest(registry).decode()
    assert "privacy-probe" not in text and "badword" not in text
