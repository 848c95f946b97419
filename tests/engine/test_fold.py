"""Folding: every disguise of a word folds to one skeleton; ordinary text keeps its letters."""

from __future__ import annotations

import pytest
from suggestfilter.engine._fold import fold, fold_with_offsets, is_default_ignorable

FOLDS = [
    # case
    ("BadWord", "badword"),
    ("BADWORD", "badword"),
    ("STRASSE Straße", "strasse strasse"),
    # compatibility forms
    ("\uff42\uff41\uff44\uff57\uff4f\uff52\uff44", "badword"),  # fullwidth
    ("\ufb01ne", "fine"),  # ligature fi
    ("\u24d1\u24d0\u24d3", "bad"),  # circled
    ("\U0001d41b\U0001d41a\U0001d41d", "bad"),  # mathematical bold
    # diacritics
    ("b\u00e4dw\u00f6rd", "badword"),
    ("ba\u0308dwo\u0308rd", "badword"),  # combining diaeresis
    # homoglyphs (UTS #39 confusables)
    ("b\u0430dword", "badword"),  # Cyrillic a
    ("badw\u03bfrd", "badword"),  # Greek omicron
    ("\u0412AD", "bad"),  # Cyrillic capital VE
    ("\u0142\u00f8\u0111", "lod"),  # l with stroke, o with stroke, d with stroke
    # invisible characters
    ("b\u200bad\u200cw\u200do\u2060r\u00add", "badword"),
    ("bad\u202eword\u202c", "badword"),  # bidi controls
    ("bad\ufe0fword", "badword"),  # variation selector
    ("bad\U000e0041word", "badword"),  # tag character
    # leetspeak inside tokens with letters
    ("b4dw0rd", "badword"),
    ("b@dword", "badword"),
    ("$hit", "shit"),
    ("a|b", "alb"),
    ("t+t", "ttt"),
    # digits without letters, and long digit runs, stay
    ("top 10", "top 10"),
    ("#classof2026", "#classof2026"),
    ("covid 19", "covid 19"),
    ("@user", "@user"),
    ("wow!", "wow!"),
    # whitespace collapses to single spaces
    ("  bad \t\n word  ", "bad word"),
    ("bad\u00a0word", "bad word"),
]


@pytest.mark.parametrize(("text", "folded"), FOLDS)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


ORDINARY_WORDS = [
    # French words keep their letters, lose only their accents
    ("\u00e9t\u00e9", "ete"),
    ("ch\u00e2teau", "chateau"),
    ("fran\u00e7ais", "francais"),
    ("\u0153uvre", "oeuvre"),
    ("na\u00efve", "naive"),
    ("o\u00f9", "ou"),
    # ASCII letters are never remapped to other prototypes
    ("modern", "modern"),
    ("clip", "clip"),
    ("willow", "willow"),
]


@pytest.mark.parametrize(("text", "folded"), ORDINARY_WORDS)
def test_ordinary_words_keep_their_letters(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("code_point", "ignorable"),
    [
        (0x200B, True),  # zero width space
        (0x00AD, True),  # soft hyphen
        (0x2060, True),  # word joiner
        (0x3164, True),  # Hangul filler
        (0xFE0F, True),  # variation selector 16
        (0x0600, False),  # Arabic number sign is visible
        (0x0041, False),
        (0x0020, False),
    ],
)
def test_default_ignorable(code_point: int, ignorable: bool) -> None:
    assert is_default_ignorable(code_point) is ignorable


def test_offsets_map_each_folded_character_to_its_original() -> None:
    text = "B\u00e4\u200bd \ufb01"
    folded, origins = fold_with_offsets(text)
    assert folded == "bad fi"
    assert origins == [0, 1, 3, 4, 5, 5]


def test_fold_is_idempotent() -> None:
    for text, _ in FOLDS + ORDINARY_WORDS:
        assert fold(fold(text)) == fold(text)
