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

import collections
import functools
import math
import re
import sys
from collections.abc import Mapping

import ahocorasick

from suggestfilter.engine._cache import ENTRY_OVERHEAD, ByteBoundedDict, object_size
from suggestfilter.engine._fold import apply_leet, fold_chars

LANGUAGES = ("en", "fr")
MIN_WORD_FREQUENCY = 1e-7
WORD_COST = 2.0
SINGLE_LETTER_WORDS = frozenset("aiy")
MAX_WORD_LENGTH = 24
UNKNOWN_BASE_COST = 12.0
UNKNOWN_CHAR_COST = 1.0
TERM_COST = 8.0
SEGMENT_CACHE_BYTES = 8 << 20

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


@functools.cache
def word_automaton() -> ahocorasick.Automaton:
    """An automaton of every word of :func:`word_costs` of at most ``MAX_WORD_LENGTH``
    letters, valued ``(length, cost)``; built once per process (about 145,000 words:
    0.2 s, 23 MiB).

    One pass of it over a letter run yields every dictionary word inside the run
    in C, which is what keeps a 512-letter segmentation within its budget.
    """
    automaton = ahocorasick.Automaton()
    for word, cost in word_costs().items():
        if len(word) <= MAX_WORD_LENGTH:
            automaton.add_word(word, (len(word), cost))
    automaton.make_automaton()
    return automaton


def segment(letters: str, term_edges: Mapping[tuple[int, int], float] | None = None) -> list[int]:
    """The inner word boundaries of the cheapest split of ``letters`` (cached).

    See :func:`segment_uncached`. The cache holds at most
    ``SEGMENT_CACHE_BYTES`` (8 MiB).
    """
    edges = tuple(sorted(term_edges.items())) if term_edges else ()
    key = (letters, edges)
    cuts = _SEGMENTS.get(key)
    if cuts is None:
        cuts = tuple(segment_uncached(letters, term_edges))
        _SEGMENTS.put(key, cuts)
    return list(cuts)


_Edges = tuple[tuple[tuple[int, int], float], ...]
_EDGE_BYTES = object_size(((1000, 1000), TERM_COST))
_INT_BYTES = sys.getsizeof(1000)


def _segment_entry_size(key: tuple[str, _Edges], cuts: tuple[int, ...]) -> int:
    """:func:`~suggestfilter.engine._cache.entry_size` of a segmentation, in constant time
    for ASCII letters."""
    letters, edges = key
    return (
        ENTRY_OVERHEAD
        + sys.getsizeof(key)
        + object_size(letters)
        + sys.getsizeof(edges)
        + len(edges) * _EDGE_BYTES
        + sys.getsizeof(cuts)
        + len(cuts) * _INT_BYTES
    )


_SEGMENTS: ByteBoundedDict[tuple[str, _Edges], tuple[int, ...]] = ByteBoundedDict(
    SEGMENT_CACHE_BYTES, name="segmentations", size_of=_segment_entry_size
)


def segment_uncached(
    letters: str, term_edges: Mapping[tuple[int, int], float] | None = None
) -> list[int]:
    """The inner word boundaries of the cheapest split of ``letters``.

    ``letters`` is squeezed folded text without separators. ``term_edges``
    maps ``(start, end)`` spans that are known words (terms) to their cost,
    below ``UNKNOWN_BASE_COST``; a term is a word whatever its length, a
    dictionary word has at most ``MAX_WORD_LENGTH`` letters. Returns the
    sorted positions strictly between 0 and ``len(letters)`` where one word
    ends and the next begins; of equally cheap splits, the one whose last
    word starts earliest (and so on backwards).

    Every length is split, in time linear in it (and in the number of term
    spans and dictionary words inside it): one pass of :func:`word_automaton`
    finds every dictionary word of the run, and the cheapest unknown stretch
    (at most ``MAX_WORD_LENGTH`` letters) ending at a position comes from a
    sliding-window minimum.
    """
    length = len(letters)
    if length < 2:
        return []
    # Every dictionary word of the run, as (last index, (length, cost)), by last index.
    found = list(word_automaton().iter(letters))
    found.append((length, (0, 0.0)))  # a sentinel past every end
    # The term spans ending at each position, as (start, cost); a term that is also a
    # dictionary word is simply a second candidate for the same span.
    terms_at: dict[int, list[tuple[int, float]]] = {}
    for (start, end), edge in (term_edges or {}).items():
        if 0 <= start < end <= length:
            terms_at.setdefault(end, []).append((start, edge))
    best = [0.0] + [math.inf] * length
    back = [0] * (length + 1)
    # Starts in the window whose best[start] - start is non-decreasing: the front is the
    # cheapest start of an unknown stretch ending here (the earliest of equals).
    window: collections.deque[int] = collections.deque()
    pop, push, pop_front = window.pop, window.append, window.popleft
    keys = [0.0] * (length + 1)  # best[start] - start * UNKNOWN_CHAR_COST
    base, per_char, widest = UNKNOWN_BASE_COST, UNKNOWN_CHAR_COST, MAX_WORD_LENGTH
    next_found = 0
    next_last = found[0][0]
    for end in range(1, length + 1):
        newest = end - 1
        key = keys[newest] = best[newest] - newest * per_char
        while window and keys[window[-1]] > key:
            pop()
        push(newest)
        chosen = window[0]
        if chosen < end - widest:
            pop_front()
            chosen = window[0]
        chosen_cost = best[chosen] + (base + per_char * (end - chosen))
        while next_last == newest:
            size, cost = found[next_found][1]
            start = end - size
            total = best[start] + cost
            if total < chosen_cost or (total == chosen_cost and start < chosen):
                chosen, chosen_cost = start, total
            next_found += 1
            next_last = found[next_found][0]
        spans = terms_at.get(end)
        if spans:
            for start, cost in spans:
                total = best[start] + cost
                if total < chosen_cost or (total == chosen_cost and start < chosen):
                    chosen, chosen_cost = start, total
        best[end] = chosen_cost
        back[end] = chosen
    boundaries: list[int] = []
    position = back[length]
    while position > 0:
        boundaries.append(position)
        position = back[position]
    boundaries.reverse()
    return boundaries
