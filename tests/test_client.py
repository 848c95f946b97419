"""The frontends' client against the real public server: results, round robin, sessions,
and fail-closed behaviour when the server refuses, stalls or goes away.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Sequence

import pytest
from _public_helpers import RunningServer, compile_matcher, loaded_list, running_server
from suggestfilter._errors import (
    InvalidInputError,
    NotServingError,
    RateLimitedError,
    SuggestFilterError,
)
from suggestfilter._model import (
    UNDECIDED,
    Action,
    KeystrokeDecision,
    SuggestionKind,
    Verdict,
    WorkBudget,
)
from suggestfilter.client import (
    DEFAULT_DEADLINE_S,
    FilterClient,
    FilterResult,
    InProcessFilterClient,
    Suggestion,
    _result,
)
from suggestfilter.engine import Matcher
from suggestfilter.rpc._limits import Limits
from suggestfilter.serving._state import LoadedList
from suggestfilter.v1 import filter_pb2

H, Q = SuggestionKind.HASHTAG, SuggestionKind.QUERY
DEADLINE = 5.0  # generous: the tests are about behaviour, not speed


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with running_server(loaded=loaded_list(1)) as running:
        yield running


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return compile_matcher()


KEYSTROKES = [
    # name, query, suggestions, locale
    ("clean", "wea", ["weather", "#sunset"], ""),
    ("one blocked", "we", ["weather", "badword weather", ("FreeBadwordVideos", H)], ""),
    ("blocked query", "badword", ["weather"], ""),
    ("intervention in French", "zorblax", ["weather", "zorblax"], "fr-FR"),
    ("locale term", "m", ["merdouille", Suggestion("#merdouille", H)], "fr"),
    ("empty", "", [], ""),
]


@pytest.mark.parametrize(
    ("query", "suggestions", "locale"),
    [case[1:] for case in KEYSTROKES],
    ids=[case[0] for case in KEYSTROKES],
)
def test_client_and_in_process_double_agree(
    server: RunningServer,
    matcher: Matcher,
    query: str,
    suggestions: Sequence[object],
    locale: str,
) -> None:
    with FilterClient(server.target, deadline=DEADLINE) as client:
        remote = client.filter(query, suggestions, locale)  # type: ignore[arg-type]
    local = InProcessFilterClient(matcher).filter(query, suggestions, locale)  # type: ignore[arg-type]
    assert remote.ok and not remote.failed and remote.reason == ""
    assert remote == local
    assert len(remote.verdicts) == len(suggestions)
    assert remote.list_version == 1


def test_result_fields(server: RunningServer) -> None:
    with FilterClient(server.target, deadline=DEADLINE) as client:
        result = client.filter("we", ["weather", ("#FreeBadwordVideos", H), "b4dw0rd"], "en")
        intervened = client.filter("zorblax", ["weather"], "de-DE")
    assert result.allowed == (Suggestion("weather"),)
    assert result.verdicts == (
        Verdict(Action.ALLOW),
        Verdict(Action.BLOCK, "profanity", "r-prof-1"),
        Verdict(Action.BLOCK, "profanity", "r-prof-1"),
    )
    assert result.query_verdict == Verdict(Action.ALLOW)
    assert result.intervention is None
    assert intervened.allowed == ()
    assert intervened.query_verdict == Verdict(Action.INTERVENE, "intervene", "r-int-1")
    assert intervened.intervention is not None
    assert intervened.intervention.message == "Help is available."
    assert client.failures == 0


def test_default_deadline_is_25_ms() -> None:
    assert DEFAULT_DEADLINE_S == 0.025
    client = FilterClient("127.0.0.1:1")
    assert client.deadline == 0.025
    client.close()


# -- fail closed ------------------------------------------------------------------------


def assert_fail_closed(result: FilterResult, reason: str) -> None:
    assert result.failed and not result.ok
    assert result.reason == reason
    assert isinstance(result.error, SuggestFilterError)
    assert result.allowed == () and result.verdicts == ()
    assert result.query_verdict is None and result.intervention is None
    assert result.list_version == 0


def test_server_without_a_list_fails_closed() -> None:
    with running_server() as running, FilterClient(running.target, deadline=DEADLINE) as client:
        result = client.filter("a", ["weather"])
        assert_fail_closed(result, "UNAVAILABLE")
        assert type(result.error) is NotServingError
        assert str(result.error) == "no term list is loaded yet"
        running.state.swap(loaded_list(2))
        assert client.filter("a", ["weather"]).allowed == (Suggestion("weather"),)
        assert client.failures == 1


def test_invalid_request_fails_closed(server: RunningServer) -> None:
    with FilterClient(server.target, deadline=DEADLINE) as client:
        assert_fail_closed(client.filter("a", ["x" * 513]), "INVALID_ARGUMENT")
        result = client.filter("a", [], locale="fr_FR")
        assert_fail_closed(result, "INVALID_ARGUMENT")
        assert isinstance(result.error, InvalidInputError) and result.error.field == "locale"
        with client.session() as session:
            streamed = session.filter("a", [], locale="fr_FR")
        assert_fail_closed(streamed, "INVALID_ARGUMENT")
        assert isinstance(streamed.error, InvalidInputError) and streamed.error.field == "locale"
        assert client.failure_counts == {"INVALID_ARGUMENT": 3}


def test_server_stopped_in_the_middle_fails_closed_and_counts() -> None:
    with running_server(loaded=loaded_list()) as running:
        client = FilterClient(running.target, deadline=DEADLINE)
        session = client.session()
        before = [client.filter("we", ["weather", "badword"]) for _ in range(3)]
        assert session.filter("we", ["weather"]).ok
        assert all(r.ok and r.allowed == (Suggestion("weather"),) for r in before)
        assert client.failures == 0

        running.server.stop(None).wait()

        after = [client.filter("we", ["weather", "badword"]) for _ in range(3)]
        for result in after:
            assert_fail_closed(result, "UNAVAILABLE")
        stream_result = session.filter("we", ["weather"])
        assert stream_result.failed and stream_result.allowed == ()
        assert stream_result.reason in {"UNAVAILABLE", "CANCELLED", "DEADLINE_EXCEEDED"}
        assert client.failures == 4
        assert client.failure_counts["UNAVAILABLE"] >= 3
        session.close()
        client.close()


def test_unreachable_target_fails_closed_within_the_deadline() -> None:
    from _net import free_tcp_port

    with FilterClient(f"127.0.0.1:{free_tcp_port()}", deadline=DEADLINE) as client:
        result = client.filter("a", ["weather"])
    assert_fail_closed(result, "UNAVAILABLE")


class _StallingMatcher:
    """A fake beside the real matcher: answers only once released."""

    def __init__(self, real: Matcher, release: threading.Event) -> None:
        self.real, self.release = real, release
        self.term_count = real.term_count

    def decide(
        self,
        query: str,
        suggestions: Sequence[tuple[str, SuggestionKind]],
        locale: str,
        *,
        budget: WorkBudget | None = None,
    ) -> KeystrokeDecision:
        self.release.wait(10)
        return self.real.decide(query, suggestions, locale, budget=budget)


def test_expired_deadline_fails_closed(matcher: Matcher) -> None:
    release = threading.Event()
    stalling = LoadedList(_StallingMatcher(matcher, release), 1, "")  # type: ignore[arg-type]
    with running_server(loaded=stalling) as running:
        client = FilterClient(running.target, deadline=0.2)
        try:
            assert_fail_closed(client.filter("a", ["weather"]), "DEADLINE_EXCEEDED")
            with client.session() as session:
                assert_fail_closed(session.filter("a", ["weather"]), "DEADLINE_EXCEEDED")
            assert client.failure_counts == {"DEADLINE_EXCEEDED": 2}
            release.set()
            assert client.filter("a", ["weather"], deadline=DEADLINE).ok
        finally:
            release.set()
            client.close()


# -- round robin ------------------------------------------------------------------------


def test_round_robin_over_targets() -> None:
    with (
        running_server(loaded=loaded_list(1)) as first,
        running_server(loaded=loaded_list(2)) as second,
        FilterClient([first.target, second.target], deadline=DEADLINE) as client,
    ):
        versions = [client.filter("a", ["weather"]).list_version for _ in range(6)]
    assert versions in ([1, 2, 1, 2, 1, 2], [2, 1, 2, 1, 2, 1])


def test_round_robin_with_one_target_down_fails_closed_for_its_turns() -> None:
    from _net import free_tcp_port

    with (
        running_server(loaded=loaded_list(1)) as alive,
        FilterClient([alive.target, f"127.0.0.1:{free_tcp_port()}"], deadline=DEADLINE) as client,
    ):
        results = [client.filter("a", ["weather"]) for _ in range(4)]
    assert [r.ok for r in results] == [True, False, True, False]
    assert client.failure_counts == {"UNAVAILABLE": 2}


def test_client_needs_a_target() -> None:
    with pytest.raises(ValueError):
        FilterClient([])


# -- sessions ---------------------------------------------------------------------------


def test_session_answers_like_unary_calls(server: RunningServer) -> None:
    with FilterClient(server.target, deadline=DEADLINE) as client, client.session() as session:
        for _, query, suggestions, locale in KEYSTROKES:
            assert session.filter(query, suggestions, locale) == client.filter(  # type: ignore[arg-type]
                query,
                suggestions,  # type: ignore[arg-type]
                locale,
            )
        assert client.failures == 0


def test_session_recovers_on_a_new_stream_after_a_refused_keystroke(
    server: RunningServer,
) -> None:
    with FilterClient(server.target, deadline=DEADLINE) as client, client.session() as session:
        assert session.filter("a", ["weather"]).ok
        assert_fail_closed(session.filter("a", ["weather"], locale="fr_FR"), "INVALID_ARGUMENT")
        assert session.filter("b", ["badword", "weather"]).allowed == (Suggestion("weather"),)
        assert client.failures == 1


# -- reports ----------------------------------------------------------------------------


def test_report_through_the_client() -> None:
    calls: list[tuple[str, SuggestionKind, str, str, str]] = []
    limited = {"on": False}

    def sink(text: str, kind: SuggestionKind, locale: str, reason: str, who: str) -> str:
        if limited["on"]:
            raise RateLimitedError("too many reports from this reporter")
        calls.append((text, kind, locale, reason, who))
        return "rep-1"

    with (
        running_server(report_sink=sink) as running,
        FilterClient(running.target, deadline=DEADLINE) as client,
    ):
        assert client.report("#Tag", H, "en", "harmful", "user-1") == "rep-1"
        with pytest.raises(InvalidInputError) as invalid:
            client.report("")
        assert invalid.value.field == "suggestion.text"
        limited["on"] = True
        with pytest.raises(RateLimitedError, match=r"^too many reports from this reporter$"):
            client.report("#Tag", H)
    assert calls == [("#Tag", H, "en", "harmful", "user-1")]


# -- the in-process double --------------------------------------------------------------


def test_in_process_double_fails_closed_on_demand(matcher: Matcher) -> None:
    client = InProcessFilterClient(matcher, list_version=5)
    assert client.filter("a", ["weather"]).list_version == 5
    client.fail_with = "UNAVAILABLE"
    assert_fail_closed(client.filter("a", ["weather"]), "UNAVAILABLE")
    client.fail_with = None
    refused = client.filter("a", ["x" * 513])
    assert_fail_closed(refused, "INVALID_ARGUMENT")
    assert isinstance(refused.error, InvalidInputError)
    assert refused.error.field == "suggestions[0].text"
    assert client.failure_counts == {"UNAVAILABLE": 1, "INVALID_ARGUMENT": 1}
    no_list = InProcessFilterClient(None)
    assert_fail_closed(no_list.filter("a", ["weather"]), "UNAVAILABLE")
    assert no_list.failures == 1


def test_suggestion_inputs(matcher: Matcher) -> None:
    client = InProcessFilterClient(matcher)
    result = client.filter("", ["plain", ("FreeBadwordVideos", H), Suggestion("tag", Q)])
    assert [v.action for v in result.verdicts] == [Action.ALLOW, Action.BLOCK, Action.ALLOW]
    assert result.allowed == (Suggestion("plain"), Suggestion("tag", Q))


def test_on_failure_hook_counts_and_never_breaks_a_call(server: RunningServer) -> None:
    seen: list[str] = []

    def hook(reason: str) -> None:
        seen.append(reason)
        raise RuntimeError("a broken hook")

    with FilterClient(server.target, deadline=DEADLINE, on_failure=hook) as client:
        assert_fail_closed(client.filter("a", [], locale="fr_FR"), "INVALID_ARGUMENT")
        assert client.filter("a", ["weather"]).ok
    assert seen == ["INVALID_ARGUMENT"]


def test_connect_reports_whether_targets_are_reachable(server: RunningServer) -> None:
    from _net import free_tcp_port

    with FilterClient(server.target) as client:
        assert client.connect(timeout=DEADLINE)
    with FilterClient(f"127.0.0.1:{free_tcp_port()}") as client:
        assert not client.connect(timeout=0.2)


def test_in_process_double_hides_and_counts_what_its_budget_leaves_undecided(
    matcher: Matcher,
) -> None:
    # Clocks a second past the start from the second check on: the query is decided, then
    # the budget is spent.
    wall = itertools.chain([0.0, 0.0], itertools.repeat(1.0)).__next__
    cpu = itertools.chain([0.0], itertools.repeat(1.0)).__next__
    client = InProcessFilterClient(matcher, budget=WorkBudget(0.02, cpu_clock=cpu, wall_clock=wall))
    result = client.filter("we", ["weather", "news"])
    assert result.ok and result.query_verdict == Verdict(Action.ALLOW)
    assert result.verdicts == (UNDECIDED, UNDECIDED)
    assert result.allowed == ()
    assert result.undecided == 2
    assert client.failure_counts == {"UNDECIDED": 2} and client.failures == 0


def test_in_process_double_has_the_servers_budget(matcher: Matcher) -> None:
    assert InProcessFilterClient(matcher).budget.seconds == Limits().work_budget_ms / 1000 == 0.02
    limits = Limits(work_budget_ms=5)
    assert InProcessFilterClient(matcher, limits=limits).budget.seconds == 0.005


@pytest.mark.parametrize(
    "query_undecided", [pytest.param(False, id="suggestion"), pytest.param(True, id="query")]
)
def test_client_never_shows_an_undecided_text_whatever_the_response_says(
    query_undecided: bool,
) -> None:
    candidates = [Suggestion("weather"), Suggestion("news")]
    ok = filter_pb2.Verdict(action=filter_pb2.ACTION_ALLOW)
    undecided_allow = filter_pb2.Verdict(action=filter_pb2.ACTION_ALLOW, undecided=True)
    response = filter_pb2.FilterResponse(
        allowed=[filter_pb2.Suggestion(text="weather"), filter_pb2.Suggestion(text="news")],
        verdicts=[ok, ok if query_undecided else undecided_allow],
        query_verdict=undecided_allow if query_undecided else ok,
        list_version=1,
    )
    result = _result(response, candidates)
    if query_undecided:
        assert result.query_verdict == UNDECIDED
        assert result.allowed == ()
    else:
        assert result.verdicts[1] == UNDECIDED
        assert result.allowed == (Suggestion("weather"),)


def test_in_process_double_takes_reports(matcher: Matcher) -> None:
    client = InProcessFilterClient(matcher)
    assert client.report("#Tag", H, "en", "harmful", "user-1") == "in-process-1"
    assert client.reports == [("#Tag", H, "en", "harmful", "user-1")]
    with pytest.raises(InvalidInputError):
        client.report("")
    client.fail_with = "RESOURCE_EXHAUSTED"
    with pytest.raises(RateLimitedError):
        client.report("#Tag")


def _self_signed_localhost() -> tuple[bytes, bytes]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key, as PEM."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def test_tls_public_port() -> None:
    pytest.importorskip("cryptography")
    import grpc
    from suggestfilter.serving._server import create_public_server
    from suggestfilter.serving._state import ServingState

    cert, key = _self_signed_localhost()
    state = ServingState()
    state.swap(loaded_list(1))
    server, port = create_public_server(
        "127.0.0.1:0", state, credentials=grpc.ssl_server_credentials([(key, cert)])
    )
    server.start()
    try:
        trusted = grpc.ssl_channel_credentials(root_certificates=cert)
        with FilterClient(f"localhost:{port}", deadline=DEADLINE, credentials=trusted) as client:
            assert client.filter("a", ["weather"]).allowed == (Suggestion("weather"),)
        with FilterClient(f"localhost:{port}", deadline=DEADLINE) as plaintext:
            assert_fail_closed(plaintext.filter("a", ["weather"]), "UNAVAILABLE")
    finally:
        server.stop(None)


def test_client_all_is_honest() -> None:
    import suggestfilter.client as module

    assert len(set(module.__all__)) == len(module.__all__)
    for name in module.__all__:
        assert hasattr(module, name), name
