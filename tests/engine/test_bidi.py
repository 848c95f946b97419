"""Display order: text is matched as a reader sees it, as well as in its logical order.

A right-to-left override (U+202E) followed by ``drowdab`` is displayed as
``badword``; right-to-left characters lay out the Latin words around them
right to left even without a control. Every displayed disguise must be
blocked; text that merely holds controls or right-to-left script, and
Hebrew and Arabic text, must not be. Every table runs on both paths to a
verdict (the ``verdict_of`` fixture).
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable

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
from suggestfilter.engine._bidi import (
    _MAY_REORDER,
    display_order,
    display_order_with_origins,
)

Q = SuggestionKind.QUERY
H = SuggestionKind.HASHTAG
U = SuggestionKind.UNSPECIFIED

VerdictOf = Callable[[Matcher, str, SuggestionKind, str], Verdict]

RLO, LRO, PDF = "\u202e", "\u202d", "\u202c"
RLE, LRI, RLI, FSI, PDI = "\u202b", "\u2066", "\u2067", "\u2068", "\u2069"
RLM, ALM = "\u200f", "\u061c"
MAQAF = "\u05be"  # Hebrew punctuation, a right-to-left character that is no letter
ALEF = "\u05d0"
# A synthetic Hebrew term (zorblaks, spelled in Hebrew letters).
HEBREW_TERM = "\u05d6\u05d5\u05e8\u05d1\u05dc\u05e7\u05e1"

POLICY = Policy(
    {
        "profanity": CategoryPolicy(suggestions=Action.BLOCK, query=Action.BLOCK),
        "exploitation": CategoryPolicy(
            suggestions=Action.BLOCK,
            query=Action.INTERVENE,
            interventions={"en": Intervention("Help is available.", "https://example.org/en")},
        ),
    }
)
ENTRIES = [
    TermEntry("badword", "profanity", rule_id="r-badword"),
    TermEntry("zorblax", "exploitation", rule_id="r-zorblax"),
    TermEntry(HEBREW_TERM, "profanity", rule_id="r-hebrew"),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.compile(ENTRIES, POLICY, load_dictionary=False)


DISPLAYED = [
    pytest.param(RLO + "drowdab", Q, "r-badword", id="override"),
    pytest.param(f"free {RLO}drowdab{PDF} videos", Q, "r-badword", id="override-inside-ltr"),
    pytest.param(f"{RLO}soediv drowdab eerf", Q, "r-badword", id="override-whole-phrase"),
    pytest.param(f"#{RLO}drowdab", U, "r-badword", id="override-of-a-hashtag"),
    pytest.param(f"#{RLO}drowdab", H, "r-badword", id="override-of-a-hashtag-kind"),
    pytest.param(f"#{RLO}soediVdrowdaBeerF", H, "r-badword", id="override-of-a-camelcase-hashtag"),
    pytest.param(f"{RLO}drowdab#", U, "r-badword", id="override-carries-the-hash"),
    pytest.param(f"x {RLE}{RLO}drowdab{PDF}{PDF} y", Q, "r-badword", id="override-in-embedding"),
    pytest.param(f"see {RLI}{RLO}drowdab{PDF}{PDI} now", Q, "r-badword", id="override-in-rli"),
    pytest.param(f"see {LRI}{RLO}drowdab{PDF}{PDI} now", Q, "r-badword", id="override-in-lri"),
    pytest.param(f"see {FSI}{RLO}drowdab{PDF}{PDI} now", Q, "r-badword", id="override-in-fsi"),
    pytest.param(f"{RLO}dr\u200bowd\u00e4b", Q, "r-badword", id="override-and-other-disguises"),
    pytest.param(f"{RLO}dr0wd4b", Q, "r-badword", id="override-and-leet"),
    pytest.param(f"{RLM}word{RLM}-{RLM}bad", Q, "r-badword", id="rlm-between-words"),
    pytest.param(f"{ALM}word{ALM}-{ALM}bad", Q, "r-badword", id="alm-between-words"),
    pytest.param(f"{ALEF} word{MAQAF}bad", Q, "r-badword", id="hebrew-punctuation-no-control"),
    pytest.param(LRO + HEBREW_TERM[::-1], Q, "r-hebrew", id="lro-of-a-reversed-hebrew-term"),
    pytest.param(RLO + "drowdab\ud800", Q, "r-badword", id="lone-surrogate"),
]


@pytest.mark.parametrize(("text", "kind", "rule_id"), DISPLAYED)
def test_what_is_displayed_is_matched(
    matcher: Matcher, verdict_of: VerdictOf, text: str, kind: SuggestionKind, rule_id: str
) -> None:
    verdict = verdict_of(matcher, text, kind, "en")
    assert verdict == Verdict(Action.BLOCK, "profanity", rule_id)


LOGICAL = [
    pytest.param(f"bad{RLO}word", Q, id="override-after-the-term-starts"),
    pytest.param(f"{RLI}badword{PDI}", Q, id="isolate-keeps-latin-in-order"),
    pytest.param(f"{ALEF} badword", Q, id="latin-term-in-hebrew"),
    pytest.param("\u0645\u0631\u062d\u0628\u0627 badword", Q, id="latin-term-in-arabic"),
    pytest.param(HEBREW_TERM, Q, id="hebrew-term"),
    pytest.param(
        f"\u05e9\u05dc\u05d5\u05dd {HEBREW_TERM} \u05e2\u05d5\u05dc\u05dd",
        Q,
        id="hebrew-term-in-hebrew",
    ),
]


@pytest.mark.parametrize(("text", "kind"), LOGICAL)
def test_what_is_stored_is_still_matched(
    matcher: Matcher, verdict_of: VerdictOf, text: str, kind: SuggestionKind
) -> None:
    assert verdict_of(matcher, text, kind, "en").action is Action.BLOCK


INNOCENT = [
    pytest.param(LRO + "drowdab", id="lro-keeps-latin-in-order"),
    pytest.param(f"a{RLI}drowdab{PDI} c", id="isolate-does-not-reverse-latin"),
    pytest.param(f"{RLO}{LRO}drowdab{PDF}{PDF}", id="inner-lro-cancels-the-override"),
    pytest.param(f"{RLO}drow dab", id="override-of-two-words-shows-two-words"),
    pytest.param(HEBREW_TERM[::-1], id="reversed-hebrew-term-reads-reversed"),
    pytest.param(f"{ALEF} word bad", id="latin-words-keep-their-order-in-hebrew"),
    pytest.param(f"{ALEF} word {ALEF} bad", id="hebrew-letter-between-latin-words"),
    pytest.param("\u05e9\u05dc\u05d5\u05dd, \u05e2\u05d5\u05dc\u05dd!", id="plain-hebrew"),
]


@pytest.mark.parametrize("text", INNOCENT)
def test_innocent_bidi_text_passes(matcher: Matcher, verdict_of: VerdictOf, text: str) -> None:
    assert verdict_of(matcher, text, Q, "en") == Verdict(Action.ALLOW)


def test_a_displayed_term_as_typed_query_intervenes(matcher: Matcher) -> None:
    decision = matcher.decide(RLO + "xalbroz", [("weather", Q)], "en")
    assert decision.query_verdict == Verdict(Action.INTERVENE, "exploitation", "r-zorblax")
    assert decision.allowed_indexes == ()
    assert decision.intervention is not None


def test_explain_shows_the_displayed_match_on_the_original_characters(matcher: Matcher) -> None:
    text = f"free {RLO}drowdab{PDF} videos"
    explanation = matcher.explain(text, Q, "en")
    assert explanation.folded == "free drowdab videos"
    assert explanation.display_folded == "free badword videos"
    (match,) = explanation.matches
    assert (match.start, match.end, match.rule_id, match.displayed) == (6, 13, "r-badword", True)
    assert text[match.start : match.end] == "drowdab"
    assert explanation.suggestion_verdict == Verdict(Action.BLOCK, "profanity", "r-badword")


def test_explain_spans_a_match_read_from_scattered_characters(matcher: Matcher) -> None:
    text = f"{ALEF} word{MAQAF}bad"  # displayed "bad\u05beword \u05d0"
    (match,) = matcher.explain(text, Q, "en").matches
    assert match.displayed
    assert text[match.start : match.end] == f"word{MAQAF}bad"


def test_explain_lists_a_match_found_in_both_orders_once(matcher: Matcher) -> None:
    explanation = matcher.explain(f"{ALEF} badword", Q, "en")  # displayed "badword \u05d0"
    assert [(m.start, m.end, m.displayed) for m in explanation.matches] == [(2, 9, False)]


ORIGINS = [
    pytest.param(RLO + "drowdab", id="override"),
    pytest.param(f"free {RLO}drowdab{PDF} videos", id="override-inside-ltr"),
    pytest.param("\u05e9\u05dc\u05d5\u05dd badword \u05e2\u05d5\u05dc\u05dd", id="mixed"),
    pytest.param(f"{ALEF} (\u05d1)", id="mirrored-brackets"),
    pytest.param(f"{RLO}drow\ndab\u2029x", id="paragraphs"),
    pytest.param(f"abc {RLE}{RLO}drow{PDF}{PDF}dab", id="nested"),
    pytest.param(f"{LRO}{HEBREW_TERM[::-1]}   ", id="trailing-whitespace"),
    pytest.param(f"x{RLI}\u05d0 1 \u05d1{PDI}\ty", id="isolate-and-tab"),
]


@pytest.mark.parametrize("text", ORIGINS)
def test_origins_map_each_displayed_character_to_its_own(text: str) -> None:
    found = display_order_with_origins(text)
    assert found is not None
    reading, origins = found
    assert reading == display_order(text)
    assert origins is not None
    assert sorted(origins) == list(range(len(text)))
    for char, origin in zip(reading, origins, strict=True):
        assert char == text[origin] or unicodedata.mirrored(text[origin])


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("plain ascii", id="ascii"),
        pytest.param("caf\u00e9 cr\u00e8me \U0001f600", id="latin-and-emoji"),
        pytest.param(f"a{RLI}drowdab{PDI} c", id="isolate-of-latin"),
        pytest.param("\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd", id="plain-hebrew"),
        pytest.param("", id="empty"),
    ],
)
def test_text_displayed_in_logical_order_has_no_display_order(text: str) -> None:
    assert display_order(text) is None
    assert display_order_with_origins(text) is None


def test_every_right_to_left_character_and_bidi_control_takes_the_display_pass() -> None:
    reordering = {"R", "AL", "RLE", "RLO", "LRE", "LRO", "PDF", "RLI", "LRI", "FSI", "PDI"}
    missed = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if unicodedata.bidirectional(chr(code)) in reordering
        and _MAY_REORDER.search(chr(code)) is None
    ]
    assert missed == []


def _common(language: str, count: int) -> list[str]:
    wordfreq = pytest.importorskip("wordfreq")
    words = [word for word in wordfreq.top_n_list(language, count * 2) if word.isalpha()]
    return words[:count]


@pytest.mark.parametrize(
    "language", [pytest.param("he", id="hebrew"), pytest.param("ar", id="arabic")]
)
def test_right_to_left_text_is_never_matched_backwards(language: str) -> None:
    """Common words of a right-to-left language, read backwards, are terms: in sentences
    of those words (with English words and digits among them) the display order finds
    none of them. (The logical order may: folding maps some letters alike, so a word can
    fold to the skeleton of another read backwards; that is not this test's business.)"""
    words = _common(language, 2000)
    common = set(words)
    backwards = sorted({w[::-1] for w in words if len(w) >= 3 and w[::-1] not in common})
    entries = [
        TermEntry(term, "profanity", rule_id=f"r-{index}") for index, term in enumerate(backwards)
    ]
    matcher = Matcher.compile(entries, POLICY, load_dictionary=False)
    english = ["the", "free", "video", "news", "2026", "top 10"]
    found = []
    for start in range(0, len(words), 5):
        chunk = words[start : start + 5]
        sentence = f"{chunk[0]} {english[start % len(english)]} " + " ".join(chunk[1:]) + "?"
        explanation = matcher.explain(sentence, Q, language)
        found.extend(sentence for match in explanation.matches if match.displayed)
    assert found == []
