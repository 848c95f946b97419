"""Every engine cache stays within its byte budget, however distinct and long the input.

The totals are the caches' own estimates (deterministic), not the process's
memory; a string's estimate is its real size.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from suggestfilter import CategoryPolicy, Matcher, Policy, SuggestionKind, TermEntry
from suggestfilter.engine import _analysis, _compile, _fold, _matcher, _segment
from suggestfilter.engine._cache import ByteBoundedDict, entry_size, object_size

MAX_TEXT_CHARS = 512  # rpc/_limits.py
MAX_LOCALE_CHARS = 35
ASTRAL_LETTERS = 0x1D400  # MATHEMATICAL BOLD CAPITAL A: folds to a letter


def _astral_words(count: int, length: int = MAX_TEXT_CHARS) -> Iterator[str]:
    """``count`` distinct words of ``length`` astral letters (4 bytes each), half of them
    doubled (so the squeezed word is a second long string)."""
    filler = "".join(chr(ASTRAL_LETTERS + i % 26) * 2 for i in range(length))
    for index in range(count):
        digits = []
        for _ in range(4):
            index, digit = divmod(index, 52)
            digits.append(chr(ASTRAL_LETTERS + 26 + digit % 26) + chr(ASTRAL_LETTERS + digit))
        yield ("".join(digits) + filler)[:length]


def _flood_size(cache: ByteBoundedDict[object, object], entry_bytes: int) -> int:
    """Enough entries of ``entry_bytes`` to fill the cache twice over."""
    return 2 * cache.budget // entry_bytes + 10


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("badword", id="ascii"),
        pytest.param("b\u00e4dw\u00f6rd", id="latin-1"),
        pytest.param("\u0431\u0430\u0434", id="cyrillic"),
        pytest.param(next(_astral_words(1)), id="astral"),
    ],
)
def test_string_estimate_is_its_real_size(text: str) -> None:
    assert object_size(text) == sys.getsizeof(text)


def test_squeezed_word_cache_stays_within_its_budget() -> None:
    cache = _analysis._SQUEEZED
    words = list(_astral_words(_flood_size(cache, entry_size("x" * 2048, "x" * 2048))))
    for word in words:
        assert len(cache[word]) >= len(word) // 2 - 4
    assert words[-1] in cache
    assert 0 < cache.nbytes <= cache.budget == _analysis.SQUEEZE_CACHE_BYTES


def test_fold_table_stays_within_its_budget() -> None:
    table = _fold._TABLE
    try:
        start = 0x4E00  # CJK ideographs, then Hangul and beyond: each its own entry
        for offset in range(0, _flood_size(table, entry_size(0x4E00, "\u4e00")), 512):
            chunk = "".join(map(chr, range(start + offset, start + offset + 512)))
            _fold.fold_chars(chunk)
        assert 0 < table.nbytes <= table.budget == _fold.TABLE_BYTES
        assert _fold.fold("B\u00e4d  W0rd") == "bad word"  # still folds after evictions
    finally:
        table.clear()
        _fold.fold_chars("".join(map(chr, range(128))))


@pytest.mark.parametrize(
    ("letters", "edges", "cuts"),
    [
        pytest.param("ab", (), (), id="no-edges"),
        pytest.param("freebadword", (((4, 11), 8.0),), (4,), id="one-term"),
        pytest.param(
            "\u00e9" * 512,
            tuple(((i + 300, i + 307), 8.0) for i in range(250)),
            tuple(range(300, 811)),
            id="maximal-latin-1",
        ),
    ],
)
def test_segmentation_entry_estimate_is_the_generic_one(
    letters: str, edges: tuple[tuple[tuple[int, int], float], ...], cuts: tuple[int, ...]
) -> None:
    key = (letters, edges)
    assert _segment._segment_entry_size(key, cuts) == entry_size(key, cuts)


def test_segmentation_cache_stays_within_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every letter its own word: the largest value a segmentation can have.
    monkeypatch.setattr(_segment, "segment_uncached", lambda letters, _: range(1, len(letters)))
    cache = _segment._SEGMENTS
    letters = "".join(chr(ord("a") + i % 26) for i in range(MAX_TEXT_CHARS))
    edges = {(start, start + 7): _segment.TERM_COST for start in range(0, 500, 2)}
    one = entry_size((letters, tuple(sorted(edges.items()))), tuple(range(1, MAX_TEXT_CHARS)))
    try:
        for index in range(_flood_size(cache, one)):
            distinct = f"{index:06d}" + letters[6:]
            assert _segment.segment(distinct, edges) == list(range(1, MAX_TEXT_CHARS))
        assert 0 < cache.nbytes <= cache.budget == _segment.SEGMENT_CACHE_BYTES
    finally:
        cache.clear()


def test_verdict_cache_stays_within_its_budget() -> None:
    matcher = Matcher.compile(
        [TermEntry("badword", "x")], Policy({"x": CategoryPolicy()}), load_dictionary=False
    )
    cache = matcher._cache
    texts = _astral_words(_flood_size(cache, 3 * 2048), MAX_TEXT_CHARS - len("badword "))
    for text in texts:
        verdict = matcher.suggestion_verdict("badword " + text, SuggestionKind.QUERY, "en")
        assert verdict.rule_id
    assert 0 < cache.nbytes <= cache.budget == _matcher.VERDICT_CACHE_BYTES


def test_language_cache_stays_within_its_budget() -> None:
    cache = _compile._LANGUAGE_OF
    for index in range(_flood_size(cache, entry_size("x" * 35, "x" * 35))):
        locale = f"x{index}-" + "\U0001d400" * (MAX_LOCALE_CHARS - 8)
        assert _compile.language_of(locale) == f"x{index}"
    assert 0 < cache.nbytes <= cache.budget == _compile.LANGUAGE_CACHE_BYTES


def test_an_entry_larger_than_the_budget_is_not_kept() -> None:
    cache: ByteBoundedDict[str, str] = ByteBoundedDict(100, name="tiny")
    cache.put("x" * 200, "y")
    assert not cache
    assert cache.nbytes == 0


def test_oldest_entries_are_evicted_first() -> None:
    cache: ByteBoundedDict[str, int] = ByteBoundedDict(4 * entry_size("k0", 0), name="tiny")
    for index in range(10):
        cache.put(f"k{index}", index)
    assert list(cache.items()) == [("k6", 6), ("k7", 7), ("k8", 8), ("k9", 9)]
    assert cache.nbytes == 4 * entry_size("k0", 0)
