"""The load test's verdict oracle: what each keystroke expects, decided without the engine.

The oracle never calls the engine under test. It decides with its own coarse
skeleton (:func:`coarse_skeleton`), which over-approximates what any correct
folding can match; the corpus (:mod:`suggestfilter.loadtest._corpus`) keeps
only text whose verdict that makes certain. :class:`Expected` holds one
text's verdict per list version (a canary term added by a later version is
allowed before it and blocked from it on), and :func:`check_response` compares
a response with the keystroke it answers.

No typed query and no term is ever reported: a mismatch is described by
field, expected and actual action and category, and the kind of disguise.
"""

from __future__ import annotations

import collections
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import ahocorasick

from suggestfilter._model import Action, SuggestionKind
from suggestfilter.v1 import filter_pb2

# ---------------------------------------------------------------------------
# The skeleton
# ---------------------------------------------------------------------------

# Leetspeak digits and symbols, applied everywhere (a correct engine applies them
# only inside letter tokens, so this finds at least every match it can find).
_COARSE_LEET = str.maketrans(
    {"4": "a", "@": "a", "3": "e", "0": "o", "1": "i", "!": "i", "5": "s", "$": "s", "7": "t"}
)
# Letters that Unicode's confusables data (UTS #39) folds together, merged
# generously: l and i share a prototype, m looks like rn, d like cl, w like vv.
_COARSE_CONFUSABLE = str.maketrans({"l": "i", "m": "rn", "d": "cl", "w": "v"})
_REPEATS = re.compile(r"(.)\1+")


def coarse_skeleton(text: str) -> str:
    """A skeleton that merges at least everything a correct filter's folding merges.

    Compatibility forms are decomposed, marks dropped, case folded, leetspeak
    mapped everywhere, every character that is not a letter or digit dropped
    (so every separator disguise joins up), look-alike letters merged and
    repeated letters squeezed. If a term's skeleton does not occur in a
    text's skeleton, no correct engine can match the term in the text; the
    converse does not hold, so the oracle only uses text whose verdict this
    settles (it drops the rest).
    """
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(
        char for char in decomposed.casefold() if not unicodedata.combining(char)
    ).translate(_COARSE_LEET)
    kept = _REPEATS.sub(r"\1", "".join(char for char in letters if char.isalnum()))
    # Squeeze before and after merging look-alikes: "dd" must stay one "cl".
    return _REPEATS.sub(r"\1", kept.translate(_COARSE_CONFUSABLE))


class TermIndex:
    """Which terms' coarse skeletons occur in a text's coarse skeleton (Aho-Corasick)."""

    def __init__(self, terms: Iterable[CorpusTerm]) -> None:
        by_skeleton: dict[str, list[CorpusTerm]] = collections.defaultdict(list)
        for term in terms:
            skeleton = coarse_skeleton(term.text)
            if skeleton:
                by_skeleton[skeleton].append(term)
        self._automaton = ahocorasick.Automaton()
        for skeleton, group in by_skeleton.items():
            self._automaton.add_word(skeleton, tuple(group))
        self._empty = not by_skeleton
        if not self._empty:
            self._automaton.make_automaton()

    def contained(self, text: str) -> set[CorpusTerm]:
        """Every term whose skeleton occurs in ``text``'s skeleton."""
        if self._empty:
            return set()
        found: set[CorpusTerm] = set()
        for _end, group in self._automaton.iter(coarse_skeleton(text)):
            found.update(group)
        return found


# ---------------------------------------------------------------------------
# What a keystroke expects
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CorpusTerm:
    """A blocked term as the oracle sees it.

    ``from_version`` is the first list version that blocks it (1 for the
    terms of the base list; a canary added by a later publish has that
    version's number).
    """

    text: str
    category: str
    from_version: int = 1


@dataclass(frozen=True, slots=True)
class Expected:
    """The verdict one text expects: ``action``/``category`` from list version
    ``from_version`` on, ``before_action``/``before_category`` below it."""

    action: Action
    category: str = ""
    from_version: int = 0
    before_action: Action = Action.ALLOW
    before_category: str = ""

    def at(self, version: int) -> tuple[Action, str]:
        """The expected (action, category) under list version ``version``."""
        if version >= self.from_version:
            return self.action, self.category
        return self.before_action, self.before_category


ALLOW_EXPECTED: Final = Expected(Action.ALLOW)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One candidate suggestion with the verdict it expects.

    ``label`` names how it was made (``innocent``, ``case``, ``leet``,
    ``separator``...), for reports that must not show the text.
    """

    text: str
    kind: SuggestionKind
    expected: Expected
    label: str


@dataclass(frozen=True, slots=True)
class Keystroke:
    """One keystroke: the typed query, its candidates and what each expects."""

    query: str
    query_expected: Expected
    candidates: tuple[Candidate, ...]
    query_label: str = "innocent"


# ---------------------------------------------------------------------------
# Checking responses
# ---------------------------------------------------------------------------


def _kind_name(kind: SuggestionKind) -> str:
    return kind.name


def check_response(
    keystroke: Keystroke, response: filter_pb2.FilterResponse, *, allow_all: bool = False
) -> str | None:
    """None when ``response`` is what ``keystroke`` expects, else one line saying what differs.

    The line names fields, actions, categories and disguise labels, never text.
    With ``allow_all`` (the echo floor) every candidate and the query expect
    ALLOW. The expectation is taken at the response's ``list_version``.
    """
    version = int(response.list_version)
    if version < 1:
        return f"list_version is {version}, expected at least 1"
    candidates = keystroke.candidates
    if len(response.verdicts) != len(candidates):
        return f"{len(response.verdicts)} verdicts for {len(candidates)} suggestions"
    if allow_all:
        query_expected: tuple[Action, str] = (Action.ALLOW, "")
    else:
        query_expected = keystroke.query_expected.at(version)
    query_verdict = response.query_verdict
    if (int(query_verdict.action), query_verdict.category) != query_expected:
        return (
            f"query ({keystroke.query_label}): expected {query_expected[0].name}/"
            f"{query_expected[1]}, got {_action_name(query_verdict.action)}/"
            f"{query_verdict.category} at list version {version}"
        )
    allowed_indexes = []
    for position, (candidate, verdict) in enumerate(
        zip(candidates, response.verdicts, strict=True)
    ):
        expected = (Action.ALLOW, "") if allow_all else candidate.expected.at(version)
        if int(verdict.action) != expected[0] or verdict.category != expected[1]:
            return (
                f"suggestions[{position}] ({_kind_name(candidate.kind)}, {candidate.label}): "
                f"expected {expected[0].name}/{expected[1]}, got "
                f"{_action_name(verdict.action)}/{verdict.category} at list version {version}"
            )
        if expected[0] is Action.BLOCK and not verdict.rule_id:
            return f"suggestions[{position}]: BLOCK without a rule_id"
        if expected[0] is Action.ALLOW:
            allowed_indexes.append(position)
    if query_expected[0] is Action.ALLOW:
        expected_allowed = [candidates[position].text for position in allowed_indexes]
    else:
        expected_allowed = []
    if [suggestion.text for suggestion in response.allowed] != expected_allowed:
        return (
            f"allowed holds {len(response.allowed)} suggestions, expected "
            f"{len(expected_allowed)} (query {query_expected[0].name})"
        )
    if query_expected[0] is Action.INTERVENE:
        if response.intervention.category != query_expected[1] or not (
            response.intervention.message
        ):
            return "query INTERVENE without an intervention of its category"
    elif response.HasField("intervention"):
        return f"intervention set with query {query_expected[0].name}"
    return None


def _action_name(value: int) -> str:
    try:
        return Action(value).name
    except ValueError:
        return f"ACTION_{value}"
