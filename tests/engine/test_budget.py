"""The work budget of a keystroke: what is not decided when it runs out fails closed.

Clocks are injected: each text the matcher decides costs a set amount of CPU
(and wall) time on fake clocks, so the tests state exactly which texts are
decided.
"""

from __future__ import annotations

import itertools

import pytest
from suggestfilter import (
    Action,
    CategoryPolicy,
    Intervention,
    Matcher,
    Policy,
    SuggestionKind,
    TermEntry,
    Verdict,
)
from suggestfilter._model import UNDECIDED, WorkBudget

Q = SuggestionKind.QUERY
MS = 0.001

POLICY = Policy(
    {
        "profanity": CategoryPolicy(),
        "exploitation": CategoryPolicy(
            query=Action.INTERVENE, interventions={"en": Intervention("Help is available.")}
        ),
    }
)
BADWORD = Verdict(Action.BLOCK, "profanity", "r-badword")


class Clock:
    """A fake clock: ``now`` seconds, moved by the test; counts its readings."""

    def __init__(self) -> None:
        self.now = 0.0
        self.readings = 0

    def __call__(self) -> float:
        self.readings += 1
        return self.now


class Costly:
    """Moves the CPU and wall clocks on by a cost for every text the matcher decides."""

    def __init__(self, matcher: Matcher, *, cpu_cost: float, wall_cost: float) -> None:
        self.cpu, self.wall = Clock(), Clock()
        self.decided: list[str] = []
        decide_one = matcher._verdict

        def costly(text: str, kind: SuggestionKind, language: str, query: bool) -> Verdict:
            self.decided.append(text)
            self.cpu.now += cpu_cost
            self.wall.now += wall_cost
            return decide_one(text, kind, language, query)

        matcher._verdict = costly  # type: ignore[method-assign]

    def budget(self, seconds: float) -> WorkBudget:
        return WorkBudget(seconds, cpu_clock=self.cpu, wall_clock=self.wall)


@pytest.fixture
def matcher() -> Matcher:
    entries = [
        TermEntry("badword", "profanity", rule_id="r-badword"),
        TermEntry("zorblax", "exploitation", rule_id="r-zorblax"),
    ]
    return Matcher.compile(entries, POLICY, load_dictionary=False)


SUGGESTIONS = [("weather", Q), ("badword", Q), ("news", Q), ("sports", Q), ("music", Q)]


def test_texts_past_the_budget_are_undecided_and_hidden(matcher: Matcher) -> None:
    costly = Costly(matcher, cpu_cost=5 * MS, wall_cost=5 * MS)
    # Checks before each text at 0, 5, 10, 15 ms: the query and two suggestions fit in 12 ms.
    decision = matcher.decide("free", SUGGESTIONS, "en", budget=costly.budget(12 * MS))
    assert costly.decided == ["free", "weather", "badword"]
    assert decision.query_verdict == Verdict(Action.ALLOW)
    assert decision.suggestion_verdicts == (
        Verdict(Action.ALLOW),
        BADWORD,
        UNDECIDED,
        UNDECIDED,
        UNDECIDED,
    )
    assert decision.allowed_indexes == (0,)
    assert (UNDECIDED.action, UNDECIDED.category, UNDECIDED.rule_id) == (Action.BLOCK, "", "")
    assert UNDECIDED.undecided


def test_a_query_past_the_budget_is_undecided_and_hides_everything(matcher: Matcher) -> None:
    costly = Costly(matcher, cpu_cost=5 * MS, wall_cost=5 * MS)
    # Clocks that read a second past the start from the first check on.
    late_cpu = itertools.chain([0.0], itertools.repeat(1.0)).__next__
    late_wall = itertools.chain([0.0], itertools.repeat(1.0)).__next__
    budget = WorkBudget(12 * MS, cpu_clock=late_cpu, wall_clock=late_wall)
    decision = matcher.decide("zorblax", SUGGESTIONS, "en", budget=budget)
    assert costly.decided == []
    assert decision.query_verdict == UNDECIDED
    assert decision.suggestion_verdicts == (UNDECIDED,) * len(SUGGESTIONS)
    assert decision.allowed_indexes == ()
    assert decision.intervention is None


def test_within_the_budget_everything_is_decided_and_the_cpu_clock_read_once(
    matcher: Matcher,
) -> None:
    costly = Costly(matcher, cpu_cost=0.01 * MS, wall_cost=0.01 * MS)
    decision = matcher.decide("free", SUGGESTIONS, "en", budget=costly.budget(20 * MS))
    assert not any(verdict.undecided for verdict in decision.suggestion_verdicts)
    assert len(costly.decided) == 1 + len(SUGGESTIONS)
    assert costly.cpu.readings == 1  # at the start; the wall clock vouches for the rest
    assert costly.wall.readings == 1 + 1 + len(SUGGESTIONS)


def test_time_spent_preempted_does_not_count(matcher: Matcher) -> None:
    costly = Costly(matcher, cpu_cost=1 * MS, wall_cost=100 * MS)
    decision = matcher.decide("free", SUGGESTIONS, "en", budget=costly.budget(20 * MS))
    assert not any(verdict.undecided for verdict in decision.suggestion_verdicts)
    assert decision.allowed_indexes == (0, 2, 3, 4)


def test_without_a_budget_everything_is_decided(matcher: Matcher) -> None:
    costly = Costly(matcher, cpu_cost=1.0, wall_cost=1.0)
    decision = matcher.decide("free", SUGGESTIONS, "en")
    assert len(costly.decided) == 1 + len(SUGGESTIONS)
    assert decision.allowed_indexes == (0, 2, 3, 4)


@pytest.mark.parametrize(
    "seconds",
    [
        pytest.param(0.0, id="zero"),
        pytest.param(-1.0, id="negative"),
        pytest.param(float("nan"), id="nan"),
    ],
)
def test_a_budget_is_positive(seconds: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        WorkBudget(seconds)
