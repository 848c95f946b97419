"""Turning matches into verdicts under a policy: most users can ignore this.

Two rules, each stated once here:

- An ALLOW entry suppresses every BLOCK match whose span it covers
  (:func:`split_by_allows`); ALLOW matches never decide a verdict.
- Of the BLOCK matches that stand, the category's action for the text's role
  (``query`` for a typed query, ``suggestions`` for a suggestion) decides;
  the strongest action wins (INTERVENE > BLOCK > ALLOW), then the earliest
  match, then the longest, then the smallest rule id. Of two verdicts on
  one text (its logical and its display order), the stronger action wins
  (:func:`stronger`).
"""

from __future__ import annotations

from collections.abc import Sequence

from suggestfilter._model import (
    ALLOWED,
    Action,
    EntryKind,
    InterventionNotice,
    KeystrokeDecision,
    Policy,
    Verdict,
)
from suggestfilter.engine._analysis import Match

_ACTION_STRENGTH = {Action.ALLOW: 0, Action.BLOCK: 1, Action.INTERVENE: 2}


def stronger(first: Verdict, second: Verdict) -> Verdict:
    """The verdict with the stronger action (INTERVENE > BLOCK > ALLOW); ``first`` on a tie."""
    if _ACTION_STRENGTH[second.action] > _ACTION_STRENGTH[first.action]:
        return second
    return first


def split_by_allows(matches: Sequence[Match]) -> tuple[list[Match], list[Match]]:
    """The BLOCK matches that stand, and the BLOCK matches an ALLOW match covers.

    An ALLOW match covers a BLOCK match when the block's span lies inside
    the allow's (edges included), in the joined text.
    """
    if not matches:
        return [], []
    allows = [match for match in matches if match.rule.kind is EntryKind.ALLOW]
    standing: list[Match] = []
    suppressed: list[Match] = []
    for match in matches:
        if match.rule.kind is not EntryKind.BLOCK:
            continue
        if any(a.start <= match.start and match.end <= a.end for a in allows):
            suppressed.append(match)
        else:
            standing.append(match)
    return standing, suppressed


class Judge:
    """Decides verdicts and keystrokes from matches under one policy; immutable."""

    __slots__ = ("_categories", "_policy")

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self._categories = policy.categories

    @property
    def policy(self) -> Policy:
        """The policy the judge decides with."""
        return self._policy

    def verdict(self, matches: Sequence[Match], *, query: bool) -> Verdict:
        """The verdict on a text with these matches, as a typed query or as a suggestion."""
        standing, _ = split_by_allows(matches)
        return self.strongest(standing, query=query)

    def strongest(self, standing: Sequence[Match], *, query: bool) -> Verdict:
        """The verdict of the strongest standing BLOCK match; ALLOWED when none acts."""
        best: tuple[int, int, int, str] | None = None
        verdict = ALLOWED
        for match in standing:
            category = self._categories[match.rule.category]
            action = category.query if query else category.suggestions
            if action is Action.ALLOW:
                continue
            rank = (-_ACTION_STRENGTH[action], match.start, -match.end, match.rule.rule_id)
            if best is None or rank < best:
                best = rank
                verdict = Verdict(action, match.rule.category, match.rule.rule_id)
        return verdict

    def keystroke(
        self, query_verdict: Verdict, verdicts: tuple[Verdict, ...], language: str
    ) -> KeystrokeDecision:
        """The decision on a keystroke from the verdicts on its query and its suggestions.

        When the query verdict is BLOCK or INTERVENE no suggestion is allowed;
        INTERVENE brings the category's intervention notice.
        """
        intervention = None
        if query_verdict.action is Action.ALLOW:
            allowed = tuple(i for i, v in enumerate(verdicts) if v.action is Action.ALLOW)
        else:
            allowed = ()
            if query_verdict.action is Action.INTERVENE:
                intervention = self.intervention(query_verdict.category, language)
        return KeystrokeDecision(
            suggestion_verdicts=verdicts,
            query_verdict=query_verdict,
            allowed_indexes=allowed,
            intervention=intervention,
        )

    def intervention(self, category: str, language: str) -> InterventionNotice:
        """The category's notice in ``language``, else English, else its first language."""
        interventions = self._categories[category].interventions
        chosen = interventions.get(language) or interventions.get("en")
        if chosen is None and interventions:
            chosen = next(iter(interventions.values()))
        if chosen is None:
            return InterventionNotice(category=category, message="", help_url="")
        return InterventionNotice(
            category=category, message=chosen.message, help_url=chosen.help_url
        )
