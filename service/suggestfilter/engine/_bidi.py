"""Display order: the order in which a reader sees a text, when it differs from its logical order.

Most users can ignore this module; :class:`~suggestfilter.engine.Matcher`
matches every text in both orders and keeps the stronger verdict.

A text is stored in logical order, but shown in the order the Unicode
Bidirectional Algorithm (UAX #9) lays it out. A right-to-left override
(U+202E) followed by ``drowdab`` shows ``badword``; so does ``word\u05bebad``
in a right-to-left paragraph (the Hebrew maqaf U+05BE is a right-to-left
character, so the two Latin words around it are laid out right to left),
without any control character at all. Folding drops the controls and sees
only the logical order, so the matcher also matches the *reading order*
that :func:`display_order` computes:

1. the visual order, left to right, from python-bidi's ``get_display``
   (the ``unicode-bidi`` crate, which implements UAX #9 with isolates,
   embeddings, overrides and bracket pairs);
2. with every stretch of right-to-left script put back in the order it is
   read in: a stretch starts and ends with a strong right-to-left character
   (Bidi_Class R or AL) and holds no strong left-to-right character or digit
   (L, EN, AN). Hebrew and Arabic letters are read right to left whatever
   order they are laid out in, Latin letters and digits left to right.

Step 2 is what keeps Hebrew and Arabic text free of false matches: a plain
right-to-left paragraph reads exactly as it is stored, so it pays one pass
of the algorithm and no second analysis, and its words are never matched
backwards.

Which texts pay: only a text that holds a bidirectional control (LRM, RLM,
ALM, the embeddings and overrides U+202A..U+202E, the isolates
U+2066..U+2069) or a character of a right-to-left block (Hebrew, Arabic,
Syriac, Thaana, N'Ko, Samaritan, Mandaic, their presentation forms, and the
right-to-left ranges of the supplementary planes). Text without either is
laid out in logical order, so ASCII text costs one ``str.isascii`` and other
text one regular-expression search. Measured cost of the pass (python-bidi
0.6.12, Python 3.11): about 5 us for a 20-character text, 80 us for 512
characters.

:func:`display_order_with_origins` also gives, per character of the reading
order, its index in the original text (for explanations). python-bidi does
not return that mapping; it is rebuilt from the resolved embedding levels
that python-bidi prints in its debug output (rules L1 and L2 of UAX #9) and
used only when it reproduces ``get_display`` exactly; otherwise the origins
are None.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TypeVar

from bidi import get_display  # type: ignore[import-untyped]

__all__ = ["display_order", "display_order_with_origins"]

_T = TypeVar("_T")

# The blocks whose characters default to right-to-left, and the bidirectional controls.
_RTL_BLOCKS = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff"
_MAY_REORDER = re.compile(f"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069{_RTL_BLOCKS}]")
_MAY_READ_RIGHT_TO_LEFT = re.compile(f"[{_RTL_BLOCKS}]")
_NO_CONTROLS = dict.fromkeys(
    (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)), None
)
_RIGHT_TO_LEFT = frozenset(("R", "AL"))
_LEFT_TO_RIGHT = frozenset(("L", "EN", "AN"))

# Rules L1 of UAX #9: the classes a line end or a separator resets to the paragraph level.
_SEPARATORS = frozenset(("B", "S"))
_TRAILING = frozenset(("WS", "FSI", "LRI", "RLI", "PDI"))
_REMOVED_BY_X9 = frozenset(("RLE", "LRE", "RLO", "LRO", "PDF", "BN"))

_SECTION = "\n    {}: [\n"
_CLASS_RE = re.compile(r"^\s+(\w+),$", re.MULTILINE)
_LEVEL_RE = re.compile(r"Level\(\s*(\d+),\s*\)")
_PARAGRAPH_RE = re.compile(r"range: (\d+)\.\.(\d+),\s*level: Level\(\s*(\d+),\s*\)")


def display_order(text: str) -> str | None:
    r"""The reading order of ``text`` as displayed, or None when it is the logical order.

    >>> display_order("\u202edrowdab")
    '\u202ebadword'
    >>> display_order("free \u202edrowdab\u202c videos")
    'free \u202e\u202cbadword videos'
    >>> display_order("plain text") is None, display_order("\u05e9\u05dc\u05d5\u05dd") is None
    (True, True)
    """
    laid_out = _laid_out(text)
    return None if laid_out is None else laid_out[1]


def display_order_with_origins(text: str) -> tuple[str, list[int] | None] | None:
    """The reading order of ``text`` and, per character, its index in ``text``.

    None when the reading order is the logical order (as for
    :func:`display_order`, which gives the same string). The origins are
    None when python-bidi's levels cannot be read or do not reproduce its
    display.
    """
    laid_out = _laid_out(text)
    if laid_out is None:
        return None
    visual, reading = laid_out
    order = _visual_permutation(text, visual)
    if order is None:
        return reading, None
    origins = _read_right_to_left(order, [text[index] for index in order])
    return reading, origins


def _laid_out(text: str) -> tuple[str, str] | None:
    """python-bidi's visual order of ``text`` and its reading order, or None when the
    reading order shows nothing new (see :func:`display_order`)."""
    if text.isascii() or _MAY_REORDER.search(text) is None:
        return None
    visual = _visual(text)
    if visual is None:
        return None
    if _MAY_READ_RIGHT_TO_LEFT.search(visual) is None:
        reading = visual
    else:
        reading = "".join(_read_right_to_left(list(visual)))
    if reading == text or reading.translate(_NO_CONTROLS) == text.translate(_NO_CONTROLS):
        return None  # only controls moved, and folding drops them: nothing new to read
    return visual, reading


def _visual(text: str) -> str | None:
    """python-bidi's visual order; a lone surrogate (no valid UTF-8) counts as a neutral."""
    try:
        visual = get_display(text)
    except UnicodeEncodeError:
        visual = get_display(text.encode("utf-8", "replace").decode("utf-8"))
    if not isinstance(visual, str) or len(visual) != len(text):
        return None
    return visual


def _read_right_to_left(items: list[_T], chars: Sequence[str] | None = None) -> list[_T]:
    """``items`` (one per character of the visual order ``chars``, default ``items``) with
    every right-to-left stretch reversed back into reading order."""
    if chars is None:
        chars = [str(item) for item in items]
    bidirectional = unicodedata.bidirectional
    start = last = -1
    for index, char in enumerate(chars):
        kind = bidirectional(char)
        if kind in _RIGHT_TO_LEFT:
            if start < 0:
                start = index
            last = index
        elif kind in _LEFT_TO_RIGHT and start >= 0:
            items[start : last + 1] = items[start : last + 1][::-1]
            start = -1
    if start >= 0:
        items[start : last + 1] = items[start : last + 1][::-1]
    return items


def _visual_permutation(text: str, visual: str) -> list[int] | None:
    """Per character of ``visual``, its index in ``text``; None unless it reproduces ``visual``.

    Rebuilt from the explicit and implicit levels python-bidi resolves
    (rules X1..I2), with rules L1 (separators and trailing whitespace to the
    paragraph level) and L2 (reverse every run at each level from the
    highest down to the lowest odd one) of UAX #9.
    """
    try:
        levels, classes, paragraphs = _resolved(text)
    except (ValueError, UnicodeEncodeError):
        return None
    order: list[int] = []
    for para_start, para_end, para_level in paragraphs:
        line = list(range(para_start, para_end))
        line_levels = _line_levels(levels, classes, para_start, para_end, para_level)
        highest = max(line_levels, default=0)
        lowest = min(line_levels, default=0)
        lowest_odd = lowest if lowest % 2 else lowest + 1
        for level in range(highest, lowest_odd - 1, -1):
            position = 0
            while position < len(line):
                if line_levels[position] < level:
                    position += 1
                    continue
                end = position
                while end < len(line) and line_levels[end] >= level:
                    end += 1
                line[position:end] = line[position:end][::-1]
                line_levels[position:end] = line_levels[position:end][::-1]
                position = end
        order.extend(line)
    if len(order) != len(text):
        return None
    for index, char in zip(order, visual, strict=True):
        original = text[index]
        if char != original and not unicodedata.mirrored(original):
            return None
    return order


def _line_levels(
    levels: list[int], classes: list[str], start: int, end: int, para_level: int
) -> list[int]:
    """Rule L1 on one line (a paragraph: the text is never wrapped)."""
    line = levels[start:end]
    reset_from: int | None = 0
    previous = para_level
    for offset in range(end - start):
        kind = classes[start + offset]
        if kind in _SEPARATORS:
            begin = offset if reset_from is None else reset_from
            line[begin : offset + 1] = [para_level] * (offset + 1 - begin)
            reset_from = None
        elif kind in _TRAILING:
            if reset_from is None:
                reset_from = offset
        elif kind in _REMOVED_BY_X9:
            if reset_from is None:
                reset_from = offset
            line[offset] = previous
        else:
            reset_from = None
        previous = line[offset]
    if reset_from is not None:
        line[reset_from:] = [para_level] * (len(line) - reset_from)
    return line


def _resolved(text: str) -> tuple[list[int], list[str], list[tuple[int, int, int]]]:
    """Per character its resolved level and original class, and the paragraphs as
    ``(start, end, level)``, read from python-bidi's debug output (per UTF-8 byte)."""
    debug = get_display(text, debug=True)
    if not isinstance(debug, str):
        raise ValueError("no debug output")
    classes_at = debug.index(_SECTION.format("original_classes"))
    levels_at = debug.index(_SECTION.format("levels"), classes_at)
    paragraphs_at = debug.index(_SECTION.format("paragraphs"), levels_at)
    byte_classes = _CLASS_RE.findall(debug, classes_at, levels_at)
    byte_levels = [int(level) for level in _LEVEL_RE.findall(debug, levels_at, paragraphs_at)]
    starts: list[int] = []
    char_at: dict[int, int] = {}
    offset = 0
    for index, char in enumerate(text):
        starts.append(offset)
        char_at[offset] = index
        offset += len(char.encode("utf-8"))
    char_at[offset] = len(text)
    if len(byte_classes) != offset or len(byte_levels) != offset:
        raise ValueError("debug output does not cover the text")
    paragraphs = [
        (char_at[int(start)], char_at[int(end)], int(level))
        for start, end, level in _PARAGRAPH_RE.findall(debug, paragraphs_at)
    ]
    levels = [byte_levels[start] for start in starts]
    classes = [byte_classes[start] for start in starts]
    return levels, classes, paragraphs
