"""Folding: every disguise of a word folds to one skeleton; ordinary text keeps its letters.

The fold tables run through both folds: :func:`fold` (the pre-check's) and
:func:`fold_with_offsets` (the full analysis').
"""

from __future__ import annotations

import pytest
from suggestfilter.engine._fold import fold, fold_with_offsets, is_default_ignorable

FOLDS = [
    # case
    pytest.param("BadWord", "badword", id="camel"),
    pytest.param("BADWORD", "badword", id="upper"),
    pytest.param("STRASSE Straße", "strasse strasse", id="sharp-s"),
    # compatibility forms
    pytest.param("\uff42\uff41\uff44\uff57\uff4f\uff52\uff44", "badword", id="fullwidth"),
    pytest.param("\ufb01ne", "fine", id="ligature-fi"),
    pytest.param("\u24d1\u24d0\u24d3", "bad", id="circled"),
    pytest.param("\U0001d41b\U0001d41a\U0001d41d", "bad", id="math-bold"),
    # diacritics
    pytest.param("b\u00e4dw\u00f6rd", "badword", id="precomposed-diaeresis"),
    pytest.param("ba\u0308dwo\u0308rd", "badword", id="combining-diaeresis"),
    # homoglyphs (UTS #39 confusables)
    pytest.param("b\u0430dword", "badword", id="cyrillic-a"),
    pytest.param("badw\u03bfrd", "badword", id="greek-omicron"),
    pytest.param("\u0412AD", "bad", id="cyrillic-capital-ve"),
    # l, o and d with stroke
    pytest.param("\u0142\u00f8\u0111", "lod", id="letters-with-stroke"),
    # invisible characters
    pytest.param(
        "b\u200bad\u200cw\u200do\u2060r\u00add", "badword", id="zero-width-and-soft-hyphen"
    ),
    pytest.param("bad\u202eword\u202c", "badword", id="bidi-controls"),
    pytest.param("bad\ufe0fword", "badword", id="variation-selector"),
    pytest.param("bad\U000e0041word", "badword", id="tag-character"),
    # leetspeak inside tokens with letters
    pytest.param("b4dw0rd", "badword", id="leet-digits"),
    pytest.param("b@dword", "badword", id="leet-at-sign"),
    pytest.param("$hit", "shit", id="leet-dollar"),
    pytest.param("a|b", "alb", id="leet-pipe"),
    pytest.param("t+t", "ttt", id="leet-plus"),
    # digits without letters, and long digit runs, stay
    pytest.param("top 10", "top 10", id="digits-alone"),
    pytest.param("#classof2026", "#classof2026", id="long-digit-run"),
    pytest.param("covid 19", "covid 19", id="digits-after-word"),
    pytest.param("@user", "@user", id="at-sign-before-word"),
    pytest.param("wow!", "wow!", id="exclamation-mark"),
    # whitespace collapses to single spaces
    pytest.param("  bad \t\n word  ", "bad word", id="whitespace-runs"),
    pytest.param("bad\u00a0word", "bad word", id="no-break-space"),
]


@pytest.mark.parametrize(("text", "folded"), FOLDS)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


ORDINARY_WORDS = [
    # French words keep their letters, lose only their accents
    pytest.param("\u00e9t\u00e9", "ete", id="french-ete"),
    pytest.param("ch\u00e2teau", "chateau", id="french-chateau"),
    pytest.param("fran\u00e7ais", "francais", id="french-cedilla"),
    pytest.param("\u0153uvre", "oeuvre", id="french-oe-ligature"),
    pytest.param("na\u00efve", "naive", id="french-naive"),
    pytest.param("o\u00f9", "ou", id="french-ou"),
    # ASCII letters are never remapped to other prototypes
    pytest.param("modern", "modern", id="ascii-modern"),
    pytest.param("clip", "clip", id="ascii-clip"),
    pytest.param("willow", "willow", id="ascii-willow"),
]


@pytest.mark.parametrize(("text", "folded"), ORDINARY_WORDS)
def test_ordinary_words_keep_their_letters(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("code_point", "ignorable"),
    [
        pytest.param(0x200B, True, id="zero-width-space"),
        pytest.param(0x00AD, True, id="soft-hyphen"),
        pytest.param(0x2060, True, id="word-joiner"),
        pytest.param(0x3164, True, id="hangul-filler"),
        pytest.param(0xFE0F, True, id="variation-selector-16"),
        pytest.param(0x0600, False, id="arabic-number-sign"),
        pytest.param(0x0041, False, id="latin-a"),
        pytest.param(0x0020, False, id="space"),
    ],
)
def test_default_ignorable(code_point: int, ignorable: bool) -> None:
    assert is_default_ignorable(code_point) is ignorable


def test_offsets_map_each_folded_character_to_its_original() -> None:
    text = "B\u00e4\u200bd \ufb01"
    folded, origins = fold_with_offsets(text)
    assert folded == "bad fi"
    assert origins == [0, 1, 3, 4, 5, 5]


# The pre-check folds with fold(); the full analysis with fold_with_offsets(): they agree.
@pytest.mark.parametrize(("text", "folded"), FOLDS + ORDINARY_WORDS)
def test_folding_with_offsets_gives_the_same_text(text: str, folded: str) -> None:
    with_offsets, origins = fold_with_offsets(text)
    assert " ".join(with_offsets.split()) == folded
    assert len(origins) == len(with_offsets)
    assert all(0 <= origin < len(text) for origin in origins)


def test_fold_is_idempotent() -> None:
    for row in FOLDS + ORDINARY_WORDS:
        text = row.values[0]
        assert fold(fold(text)) == fold(text)
