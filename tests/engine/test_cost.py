"""No bypass by length, and work linear in the length of the text.

The boundary search and the hashtag segmentation are checked against the
plain quadratic searches they replace (kept here as references), and their
work is counted (traced lines), never timed.
"""

from __future__ import annotations

import bisect
import math
import sys
from collections.abc import Callable, Mapping
from types import FrameType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from suggestfilter import (
    Action,
    CategoryPolicy,
    Intervention,
    Matcher,
    MatchMode,
    Policy,
    SuggestionKind,
    TermEntry,
)
from suggestfilter.engine import _analysis, _segment
from suggestfilter.engine._analysis import JoinedText, _accept, _Boundaries, _Hit
from suggestfilter.engine._compile import Rule, compile_entry

MAX_TEXT_CHARS = 512  # rpc/_limits.py

POLICY = Policy(
    {
        "x": CategoryPolicy(
            suggestions=Action.BLOCK,
            query=Action.INTERVENE,
            interventions={"en": Intervention("Help is available.")},
        )
    }
)


LONGER_THAN_A_WORD = "qwzxvbnmlkjhgfdsapoiuytrewq"  # more letters than any dictionary word


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.compile(
        [
            TermEntry("zorblax", "x", rule_id="r-zorblax"),
            TermEntry("badword", "x"),
            TermEntry(LONGER_THAN_A_WORD, "x"),
        ],
        POLICY,
    )


# -- no bypass by length -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("#zorblax" + "videos" * 11, id="hashtag-74-letters"),
        pytest.param("#zorblax" + "videos" * 84, id="hashtag-at-the-limit"),
        pytest.param("#" + "videos" * 40 + "zorblax" + "videos" * 40, id="hashtag-term-mid-run"),
        pytest.param("#" + "videos" * 84 + "zorblax", id="hashtag-term-at-the-end"),
        pytest.param("#freezorblax" + "clips" * 100, id="hashtag-freeword-prefix"),
        pytest.param("#free" + LONGER_THAN_A_WORD + "videos", id="hashtag-term-of-27-letters"),
    ],
)
@pytest.mark.parametrize(
    "kind", [SuggestionKind.HASHTAG, SuggestionKind.QUERY], ids=["hashtag", "query"]
)
def test_long_caseless_hashtag_is_analysed_whole(
    matcher: Matcher, text: str, kind: SuggestionKind
) -> None:
    text = text[:MAX_TEXT_CHARS]
    assert matcher.suggestion_verdict(text, kind, "en").action is Action.BLOCK
    assert matcher.explain(text, kind, "en").suggestion_verdict.action is Action.BLOCK
    decision = matcher.decide(text, [(text, kind)], "en")
    assert decision.query_verdict.action is Action.INTERVENE
    assert decision.intervention is not None


@pytest.mark.parametrize("letters", [63, 64, 65, 200, 505], ids=lambda n: f"{n}-letters")
def test_account_name_of_any_length_is_analysed(matcher: Matcher, letters: int) -> None:
    text = ("zorblax" + "videos" * 90)[:letters]
    assert matcher.suggestion_verdict(text, SuggestionKind.ACCOUNT, "en").action is Action.BLOCK


# -- the boundary search -------------------------------------------------------------


def _reference_accept(
    rule: Rule, q_start: int, q_end: int, text: JoinedText, anywhere: set[int]
) -> tuple[int, int] | None:
    """The quadratic search: every (start, end) pair, earliest start then end first."""
    run_starts = text.run_starts
    run_ends = text.run_ends
    first_start, first_end = run_starts[q_start], run_ends[q_start]
    last_start, last_end = run_starts[q_end - 1], run_ends[q_end - 1]
    if rule.mode is MatchMode.SUBSTRING:
        starts = [first_start]
        ends = [last_end]
    else:
        starts = [p for p in range(first_start, first_end) if p in anywhere]
        ends = [p for p in range(last_start + 1, last_end + 1) if p in anywhere]
    runs = rule.runs
    for start in starts:
        for end in ends:
            if end <= start:
                continue
            long_enough = True
            for offset, q in enumerate(range(q_start, q_end)):
                needed = 1 if runs is None else runs[offset]
                if min(run_ends[q], end) - max(run_starts[q], start) < needed:
                    long_enough = False
                    break
            if long_enough and _reference_gaps_allowed(rule, q_start, text, start, end):
                return start, end
    return None


def _reference_gaps_allowed(
    rule: Rule, q_start: int, text: JoinedText, start: int, end: int
) -> bool:
    hard = text.hard_gaps
    run_of = text.run_of
    index = bisect.bisect_right(hard, start)
    while index < len(hard) and hard[index] < end:
        if run_of[hard[index] - 1] - q_start + 1 not in rule.boundaries:
            return False
        index += 1
    return True


def _hits(text: JoinedText, rule: Rule, key: str) -> list[_Hit]:
    hits = []
    index = text.squeezed.find(key)
    while index >= 0:
        hits.append((index, index + len(key), (rule,)))
        index = text.squeezed.find(key, index + 1)
    hits.sort(key=lambda hit: hit[1])
    return hits


_KINDS = st.sampled_from(
    [
        SuggestionKind.QUERY,
        SuggestionKind.HASHTAG,
        SuggestionKind.ACCOUNT,
        SuggestionKind.UNSPECIFIED,
    ]
)


@settings(max_examples=400, deadline=None)
@given(
    text=st.text(alphabet="abbd. -#B", min_size=1, max_size=60),
    term=st.text(alphabet="abd ", min_size=1, max_size=6),
    match=st.sampled_from(list(MatchMode)),
    kind=_KINDS,
)
def test_boundary_search_agrees_with_the_quadratic_search(
    text: str, term: str, match: MatchMode, kind: SuggestionKind
) -> None:
    if not term.strip():
        return
    rule, key, _ = compile_entry(TermEntry(term, "x", match=match))
    joined = JoinedText.of(text, kind)
    hits = _hits(joined, rule, key)
    if not hits:
        return
    anywhere = _Boundaries(joined, hits).anywhere
    for q_start, q_end, _ in hits:
        expected = _reference_accept(rule, q_start, q_end, joined, anywhere)
        assert _accept(rule, q_start, q_end, joined, anywhere) == expected


# -- segmentation --------------------------------------------------------------------


def _reference_segment(letters: str, term_edges: Mapping[tuple[int, int], float]) -> list[int]:
    """The plain Viterbi search: every piece of up to MAX_WORD_LENGTH letters ending here,
    and every term."""
    length = len(letters)
    if length < 2:
        return []
    costs = _segment.word_costs()
    best = [0.0] + [math.inf] * length
    back = [0] * (length + 1)
    for end in range(1, length + 1):
        window = range(max(0, end - _segment.MAX_WORD_LENGTH), end)
        for start in sorted({*window, *(s for s, e in term_edges if e == end)}):
            cost = (
                costs.get(letters[start:end]) if end - start <= _segment.MAX_WORD_LENGTH else None
            )
            edge = term_edges.get((start, end))
            if edge is not None and (cost is None or edge < cost):
                cost = edge
            if cost is None:
                if end - start > _segment.MAX_WORD_LENGTH:
                    continue
                cost = _segment.UNKNOWN_BASE_COST + _segment.UNKNOWN_CHAR_COST * (end - start)
            if best[start] + cost < best[end]:
                best[end] = best[start] + cost
                back[end] = start
    boundaries: list[int] = []
    position = back[length]
    while position > 0:
        boundaries.append(position)
        position = back[position]
    return boundaries[::-1]


_PIECES = ["free", "video", "the", "rapist", "therapist", "zorblax", "bad", "word", "s", "x", "qu"]


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(_PIECES) | st.text(alphabet="aeiouxzqrst", max_size=5)),
    edge_spans=st.lists(st.tuples(st.integers(0, 80), st.integers(1, 60)), max_size=4),
)
def test_segmentation_agrees_with_the_plain_search(
    pieces: list[str], edge_spans: list[tuple[int, int]]
) -> None:
    letters = _segment.squeeze("".join(pieces))
    edges = {
        (start, start + width): _segment.TERM_COST
        for start, width in edge_spans
        if start + width <= len(letters)
    }
    assert _segment.segment_uncached(letters, edges) == _reference_segment(letters, edges)


# -- work grows linearly with the length -----------------------------------------------


def _traced_lines(call: Callable[[], object]) -> int:
    """How many lines of the engine's analysis and segmentation modules ``call`` runs."""
    files = {_analysis.__file__, _segment.__file__}
    count = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if frame.f_code.co_filename not in files:
            return None
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        call()
    finally:
        sys.settrace(None)
    return count


def _separators_around(length: int) -> str:
    side = (length - 8) // 4
    return "b." * side + "ba dword" + ".d" * side


def _caseless_run(length: int) -> str:
    return ("#zorblax" + "videoszorblaxbadword" * 30)[:length]


def _spelled(length: int) -> str:
    return ".".join("badwordzorblax" * 40)[:length]


@pytest.mark.parametrize(
    "make", [_separators_around, _caseless_run, _spelled], ids=["separators", "caseless", "spelled"]
)
@pytest.mark.parametrize(
    "kind", [SuggestionKind.QUERY, SuggestionKind.HASHTAG], ids=["query", "hashtag"]
)
def test_analysis_work_is_linear_in_the_length(
    matcher: Matcher, make: Callable[[int], str], kind: SuggestionKind
) -> None:
    def work(length: int) -> int:
        text = make(length)
        return _traced_lines(lambda: matcher.explain(text, kind, "en"))

    short, long = work(MAX_TEXT_CHARS // 4), work(MAX_TEXT_CHARS)
    # Four times the text: about four times the work (a quadratic search does 16 times).
    assert long <= 6 * short, (short, long)


# -- no bypass by the number of words in a term ----------------------------------------

LONG_TERM = "ab cd ef gh ij kl mn"  # more words than the plain index writes out every way


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("ab cd ef gh ij kl mn", id="spaced"),
        pytest.param("abcdefghijklmn", id="joined"),
        pytest.param("abcd ef gh ij kl mn", id="first-two-joined"),
        pytest.param("free ab cdef gh ij klmn videos", id="some-joined-in-context"),
    ],
)
@pytest.mark.parametrize("match", list(MatchMode), ids=lambda mode: mode.value)
def test_long_term_is_found_however_its_words_are_spaced(text: str, match: MatchMode) -> None:
    matcher = Matcher.compile([TermEntry(LONG_TERM, "x", match=match)], POLICY)
    assert matcher.suggestion_verdict(text, SuggestionKind.QUERY, "en").action is Action.BLOCK


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.text(alphabet="abcdefgh", min_size=2, max_size=4), min_size=2, max_size=9),
    gaps=st.lists(st.sampled_from([" ", ""]), min_size=8, max_size=8),
    match=st.sampled_from(list(MatchMode)),
    context=st.sampled_from(["", "free ", "how to "]),
)
def test_fast_path_agrees_with_the_full_analysis_for_terms_of_any_word_count(
    words: list[str], gaps: list[str], match: MatchMode, context: str
) -> None:
    term = " ".join(words)
    matcher = Matcher.compile([TermEntry(term, "x", match=match)], POLICY, load_dictionary=False)
    spaced = zip(gaps[: len(words) - 1], words[1:], strict=True)
    text = context + words[0] + "".join(gap + word for gap, word in spaced)
    fast = matcher.suggestion_verdict(text, SuggestionKind.QUERY, "en")
    assert fast == matcher.explain(text, SuggestionKind.QUERY, "en").suggestion_verdict
