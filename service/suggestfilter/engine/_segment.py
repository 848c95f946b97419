"""Word segmentation of caseless hashtags (``#freebadwordvideos``).

A Viterbi search finds the cheapest split of a squeezed, folded letter run
into words. A word costs ``WORD_COST`` plus ``-log10`` of its frequency in the English and
French word-frequency lists of the ``wordfreq`` package (folded and squeezed
like matched text, so ``free`` is looked up as ``fre``). Callers add extra
edges: spans where a term of the list occurs, so a term that no dictionary
knows (``zorblax``) is still a word. Unknown stretches cost
``UNKNOWN_BASE_COST + UNKNOWN_CHAR_COST * length``, far more than any word,
so the split prefers whole known words: ``therapist`` stays one word rather
than ``the rapist``. Single letters other than ``a``, ``i``, ``y`` are not words.

Most users can ignore this module; the matcher uses it for hashtags.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping

from suggestfilter.engine._fold import apply_leet, fold_chars

LANGUAGES = ("en", "fr")
MIN_WORD_FREQUENCY = 1e-7
WORD_COST = 2.0
SINGLE_LETTER_WORDS = frozenset("aiy")
MAX_WORD_LENGTH = 24
UNKNOWN_BASE_COST = 12.0
UNKNOWN_CHAR_COST = 1.0
TERM_COST = 8.0
MAX_SEGMENTED_LENGTH = 64
SEGMENT_CACHE_SIZE = 65_536

_SQUEEZE_RE = re.compile(r"(.)\1+")
_WORD_RE = re.compile(r"[^\W\d_]+")


def squeeze(text: str) -> str:
    """Collapse each run of one repeated character to one character."""
    return _SQUEEZE_RE.sub(r"\1", text)


@functools.cache
def word_costs() -> Mapping[str, float]:
    """Squeezed folded word -> cost (``-log10`` frequency), loaded once per process."""
    import wordfreq  # heavy: loaded on first use only

    costs: dict[str, float] = {}
    for language in LANGUAGES:
        for word, frequency in wordfreq.get_frequency_dict(language).items():
            if frequency < MIN_WORD_FREQUENCY:
                continue
            folded = apply_leet(fold_chars(word))
            if not _WORD_RE.fullmatch(folded):
                continue
            if len(folded) == 1 and folded not in SINGLE_LETTER_WORDS:
                continue
            key = squeeze(folded)
            cost = WORD_COST - math.log10(frequency)
            if cost < costs.get(key, math.inf):
                costs[key] = cost
    return costs


def segment(letters: str, term_edges: Mapping[tuple[int, int], float] | None = None) -> list[int]:
    """The inner word boundaries of the cheapest split of ``letters`` (cached).

    See :func:`segment_uncached`.
    """
    edges = tuple(sorted(term_edges.items())) if term_edges else ()
    return list(_segment_cached(letters, edges))


@functools.lru_cache(maxsize=SEGMENT_CACHE_SIZE)
def _segment_cached(
    letters: str, edges: tuple[tuple[tuple[int, int], float], ...]
) -> tuple[int, ...]:
    return tuple(segment_uncached(letters, dict(edges)))


def segment_uncached(
    letters: str, term_edges: Mapping[tuple[int, int], float] | None = None
) -> list[int]:
    """The inner word boundaries of the cheapest split of ``letters``.

    ``letters`` is squeezed folded text without separators. ``term_edges``
    maps ``(start, end)`` spans that are known words (terms) to their cost.
    Returns the sorted positions strictly between 0 and ``len(letters)``
    where one word ends and the next begins. Texts longer than
    ``MAX_SEGMENTED_LENGTH`` are not split.
    """
    length = len(letters)
    if length < 2 or length > MAX_SEGMENTED_LENGTH:
        return []
    costs = word_costs()
    edges = term_edges or {}
    best = [0.0] + [math.inf] * length
    back = [0] * (length + 1)
    for end in range(1, length + 1):
        for start in range(max(0, end - MAX_WORD_LENGTH), end):
            base = best[start]
            if base == math.inf:
                continue
            cost = costs.get(letters[start:end])
            edge = edges.get((start, end))
            if edge is not None and (cost is None or edge < cost):
                cost = edge
            if cost is None:
                cost = UNKNOWN_BASE_COST + UNKNOWN_CHAR_COST * (end - start)
            if base + cost < best[end]:
                best[end] = base + cost
                back[end] = start
        if best[end] == math.inf:  # pragma: no cover - MAX_WORD_LENGTH covers every end
            best[end] = best[end - 1] + UNKNOWN_BASE_COST
            back[end] = end - 1
    boundaries: list[int] = []
    position = back[length]
    while position > 0:
        boundaries.append(position)
        position = back[position]
    boundaries.reverse()
    return boundaries
