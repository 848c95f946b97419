"""The load generator's corpus, oracle, checks, version tracking and report.

The oracle must agree with the real engine on the demo list (both list
versions of a mid-run publish), and every check must be able to fail: each
table of wrong responses names the mismatch it must report.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from concurrent import futures

import grpc
import pytest
from suggestfilter._model import (
    Action,
    CategoryPolicy,
    EntryKind,
    Intervention,
    KeystrokeDecision,
    Policy,
    SuggestionKind,
    TermEntry,
    Verdict,
)
from suggestfilter.engine import Matcher
from suggestfilter.loadtest import _corpus, _drivers, _oracle, _report, _runner
from suggestfilter.runtime._demo import demo_entries, demo_policy
from suggestfilter.v1 import filter_pb2, filter_pb2_grpc

POLICY = Policy(
    {
        "profanity": CategoryPolicy(Action.BLOCK, Action.BLOCK),
        "exploitation": CategoryPolicy(
            Action.BLOCK, Action.INTERVENE, {"en": Intervention("Help is available.")}
        ),
        "spam": CategoryPolicy(Action.BLOCK, Action.ALLOW),
    }
)
ENTRIES = [
    TermEntry("badword", "profanity"),
    TermEntry("zorblax", "exploitation"),
    TermEntry("quuxly", "spam"),
    TermEntry("qwzzyx", "exploitation"),
    TermEntry("qwzzyxology", "exploitation", kind=EntryKind.ALLOW),
]
CANARY = _oracle.CorpusTerm("flumbrix", "profanity", from_version=2)


@pytest.fixture(scope="module")
def corpus() -> _corpus.Corpus:
    return _corpus.build_corpus(
        ENTRIES,
        POLICY,
        canaries=[CANARY],
        sessions=200,
        blocked_share=0.3,
        blocked_query_share=0.3,
    )


def _candidates(corpus: _corpus.Corpus) -> Iterator[_oracle.Candidate]:
    for session in corpus.sessions:
        for keystroke in session:
            yield from keystroke.candidates


# --- the coarse skeleton ---------------------------------------------------

# Every disguise the generator makes must keep the term visible to the oracle.
DISGUISE_LABELS = {
    "plain",
    "case",
    "separator",
    "repeated",
    "fullwidth",
    "fullwidth+case",
    "hashtag",
    "hashtag-camelcase",
    "phrase",
    "leet",
    "leet+case",
    "diacritics",
}


@pytest.mark.parametrize("term", ["badword", "zorblax", "glorbnak", "ass"])
def test_every_disguise_keeps_the_term_skeleton(term: str) -> None:
    forms = _corpus.disguises(term)
    assert {label for _text, _kind, label in forms} <= DISGUISE_LABELS
    for text, kind, label in forms:
        assert text != term or label == "plain"
        assert _oracle.coarse_skeleton(term) in _oracle.coarse_skeleton(text), label
        assert (kind is SuggestionKind.HASHTAG) == text.startswith("#")


@pytest.mark.parametrize(
    ("text", "skeleton"),
    [
        pytest.param("BadWord", _oracle.coarse_skeleton("badword"), id="camel"),
        pytest.param(
            "".join(chr(ord(c) + 0xFEE0) for c in "badword"),
            _oracle.coarse_skeleton("badword"),
            id="fullwidth",
        ),
        pytest.param("b4dw0rd", _oracle.coarse_skeleton("badword"), id="leet"),
        pytest.param("b.a.d.w.o.r.d", _oracle.coarse_skeleton("badword"), id="dots"),
        pytest.param("baaadwooord", _oracle.coarse_skeleton("badword"), id="repeated-letters"),
        pytest.param("bädwörd", _oracle.coarse_skeleton("badword"), id="diacritics"),
    ],
)
def test_coarse_skeleton_undoes_disguises(text: str, skeleton: str) -> None:
    assert _oracle.coarse_skeleton(text) == skeleton


REGRESSIONS = [
    # Doubled letters that map to two letters ("d" -> "cl") squeeze to one run first.
    pytest.param("weddi", "wedi", id="doubled-d"),
    pytest.param("simply summe", "sume", id="doubled-m"),
]


@pytest.mark.parametrize(("text", "term"), REGRESSIONS)
def test_regression_text_the_engine_matches_is_never_innocent(text: str, term: str) -> None:
    assert _oracle.TermIndex([_oracle.CorpusTerm(term, "synthetic")]).contained(text)


def test_coarse_skeleton_is_generous_so_the_oracle_errs_on_dropping_text() -> None:
    # "as" is not "ass" for the engine, but the oracle cannot tell: it keeps neither.
    index = _oracle.TermIndex([_oracle.CorpusTerm("ass", "profanity")])
    assert index.contained("class") and index.contained("as")
    assert not index.contained("hello world")


# --- the corpus ---------------------------------------------------------------


def test_innocent_words_contain_no_term() -> None:
    terms = [_oracle.CorpusTerm(entry.term, entry.category) for entry in demo_entries()]
    index = _oracle.TermIndex(terms)
    words = _corpus.innocent_words(index, 500)
    assert len(words) == 500
    assert all(not index.contained(word) for word in words)
    assert all(word.isascii() and word.isalpha() and len(word) >= 3 for word in words)


def test_corpus_is_deterministic_for_a_seed() -> None:
    first = _corpus.build_corpus(ENTRIES, POLICY, sessions=20, seed=7)
    second = _corpus.build_corpus(ENTRIES, POLICY, sessions=20, seed=7)
    other = _corpus.build_corpus(ENTRIES, POLICY, sessions=20, seed=8)
    assert first == second
    assert first != other


def test_sessions_type_queries_character_by_character(corpus: _corpus.Corpus) -> None:
    for session in corpus.sessions:
        queries = [keystroke.query for keystroke in session]
        assert [len(query) for query in queries] == list(range(1, len(queries) + 1))
        assert all(query.startswith(queries[-1][: len(query)]) for query in queries)
        assert all(len(k.candidates) == _corpus.SUGGESTIONS_PER_KEYSTROKE for k in session)


def test_candidates_mix_innocent_text_and_disguised_terms(corpus: _corpus.Corpus) -> None:
    candidates = list(_candidates(corpus))
    blocked = [c for c in candidates if c.expected.action is Action.BLOCK]
    share = len(blocked) / len(candidates)
    assert 0.2 < share < 0.4  # blocked_share 0.3
    assert {c.label for c in blocked} >= {"leet", "separator", "hashtag-camelcase", "fullwidth"}
    assert all(c.expected == _oracle.ALLOW_EXPECTED for c in candidates if c.label == "innocent")
    assert {c.expected.category for c in blocked} == {"profanity", "exploitation", "spam"}


def test_allowlisted_text_is_never_expected_blocked(corpus: _corpus.Corpus) -> None:
    allowed = _oracle.coarse_skeleton("qwzzyxology")
    assert all(
        allowed not in _oracle.coarse_skeleton(c.text)
        for c in _candidates(corpus)
        if c.expected.action is Action.BLOCK
    )


def test_typed_blocked_terms_follow_the_query_policy(corpus: _corpus.Corpus) -> None:
    typed = [s for s in corpus.sessions if s[0].query_label.startswith("typed-")]
    assert typed
    actions = set()
    for session in typed:
        expectations = [keystroke.query_expected for keystroke in session]
        # Proper prefixes of the term are allowed; from the complete term on, the policy
        # (spam's query policy is allow: such a session expects ALLOW throughout).
        hits = [i for i, e in enumerate(expectations) if e != _oracle.ALLOW_EXPECTED]
        first_hit = hits[0] if hits else len(expectations)
        assert all(e == _oracle.ALLOW_EXPECTED for e in expectations[:first_hit])
        assert len(set(expectations[first_hit:])) <= 1
        actions.add(expectations[first_hit].at(2)[0] if hits else Action.ALLOW)
    assert actions == {Action.BLOCK, Action.INTERVENE, Action.ALLOW}


def test_canary_candidates_expect_allow_before_their_version(corpus: _corpus.Corpus) -> None:
    canaries = [c for c in _candidates(corpus) if c.expected.from_version == 2]
    assert canaries
    for candidate in canaries:
        assert candidate.expected.at(1) == (Action.ALLOW, "")
        assert candidate.expected.at(2) == (Action.BLOCK, "profanity")
        assert candidate.expected.at(3) == (Action.BLOCK, "profanity")


# --- the oracle agrees with the engine -------------------------------------------


def _response(
    decision: KeystrokeDecision, version: int, candidates: Sequence[tuple[str, SuggestionKind]]
) -> filter_pb2.FilterResponse:
    def verdict(v: Verdict) -> filter_pb2.Verdict:
        return filter_pb2.Verdict(action=int(v.action), category=v.category, rule_id=v.rule_id)

    response = filter_pb2.FilterResponse(
        allowed=[
            filter_pb2.Suggestion(text=candidates[i][0], kind=int(candidates[i][1]))
            for i in decision.allowed_indexes
        ],
        verdicts=[verdict(v) for v in decision.suggestion_verdicts],
        query_verdict=verdict(decision.query_verdict),
        list_version=version,
    )
    if decision.intervention is not None:
        response.intervention.category = decision.intervention.category
        response.intervention.message = decision.intervention.message
    return response


@pytest.mark.parametrize("version", [1, 2])
def test_oracle_agrees_with_the_engine_on_the_demo_list(version: int) -> None:
    policy = demo_policy()
    entries = demo_entries(policy)
    corpus = _corpus.build_corpus(
        entries,
        policy,
        canaries=[CANARY],
        sessions=150,
        blocked_share=0.3,
        blocked_query_share=0.3,
    )
    served = entries + ([TermEntry(CANARY.text, CANARY.category)] if version >= 2 else [])
    matcher = Matcher.compile(served, policy)
    problems = []
    for session in corpus.sessions:
        for keystroke in session:
            candidates = [(c.text, c.kind) for c in keystroke.candidates]
            decision = matcher.decide(keystroke.query, candidates, "en-US")
            problem = _oracle.check_response(keystroke, _response(decision, version, candidates))
            if problem:
                problems.append(problem)
    assert problems == []


# --- checks that must fail -------------------------------------------------------

KEYSTROKE = _oracle.Keystroke(
    query="hello",
    query_expected=_oracle.ALLOW_EXPECTED,
    candidates=(
        _oracle.Candidate("hello world", SuggestionKind.QUERY, _oracle.ALLOW_EXPECTED, "innocent"),
        _oracle.Candidate(
            "b4dword", SuggestionKind.QUERY, _oracle.Expected(Action.BLOCK, "profanity"), "leet"
        ),
        _oracle.Candidate(
            "flumbrix",
            SuggestionKind.QUERY,
            _oracle.Expected(Action.BLOCK, "profanity", from_version=2),
            "plain",
        ),
    ),
)
INTERVENE_KEYSTROKE = _oracle.Keystroke(
    query="zorblax",
    query_expected=_oracle.Expected(Action.INTERVENE, "exploitation"),
    candidates=KEYSTROKE.candidates,
    query_label="typed-plain",
)


def _verdict(action: Action, category: str = "", rule_id: str = "") -> filter_pb2.Verdict:
    if action is not Action.ALLOW and not rule_id:
        rule_id = "r-1"
    return filter_pb2.Verdict(action=int(action), category=category, rule_id=rule_id)


def _right(version: int = 1) -> filter_pb2.FilterResponse:
    canary_blocked = version >= 2
    allowed = [filter_pb2.Suggestion(text="hello world", kind=SuggestionKind.QUERY.value)]
    if not canary_blocked:
        allowed.append(filter_pb2.Suggestion(text="flumbrix", kind=SuggestionKind.QUERY.value))
    return filter_pb2.FilterResponse(
        allowed=allowed,
        verdicts=[
            _verdict(Action.ALLOW),
            _verdict(Action.BLOCK, "profanity"),
            _verdict(Action.BLOCK, "profanity") if canary_blocked else _verdict(Action.ALLOW),
        ],
        query_verdict=_verdict(Action.ALLOW),
        list_version=version,
    )


def _mutated(change: str) -> filter_pb2.FilterResponse:
    response = _right()
    if change == "no version":
        response.list_version = 0
    elif change == "verdict missing":
        del response.verdicts[2]
    elif change == "blocked allowed":
        response.verdicts[1].CopyFrom(_verdict(Action.ALLOW))
    elif change == "wrong category":
        response.verdicts[1].category = "spam"
    elif change == "no rule id":
        response.verdicts[1].rule_id = ""
    elif change == "innocent blocked":
        response.verdicts[0].CopyFrom(_verdict(Action.BLOCK, "profanity"))
    elif change == "canary blocked early":
        response.verdicts[2].CopyFrom(_verdict(Action.BLOCK, "profanity"))
    elif change == "allowed shows blocked":
        response.allowed.add(text="b4dword")
    elif change == "allowed reordered":
        response.allowed.reverse()
    elif change == "query blocked":
        response.query_verdict.CopyFrom(_verdict(Action.BLOCK, "profanity"))
    elif change == "intervention without cause":
        response.intervention.category = "exploitation"
    return response


@pytest.mark.parametrize(
    ("change", "reported"),
    [
        pytest.param("no version", "list_version is 0", id="no-version"),
        pytest.param("verdict missing", "2 verdicts for 3 suggestions", id="verdict-missing"),
        pytest.param(
            "blocked allowed",
            "suggestions[1] (QUERY, leet): expected BLOCK/profanity, got ALLOW/",
            id="blocked-allowed",
        ),
        pytest.param(
            "wrong category", "expected BLOCK/profanity, got BLOCK/spam", id="wrong-category"
        ),
        pytest.param("no rule id", "suggestions[1]: BLOCK without a rule_id", id="no-rule-id"),
        pytest.param(
            "innocent blocked",
            "suggestions[0] (QUERY, innocent): expected ALLOW/",
            id="innocent-blocked",
        ),
        pytest.param(
            "canary blocked early",
            "suggestions[2] (QUERY, plain): expected ALLOW/",
            id="canary-blocked-early",
        ),
        pytest.param(
            "allowed shows blocked",
            "allowed holds 3 suggestions, expected 2",
            id="allowed-shows-blocked",
        ),
        pytest.param(
            "allowed reordered", "allowed holds 2 suggestions, expected 2", id="allowed-reordered"
        ),
        pytest.param(
            "query blocked",
            "query (innocent): expected ALLOW/, got BLOCK/profanity",
            id="query-blocked",
        ),
        pytest.param(
            "intervention without cause",
            "intervention set with query ALLOW",
            id="intervention-without-cause",
        ),
    ],
)
def test_check_reports_each_wrong_response(change: str, reported: str) -> None:
    problem = _oracle.check_response(KEYSTROKE, _mutated(change))
    assert problem is not None and reported in problem
    # Reports name fields and labels, never the text.
    assert "b4dword" not in problem and "flumbrix" not in problem and "hello" not in problem


@pytest.mark.parametrize("version", [1, 2, 5])
def test_check_accepts_right_responses_at_each_version(version: int) -> None:
    assert _oracle.check_response(KEYSTROKE, _right(version)) is None


def test_check_wants_an_intervention_and_nothing_allowed_when_the_query_intervenes() -> None:
    response = _right()
    response.query_verdict.CopyFrom(_verdict(Action.INTERVENE, "exploitation"))
    problem = _oracle.check_response(INTERVENE_KEYSTROKE, response)
    assert problem is not None and "allowed holds 2 suggestions, expected 0" in problem
    del response.allowed[:]
    problem = _oracle.check_response(INTERVENE_KEYSTROKE, response)
    assert problem == "query INTERVENE without an intervention of its category"
    response.intervention.category = "exploitation"
    response.intervention.message = "Help is available."
    assert _oracle.check_response(INTERVENE_KEYSTROKE, response) is None


def test_echo_floor_checks_expect_everything_allowed() -> None:
    echo = filter_pb2.FilterResponse(
        allowed=[
            filter_pb2.Suggestion(text=c.text, kind=c.kind.value) for c in KEYSTROKE.candidates
        ],
        verdicts=[_verdict(Action.ALLOW)] * 3,
        query_verdict=_verdict(Action.ALLOW),
        list_version=1,
    )
    assert _oracle.check_response(KEYSTROKE, echo, allow_all=True) is None
    assert _oracle.check_response(KEYSTROKE, echo) is not None


# --- version tracking -------------------------------------------------------------


@pytest.mark.parametrize(
    ("seen", "switches", "backwards"),
    [
        pytest.param([1, 1, 1], 0, 0, id="same-version"),
        pytest.param([1, 1, 2, 2], 1, 0, id="one-switch"),
        pytest.param([1, 2, 3], 2, 0, id="two-switches"),
        pytest.param([2, 1], 1, 1, id="one-step-back"),
        pytest.param([1, 2, 1, 2], 3, 1, id="back-and-forth"),
    ],
)
def test_version_track_counts_switches_and_reversals(
    seen: list[int], switches: int, backwards: int
) -> None:
    track = _drivers.VersionTrack()
    for version in seen:
        track.see(version)
    assert (track.switches, track.backwards) == (switches, backwards)


# --- drivers against scripted servers (fakes beside the real ones in test_echo) ------


class _ScriptedServicer(filter_pb2_grpc.SuggestionFilterServiceServicer):
    """Answers right (all allowed) at scripted versions; fails every third call."""

    def __init__(self, versions: Sequence[int], fail_every: int = 0) -> None:
        self.versions = list(versions)
        self.fail_every = fail_every
        self.calls = 0

    def _answer(
        self, request: filter_pb2.FilterRequest, context: grpc.ServicerContext
    ) -> filter_pb2.FilterResponse:
        self.calls += 1
        if self.fail_every and self.calls % self.fail_every == 0:
            context.abort(grpc.StatusCode.UNAVAILABLE, "scripted failure")
        version = self.versions[min(self.calls - 1, len(self.versions) - 1)]
        return filter_pb2.FilterResponse(
            allowed=request.suggestions,
            verdicts=[_verdict(Action.ALLOW)] * len(request.suggestions),
            query_verdict=_verdict(Action.ALLOW),
            list_version=version,
        )

    def Filter(
        self, request: filter_pb2.FilterRequest, context: grpc.ServicerContext
    ) -> filter_pb2.FilterResponse:
        return self._answer(request, context)

    def FilterSession(
        self, request_iterator: Iterator[filter_pb2.FilterRequest], context: grpc.ServicerContext
    ) -> Iterator[filter_pb2.FilterResponse]:
        for request in request_iterator:
            yield self._answer(request, context)


@pytest.fixture
def scripted() -> Iterator[tuple[_ScriptedServicer, str]]:
    servicer = _ScriptedServicer([1])
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    filter_pb2_grpc.add_SuggestionFilterServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, f"127.0.0.1:{port}"
    server.stop(None)


def _plan(sessions: int = 20) -> _corpus.LoadPlan:
    return _corpus.LoadPlan.from_corpus(_corpus.build_corpus(ENTRIES, POLICY, sessions=sessions))


@pytest.mark.parametrize("api", _drivers.CLIENT_APIS)
@pytest.mark.parametrize("mode", _drivers.MODES)
def test_driver_counts_errors_by_status_code(
    scripted: tuple[_ScriptedServicer, str], mode: str, api: str
) -> None:
    servicer, target = scripted
    servicer.fail_every = 3
    settings = _drivers.LoadSettings(
        mode=mode, concurrency=1, duration=0.5, api=api, client_processes=0, allow_all=True
    )
    result = _runner.run_load(target, _plan(), settings, progress=None)
    assert result.requests > 0
    assert set(result.errors) == {"UNAVAILABLE"}
    assert result.error_samples[0] == "UNAVAILABLE: scripted failure"
    assert not result.ok


@pytest.mark.parametrize("api", _drivers.CLIENT_APIS)
@pytest.mark.parametrize("mode", _drivers.MODES)
def test_driver_sees_a_version_going_backwards(
    scripted: tuple[_ScriptedServicer, str], mode: str, api: str
) -> None:
    servicer, target = scripted
    servicer.versions = [1, 1, 2, 2, 1]
    settings = _drivers.LoadSettings(
        mode=mode, concurrency=1, duration=0.5, api=api, client_processes=0, allow_all=True
    )
    result = _runner.run_load(target, _plan(), settings, progress=None)
    assert result.errors == {}
    assert result.versions.keys() == {1, 2}
    assert (result.switches, result.backwards) == (2, 1)
    assert not result.ok


def test_driver_reports_wrong_verdicts_of_a_service_that_allows_everything(
    scripted: tuple[_ScriptedServicer, str],
) -> None:
    _servicer, target = scripted
    settings = _drivers.LoadSettings(mode="unary", concurrency=2, duration=0.5, client_processes=0)
    result = _runner.run_load(target, _plan(), settings, progress=None)
    assert result.requests > 0 and result.wrong > 0
    assert any("expected BLOCK/" in sample for sample in result.wrong_samples)


# --- results and report -----------------------------------------------------------


def _result(label: str, mode: str, requests: int, latency_us: int) -> _report.LoadResult:
    result = _report.LoadResult(
        label=label, mode=mode, elapsed=2.0, requests=requests, connections=1
    )
    for _ in range(requests):
        result.histogram.record_value(latency_us)
    result.versions[1] = requests
    return result


def test_results_cross_processes_and_merge() -> None:
    first = _result("service", "unary", 100, 1000)
    first.errors["UNAVAILABLE"] = 2
    second = _report.LoadResult.from_transport(
        _result("service", "unary", 300, 3000).to_transport()
    )
    first.merge(second)
    assert first.requests == 400 and first.connections == 2
    assert first.errors == {"UNAVAILABLE": 2}
    assert first.percentile_ms(50) == pytest.approx(3.0, rel=0.01)
    assert first.percentile_ms(10) == pytest.approx(1.0, rel=0.01)
    assert first.requests_per_second == 200.0


def test_rounds_run_one_after_the_other_add_up_their_time() -> None:
    first = _result("service", "unary", 100, 1000)
    first.merge(_result("service", "unary", 300, 1000), sequential=True)
    assert first.elapsed == 4.0 and first.requests_per_second == 100.0


def test_report_gives_throughput_as_a_share_of_the_floor() -> None:
    service = _result("service", "unary", 900, 2000)
    floor = _result("echo-floor", "unary", 1000, 1500)
    table = _report.format_report([service], floors={"unary": floor})
    assert "90.0% of the echo floor's throughput" in table
    assert "p99 2.00 ms vs 1.50 ms" in table
    document = _report.report_document([service], floors={"unary": floor}, settings={"cpus": 2})
    assert document["ratio_to_floor"] == {"unary": 0.9}
    assert document["ok"] is True
    assert document["runs"][0]["latency_ms"]["p99"] == pytest.approx(2.0, rel=0.01)
    json.dumps(document)
    service.wrong = 1
    assert _report.report_document([service], floors={"unary": floor})["ok"] is False


@pytest.mark.parametrize("client_processes", [0, 1])
def test_actions_run_under_load_and_the_window_selects_their_calls(
    scripted: tuple[_ScriptedServicer, str], client_processes: int
) -> None:
    servicer, target = scripted
    published = []

    def publish() -> None:
        servicer.versions = [2]
        published.append(True)

    settings = _drivers.LoadSettings(
        concurrency=2,
        duration=1.0,
        client_processes=client_processes,
        allow_all=True,
        window=(0.4, 0.7),
    )
    result = _runner.run_load(target, _plan(), settings, progress=None, actions=[(0.4, publish)])
    assert published == [True]
    assert result.ok and result.versions.keys() == {1, 2}
    assert result.version_first_seen[1] < result.version_first_seen[2]
    assert result.version_last_seen[1] <= result.version_last_seen[2]
    assert 0 < result.window_histogram.get_total_count() < result.histogram.get_total_count()
    assert result.percentile_ms(99, window=True) > 0


def test_a_failing_action_fails_the_run(scripted: tuple[_ScriptedServicer, str]) -> None:
    _servicer, target = scripted

    def fail() -> None:
        raise OSError("publish failed")

    settings = _drivers.LoadSettings(
        concurrency=1, duration=0.3, client_processes=0, allow_all=True
    )
    with pytest.raises(RuntimeError, match="an action under load failed: OSError: publish failed"):
        _runner.run_load(target, _plan(), settings, progress=None, actions=[(0.1, fail)])


@pytest.mark.parametrize("api", _drivers.CLIENT_APIS)
def test_retry_policy_hides_failures_a_retry_recovers(
    scripted: tuple[_ScriptedServicer, str], api: str
) -> None:
    servicer, target = scripted
    servicer.fail_every = 3  # never twice in a row: the second attempt succeeds
    settings = _drivers.LoadSettings(
        concurrency=1, duration=0.5, api=api, client_processes=0, allow_all=True, retry=True
    )
    result = _runner.run_load(target, _plan(), settings, progress=None)
    assert result.requests > 0 and result.errors == {}
    assert servicer.calls > result.requests


@pytest.mark.parametrize("api", _drivers.CLIENT_APIS)
def test_an_unreachable_target_fails_the_run(free_port: int, api: str) -> None:
    settings = _drivers.LoadSettings(duration=0.2, api=api, client_processes=0, connect_timeout=0.3)
    target = f"127.0.0.1:{free_port}"
    with pytest.raises(RuntimeError, match=f"cannot connect to {target} within 0.3 s"):
        _runner.run_load(target, _plan(), settings, progress=None)
