"""Text folding: the skeleton that terms and text are both matched on.

Folding maps every disguise of a word to one skeleton, character by
character, in this order:

1. compatibility decomposition (NFKD, the decomposing half of NFKC):
   fullwidth ``\\uff42``, ligatures ``\\ufb01``, circled and mathematical letters;
2. drop default-ignorable code points (zero-width space and joiners, word
   joiner, soft hyphen, bidi controls, variation selectors, tags, Hangul
   fillers) — the Unicode ``Default_Ignorable_Code_Point`` property, derived
   from the general category ``Cf`` plus the listed extras;
3. casefold;
4. strip combining marks (general category ``Mn``/``Me``): ``bädwörd`` -> ``badword``;
5. homoglyphs to their ASCII prototype from Unicode's confusables data (UTS
   #39, shipped by the ``confusable-homoglyphs`` package): Cyrillic ``\\u0430``,
   Greek ``\\u03bf``, ``ł``, ``ø``. ASCII characters are never remapped, so ``m``
   never becomes ``rn``; only non-ASCII characters whose prototype is one or
   two ASCII letters (or an ASCII digit) are mapped;
6. whitespace becomes one plain space;
7. leetspeak, only inside tokens that contain a letter (``b4dw0rd``,
   ``b@dword``, ``$hit``): a digit run of at most two digits maps to letters
   (``0``->o ``1``->i ``2``->z ``3``->e ``4``->a ``5``->s ``6``->g ``7``->t
   ``8``->b ``9``->g), ``$`` maps anywhere in the token, ``@`` anywhere but
   first, and ``!`` ``|`` ``+`` only between two word characters. A word
   spelled out in single characters (``b.4.d``, ``b 4 d``) counts as one
   token. ``top 10``, ``#classof2026`` and ``covid 19`` keep their numbers.

Steps 1-6 are one ``str.translate`` with a table computed once per code
point (NFKD then dropping marks equals NFKC then dropping marks, so the
per-character table is exact). Step 7 runs only when the text holds a digit or
a leet symbol. Every step maps one original character to zero or more folded
characters, so :func:`fold_with_offsets` can map each folded character back
to the original character it came from.

Most users need only :func:`fold`.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from importlib import resources

from suggestfilter.engine._cache import ByteBoundedDict

_SPACE = " "
TABLE_BYTES = 4 << 20

_LEET_DIGITS = {"0": "o", "1": "i", "2": "z", "3": "e", "4": "a", "5": "s", "6": "g"}
_LEET_DIGITS.update({"7": "t", "8": "b", "9": "g"})
_LEET_SYMBOLS = frozenset("$@!|+")
_LEET_SYMBOL_LETTERS = {"$": "s", "@": "a", "!": "i", "|": "l", "+": "t"}

# A leet token: word characters and leet symbols.
_LEET_TOKEN_RE = re.compile(r"[\w$@!|+]+")
_LEET_CANDIDATE_RE = re.compile(r"[0-9$@!|+]")
_DIGIT_RUN_RE = re.compile(r"[0-9]+")
_LETTER_RE = re.compile(r"[^\W\d_]")
# At least three single letters or digits, each apart by one to three separators.
_SPELLED_RE = re.compile(r"(?<![^\W_])[^\W_](?:[\W_]{1,3}[^\W_](?![^\W_])){2,}")

# Other_Default_Ignorable_Code_Point and Variation_Selector (Unicode 15 PropList.txt).
_EXTRA_IGNORABLE_RANGES = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x2065, 0x2065),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0xE0000, 0xE0FFF),
)
# Format characters that are visible and so not default-ignorable.
_VISIBLE_FORMAT = frozenset(
    (
        *range(0x0600, 0x0606),
        *(0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD, 0xFFF9, 0xFFFA, 0xFFFB),
        *range(0x13430, 0x13440),
    )
)


def is_default_ignorable(code_point: int) -> bool:
    """Whether a code point has the Unicode Default_Ignorable_Code_Point property."""
    for low, high in _EXTRA_IGNORABLE_RANGES:
        if low <= code_point <= high:
            return True
    if code_point in _VISIBLE_FORMAT:
        return False
    return unicodedata.category(chr(code_point)) == "Cf"


def _strip_marks(text: str) -> str:
    return "".join(c for c in text if unicodedata.category(c) not in ("Mn", "Me"))


@functools.cache
def _confusable_prototypes() -> dict[str, str]:
    """Non-ASCII character -> ASCII prototype, from the confusables data (UTS #39)."""
    data_file = resources.files("confusable_homoglyphs").joinpath("confusables.json")
    data: dict[str, list[dict[str, str]]] = json.loads(data_file.read_text(encoding="utf-8"))
    prototypes: dict[str, str] = {}
    for raw_source, confusables in data.items():
        source = raw_source.strip("\u200e")
        if len(source) != 1 or source.isascii():
            continue
        letters: set[str] = set()
        digits: set[str] = set()
        for confusable in confusables:
            target = _strip_marks(unicodedata.normalize("NFKD", confusable["c"].strip("\u200e")))
            target = target.casefold()
            if not target.isascii() or not target.isalnum() or len(target) > 2:
                continue
            if target.isalpha():
                letters.add(target)
            elif len(target) == 1:
                digits.add(target)
        if len(letters) == 1:
            prototypes[source] = letters.pop()
        elif not letters and len(digits) == 1:
            prototypes[source] = digits.pop()
    return prototypes


def _prototype(char: str) -> str:
    if char.isascii():
        return char
    decimal = unicodedata.decimal(char, None)
    if decimal is not None:
        return str(decimal)
    return _confusable_prototypes().get(char, char)


def _folds_to_itself(char: str) -> bool:
    """A quick test, true only for a character that the steps below leave as it is.

    Most characters of most scripts have no decomposition, no case, no
    confusable prototype and no digit value; settling those with a few
    look-ups keeps a text of never-seen characters cheap to fold.
    """
    return (
        not unicodedata.decomposition(char)
        and unicodedata.category(char) not in _NOT_SELF_CATEGORIES
        and char.casefold() == char
        and unicodedata.decimal(char, None) is None
        and char not in _confusable_prototypes()
    )


# Marks are dropped, format characters may be ignorable, separators become spaces.
_NOT_SELF_CATEGORIES = frozenset(("Mn", "Me", "Cf", "Zs", "Zl", "Zp", "Cc"))


def fold_char(char: str) -> str:
    """Fold one character (steps 1-6): zero or more folded characters."""
    if char.isspace():
        return _SPACE
    code_point = ord(char)
    if is_default_ignorable(code_point):
        return ""
    if char.isascii():
        return char.lower()
    if _folds_to_itself(char):
        return char
    # Homoglyphs of capitals (Cyrillic U+0412 -> B) before casefolding loses them.
    decomposed = "".join(_prototype(c) for c in unicodedata.normalize("NFKD", char))
    decomposed = unicodedata.normalize("NFKD", decomposed.casefold())
    out: list[str] = []
    for c in decomposed:
        if unicodedata.category(c) in ("Mn", "Me") or is_default_ignorable(ord(c)):
            continue
        if c.isspace():
            out.append(_SPACE)
            continue
        out.append(_prototype(c))
    return "".join(out)


class _FoldTable(ByteBoundedDict[int, str | None]):
    """A ``str.translate`` table computed lazily, one code point at a time.

    At most ``TABLE_BYTES`` (4 MiB: about 30,000 code points); an evicted
    code point is folded again when it next occurs. Every character seen
    whose fold is not exactly one character also goes into
    :data:`_NOT_ONE_TO_ONE`, which is never evicted: such characters are a
    small fixed part of Unicode (ignorables, marks, expanding compatibility
    forms), so the set stays small whatever the input.
    """

    __slots__ = ()

    def __missing__(self, code_point: int) -> str | None:
        char = chr(code_point)
        folded: str | None = fold_char(char)
        if folded == "":
            folded = None
        if folded is None or len(folded) != 1:
            _NOT_ONE_TO_ONE.add(char)
        self.put(code_point, folded)
        return folded


_NOT_ONE_TO_ONE: set[str] = set()


_TABLE = _FoldTable(TABLE_BYTES, name="fold table")
for _code_point in range(128):
    _TABLE[_code_point]  # fills the ASCII entries


def fold_chars(text: str) -> str:
    """Steps 1-6 of folding (no leetspeak): one ``str.translate``."""
    return text.translate(_TABLE)


def _leet_token(token: str) -> str:
    if not _LETTER_RE.search(token):
        return token
    digits_mapped = _DIGIT_RUN_RE.sub(
        lambda run: (
            "".join(_LEET_DIGITS[d] for d in run.group()) if len(run.group()) <= 2 else run.group()
        ),
        token,
    )
    chars = list(digits_mapped)
    last = len(chars) - 1
    for index, char in enumerate(chars):
        if char not in _LEET_SYMBOLS:
            continue
        inner = 0 < index < last and token[index - 1].isalnum() and token[index + 1].isalnum()
        if char == "$" or (char == "@" and index > 0) or inner:
            chars[index] = _LEET_SYMBOL_LETTERS[char]
    return "".join(chars)


def _leet_spelled(spelled: str) -> str:
    if not _LETTER_RE.search(spelled):
        return spelled
    return "".join(_LEET_DIGITS.get(c, c) for c in spelled)


def apply_leet(folded: str) -> str:
    """Step 7: leetspeak inside tokens that have a letter. Length is preserved.

    A word spelled out in single characters (``b.4.d``, ``b 4 d``) counts as
    one token.
    """
    if not _LEET_CANDIDATE_RE.search(folded):
        return folded
    folded = _SPELLED_RE.sub(lambda spelled: _leet_spelled(spelled.group()), folded)
    return _LEET_TOKEN_RE.sub(lambda token: _leet_token(token.group()), folded)


def fold(text: str) -> str:
    """The folded skeleton of ``text``: what matching sees, with single spaces.

    ``fold("B\\u00e4d  W0rd")`` is ``"bad word"``. Stable for a given Unicode
    version; the store groups reports by it.
    """
    return " ".join(apply_leet(text.translate(_TABLE)).split())


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` (steps 1-7, spaces not collapsed) and map back to it.

    Returns the folded text and, for each folded character, the index of
    the original character it came from.
    """
    if text.isascii():  # every ASCII character folds to exactly one character
        return apply_leet(text.translate(_TABLE)), list(range(len(text)))
    folded = text.translate(_TABLE)  # also settles every character of the text
    if _NOT_ONE_TO_ONE.isdisjoint(text):
        return apply_leet(folded), list(range(len(text)))
    pieces: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        folded_char = _TABLE[ord(char)]
        if not folded_char:
            continue
        pieces.append(folded_char)
        origins.extend([index] * len(folded_char))
    return apply_leet("".join(pieces)), origins
