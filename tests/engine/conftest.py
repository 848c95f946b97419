"""The two paths to a verdict, as a fixture that runs a test on each."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from suggestfilter import Matcher, SuggestionKind, Verdict

VerdictOf = Callable[[Matcher, str, SuggestionKind, str], Verdict]


def _fully_analysed(matcher: Matcher, text: str, kind: SuggestionKind, locale: str) -> Verdict:
    return matcher.explain(text, kind, locale).suggestion_verdict


@pytest.fixture(
    params=[
        pytest.param(Matcher.suggestion_verdict, id="fast-path"),
        pytest.param(_fully_analysed, id="full-analysis"),
    ]
)
def verdict_of(request: pytest.FixtureRequest) -> VerdictOf:
    """How a test gets the verdict on a suggestion: ``(matcher, text, kind, locale)``.

    ``fast-path`` is how a server decides (the pre-check, then the cached full
    analysis for text that may match); ``full-analysis`` skips the pre-check
    and the cache (what ``explain`` reports).
    """
    verdict_of: VerdictOf = request.param
    return verdict_of
