"""An adversarial corpus: texts within the request limits, shaped to cost the engine most.

Most users can ignore this module; ``suggestfilter bench`` reports the worst
case over it. :func:`adversarial_corpus` is deterministic from its seed and
makes distinct texts of at most ``max_chars`` code points (the request limit,
512 by default), every one of them in turn of every
:class:`~suggestfilter._model.SuggestionKind`. The terms it disguises come
from the caller (the benchmark's synthetic list). The shapes, by name:

- ``caseless-run``: a term inside a long caseless hashtag or account name,
  ``#zorblax`` + ``videos`` x N, or random letters around it;
- ``random-letters``: one run of random letters at the maximal length;
- ``separators``: many single characters apart by one separator around a
  term (``b.b.b. ... ba dword ... .d.d``);
- ``spelled``: single letters apart by spaces at the maximal length;
- ``repeats``: every letter of a term repeated (``baaaa...dwoooo...rd``);
- ``combining``: letters under stacks of combining marks;
- ``confusables``: mixed scripts, Cyrillic/Greek look-alikes and fullwidth
  forms in a term and its context;
- ``bidi``: right-to-left overrides, embeddings and isolates, a term written
  backwards after an override, nested controls;
- ``astral``: astral-plane characters (mathematical letters that fold to a
  term, emoji, CJK extension B) up to the limit;
- ``leet-invisible``: leetspeak and zero-width characters between every letter;
- ``camel-hashtag``: a CamelCase hashtag of common-looking words at the limit;
- ``maximal-words``: plain words up to the limit, a term among them.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Sequence
from typing import NamedTuple

from suggestfilter._model import SuggestionKind

SEED = 2026
MAX_CHARS = 512
"""The default request limit on a text, in code points (``rpc._limits.Limits``)."""

_LOWER = string.ascii_lowercase
_SEPARATORS = ".-_*/,~"
# Combining marks that fold away (U+0345 casefolds to a letter, U+034F is ignorable).
_COMBINING = [chr(c) for c in range(0x0300, 0x0370) if c not in (0x0345, 0x034F)]
_CONFUSABLES = {
    "a": "\u0430\u03b1\uff41",
    "b": "\u042c\uff42",
    "c": "\u0441\u03f2",
    "d": "\u0501\uff44",
    "e": "\u0435\u03b5\uff45",
    "i": "\u0456\u03b9",
    "j": "\u0458",
    "k": "\u03ba",
    "o": "\u043e\u03bf\uff4f",
    "p": "\u0440\u03c1",
    "r": "\u0433\uff52",
    "s": "\u0455",
    "w": "\u051d\uff57",
    "x": "\u0445\u03c7",
    "y": "\u0443",
}
_INVISIBLE = "\u200b\u200c\u200d\u2060\u00ad\ufe0f"
_BIDI_OPEN = "\u202a\u202b\u202d\u202e\u2066\u2067\u2068"
_BIDI_CLOSE = "\u202c\u2069"
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
_WORDS = [
    "videos",
    "free",
    "best",
    "new",
    "how",
    "to",
    "make",
    "cheap",
    "photos",
    "music",
    "live",
    "story",
    "game",
    "news",
    "home",
    "love",
    "fashion",
    "travel",
    "food",
    "recipe",
    "summer",
    "winter",
    "party",
    "style",
]
_ASTRAL_BLOCKS = ((0x1F300, 0x1F5FF), (0x1F900, 0x1F9FF), (0x20000, 0x2A6DF))


class AdversarialText(NamedTuple):
    """One text of the corpus: the text, its kind and the name of its shape."""

    text: str
    kind: SuggestionKind
    shape: str


def _fit(text: str, limit: int) -> str:
    return text[:limit]


def _letters(term: str) -> str:
    return "".join(c for c in term if c.isalpha())


def _caseless_run(term: str, rng: random.Random, limit: int) -> str:
    word = _letters(term)
    if rng.random() < 0.5:
        filler = rng.choice(_WORDS)
        before = ""
    else:
        filler = "".join(rng.choice(_LOWER) for _ in range(6))
        before = "".join(rng.choice(_LOWER) for _ in range(rng.randint(0, 200)))
    text = "#" + before + word
    while len(text) + len(filler) <= limit:
        text += filler
    return text


def _random_letters(term: str, rng: random.Random, limit: int) -> str:
    return "#" + "".join(rng.choice(_LOWER) for _ in range(limit - 1))


def _separators(term: str, rng: random.Random, limit: int) -> str:
    word = _letters(term)
    sep = rng.choice(_SEPARATORS)
    cut = rng.randint(1, max(1, len(word) - 1))
    middle = f"{word[:cut]} {word[cut:]}"
    side = max(0, (limit - len(middle)) // 4)
    left = (word[0] + sep) * side
    right = (sep + word[-1]) * side
    return _fit(left + middle + right, limit)


def _spelled(term: str, rng: random.Random, limit: int) -> str:
    word = _letters(term)
    letters = [rng.choice(_LOWER) for _ in range(limit // 4)]
    at = rng.randrange(len(letters))
    letters[at:at] = list(word)
    return _fit(" ".join(letters), limit)


def _repeats(term: str, rng: random.Random, limit: int) -> str:
    word = _letters(term)
    each = max(1, limit // max(1, len(word)))
    return _fit("".join(c * rng.randint(max(1, each // 2), each) for c in word), limit)


def _combining(term: str, rng: random.Random, limit: int) -> str:
    word = _letters(term)
    stack = max(1, limit // max(1, len(word)) - 1)
    return _fit("".join(c + "".join(rng.choices(_COMBINING, k=stack)) for c in word), limit)


def _confusable(char: str, rng: random.Random) -> str:
    options = _CONFUSABLES.get(char)
    return rng.choice(options) if options and rng.random() < 0.7 else char


def _confusables(term: str, rng: random.Random, limit: int) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < limit:
        word = rng.choice(_WORDS) if rng.random() < 0.8 else term
        words.append("".join(_confusable(c, rng) for c in word))
    words[rng.randrange(len(words))] = "".join(_confusable(c, rng) for c in term)
    return _fit(" ".join(words), limit)


def _bidi(term: str, rng: random.Random, limit: int) -> str:
    how = rng.randrange(3)
    if how == 0:  # an override, then the term written backwards, in innocent context
        core = "\u202e" + term[::-1] + "\u202c"
        pad = " ".join(rng.choice(_WORDS) for _ in range(limit // 6))
        return _fit(pad[: rng.randint(0, limit // 2)] + " " + core + " " + pad, limit)
    if how == 1:  # nested controls, deeper than the algorithm's 125 levels
        depth = (limit - len(term)) // 2
        opens = "".join(rng.choice(_BIDI_OPEN) for _ in range(depth))
        return _fit(opens + term[::-1] + "\u202c" * depth, limit)
    text = "".join(rng.choice(_BIDI_OPEN + _BIDI_CLOSE) + c for c in term)  # one per letter
    while len(text) < limit:
        text += rng.choice(_BIDI_OPEN + _BIDI_CLOSE) + rng.choice(_LOWER)
    return _fit(text, limit)


def _astral(term: str, rng: random.Random, limit: int) -> str:
    how = rng.randrange(2)
    if how == 0:  # mathematical bold letters fold to ASCII: the term in astral characters
        bold = "".join(chr(0x1D41A + _LOWER.index(c)) if c in _LOWER else c for c in term)
        filler = "".join(chr(0x1D41A + rng.randrange(26)) for _ in range(limit))
        at = rng.randrange(limit - len(bold))
        return _fit(filler[:at] + " " + bold + " " + filler[at:], limit)
    low, high = rng.choice(_ASTRAL_BLOCKS)
    return "".join(chr(rng.randint(low, high)) for _ in range(limit))


def _leet_invisible(term: str, rng: random.Random, limit: int) -> str:
    word = "".join(_LEET.get(c, c) if rng.random() < 0.5 else c for c in _letters(term))
    core = "".join(c + rng.choice(_INVISIBLE) for c in word)
    pad = " ".join(
        "".join(_LEET.get(c, c) + rng.choice(_INVISIBLE) for c in rng.choice(_WORDS))
        for _ in range(limit // 8)
    )
    return _fit(core + " " + pad, limit)


def _camel_hashtag(term: str, rng: random.Random, limit: int) -> str:
    parts = [w.capitalize() for w in rng.choices(_WORDS, k=limit // 4)]
    parts.insert(rng.randrange(len(parts)), _letters(term).capitalize())
    return _fit("#" + "".join(parts), limit)


def _maximal_words(term: str, rng: random.Random, limit: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(limit // 4)]
    words.insert(rng.randrange(len(words)), term)
    return _fit(" ".join(words), limit)


_Shape = Callable[[str, random.Random, int], str]
SHAPES: dict[str, _Shape] = {
    "caseless-run": _caseless_run,
    "random-letters": _random_letters,
    "separators": _separators,
    "spelled": _spelled,
    "repeats": _repeats,
    "combining": _combining,
    "confusables": _confusables,
    "bidi": _bidi,
    "astral": _astral,
    "leet-invisible": _leet_invisible,
    "camel-hashtag": _camel_hashtag,
    "maximal-words": _maximal_words,
}
"""Every shape of the corpus, by name, as ``shape(term, rng, limit) -> text``."""

_KINDS = tuple(SuggestionKind)


def adversarial_corpus(
    terms: Sequence[str],
    count: int,
    *,
    seed: int = SEED,
    max_chars: int = MAX_CHARS,
) -> list[AdversarialText]:
    """``count`` distinct adversarial texts, deterministic from ``seed``.

    The shapes take turns (every shape appears once ``count`` reaches
    ``len(SHAPES)``), and so do the kinds, on a different cycle, so that each
    shape meets every kind. Each text is at most ``max_chars`` code points and
    disguises a term drawn from ``terms`` (which must not be empty).
    """
    if not terms:
        raise ValueError("adversarial_corpus needs at least one term")
    rng = random.Random(seed)
    shapes = list(SHAPES.items())
    corpus: dict[tuple[str, SuggestionKind], AdversarialText] = {}
    index = 0
    attempts = 0
    while len(corpus) < count:
        name, shape = shapes[index % len(shapes)]
        kind = _KINDS[(index // len(shapes) + index) % len(_KINDS)]
        text = shape(rng.choice(terms), rng, max_chars)
        attempts += 1
        if (text, kind) not in corpus:
            corpus[(text, kind)] = AdversarialText(text, kind, name)
            index += 1
        elif attempts > 100 * count:  # pragma: no cover - only with a one-letter term list
            raise ValueError("cannot make that many distinct adversarial texts")
    return list(corpus.values())
