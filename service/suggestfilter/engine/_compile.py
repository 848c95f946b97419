"""Compiling term entries into the tables the matcher scans: most users can ignore this.

Each entry becomes a :class:`Rule` keyed by its folded, squeezed, joined
term (``bad thing`` -> ``badthing``) in one pyahocorasick automaton, and its
written variants go into the :class:`PlainIndex` of the fast path. The
squeezing helpers here are shared with the analysis, which squeezes text the
same way.
"""

from __future__ import annotations

import itertools
import logging
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import ahocorasick

from suggestfilter._errors import PolicyError
from suggestfilter._model import CategoryPolicy, EntryKind, MatchMode, TermEntry
from suggestfilter.engine._cache import ByteBoundedDict
from suggestfilter.engine._fold import apply_leet, fold_chars
from suggestfilter.engine._segment import word_automaton

_LOGGER = logging.getLogger(__name__)

PROGRESS_EVERY = 100_000
MAX_JOIN_VARIANT_TOKENS = 6
LANGUAGE_CACHE_BYTES = 256 << 10  # locale -> language subtag

TOKEN_RE = re.compile(r"[^\W_]+")
SQUEEZE_RE = re.compile(r"(.)\1+")
DOUBLE_RE = re.compile(r"(.)\1")
_REPEAT_AT_RE = re.compile(r"(.)(?=\1)")  # each character that the next one repeats

# Flags of a word in the plain index.
_WHOLE = 1  # the squeezed one-word form of a WORD term
_FIRST = 2  # the first word of a form with spaces
_SINGLE = 4  # a single letter that occurs in some term (could join its neighbour: s e x)


class Rule(NamedTuple):
    """One compiled entry, the value of its key in the joined automaton."""

    length: int  # of the squeezed joined term: its key in the joined automaton
    runs: tuple[int, ...] | None  # run length of each squeezed term character; None = all 1
    boundaries: frozenset[int]  # squeezed positions of the term's own word boundaries
    mode: MatchMode
    kind: EntryKind
    category: str
    rule_id: str
    locale: str


_LANGUAGE_OF: ByteBoundedDict[str, str] = ByteBoundedDict(LANGUAGE_CACHE_BYTES, name="languages")


def language_of(locale: str) -> str:
    """The lowercase language subtag of a BCP 47 locale (``fr-CA`` -> ``fr``)."""
    language = _LANGUAGE_OF.get(locale)
    if language is None:
        language = locale.replace("_", "-").split("-", 1)[0].lower()
        _LANGUAGE_OF.put(locale, language)
    return language


def squeeze_with_runs(text: str) -> tuple[str, list[int], list[int]]:
    """Squeezed text, and the start and end (exclusive) index of each run in ``text``."""
    repeats = [found.start() + 1 for found in _REPEAT_AT_RE.finditer(text)]
    if not repeats:
        return text, list(range(len(text))), list(range(1, len(text) + 1))
    repeated = set(repeats)
    starts = [index for index in range(len(text)) if index not in repeated]
    ends = [*starts[1:], len(text)]
    return "".join(text[index] for index in starts), starts, ends


def run_index(run_starts: list[int], run_ends: list[int]) -> list[int]:
    """For each position of the unsqueezed text, the index of its run."""
    if len(run_starts) == (run_ends[-1] if run_ends else 0):
        return list(range(len(run_starts)))  # nothing was squeezed
    lengths = map(operator.sub, run_ends, run_starts)
    return list(itertools.chain.from_iterable(map(itertools.repeat, itertools.count(), lengths)))


_NO_BOUNDARIES: frozenset[int] = frozenset()


def compile_entry(entry: TermEntry) -> tuple[Rule, str, list[str]]:
    """The rule of an entry, its joined squeezed key, and its squeezed written variants.

    The variants are the term's words with or without a space between them.
    Raises PolicyError naming the rule when the term folds to nothing.
    """
    tokens: list[str] = TOKEN_RE.findall(apply_leet(fold_chars(entry.term)))
    if not tokens:
        raise PolicyError(f"rule {entry.rule_id}: the term folds to nothing")
    whole = "".join(tokens) if len(tokens) > 1 else tokens[0]
    runs: tuple[int, ...] | None = None
    boundaries = _NO_BOUNDARIES
    if DOUBLE_RE.search(whole) is None:
        joined = whole
        if len(tokens) > 1:
            boundaries = frozenset(itertools.accumulate(len(token) for token in tokens[:-1]))
    else:
        joined, run_starts, run_ends = squeeze_with_runs(whole)
        runs = tuple(end - start for start, end in zip(run_starts, run_ends, strict=True))
        if len(tokens) > 1:
            run_of = run_index(run_starts, run_ends)
            boundaries = frozenset(
                run_of[position - 1] + 1
                for position in itertools.accumulate(len(token) for token in tokens[:-1])
            )
    rule = Rule(
        length=len(joined),
        runs=runs,
        boundaries=boundaries,
        mode=entry.match,
        kind=entry.kind,
        category=entry.category,
        rule_id=entry.rule_id,
        locale=language_of(entry.locale) if entry.locale else "",
    )
    if len(tokens) == 1:
        return rule, joined, [joined]
    return rule, joined, [SQUEEZE_RE.sub(r"\1", variant) for variant in _join_variants(tokens)]


def _join_variants(tokens: list[str]) -> list[str]:
    """Every way of writing the tokens with or without a space between them.

    Beyond ``MAX_JOIN_VARIANT_TOKENS`` tokens (2 ** (n - 1) ways), the
    variants are instead the joined first 1, 2, ... n tokens as one-word
    forms: any way of writing the term starts with one of them, so text
    holding one goes to the full analysis (a few more texts are analysed;
    none is missed).
    """
    if len(tokens) == 1:
        return tokens
    if len(tokens) > MAX_JOIN_VARIANT_TOKENS:
        return ["".join(tokens[:count]) for count in range(1, len(tokens) + 1)]
    variants = []
    for gaps in itertools.product((" ", ""), repeat=len(tokens) - 1):
        pieces = [tokens[0]]
        for gap, token in zip(gaps, tokens[1:], strict=True):
            pieces.append(gap)
            pieces.append(token)
        variants.append("".join(pieces))
    return variants


class PlainIndex:
    """Decides in a few set look-ups that plain text (letters and spaces) cannot match.

    One dict holds the squeezed one-word forms of WORD terms (``badword``,
    and ``badthing`` for the term ``bad thing``) and the first words of their
    forms with spaces (``bad thing``), which are then checked whole. Two
    single letters in a row (``s e x``) whose letters occur in terms may
    match. SUBSTRING terms get a small automaton of their own. Whatever the
    index says may match goes to the full analysis, which decides.
    """

    def __init__(
        self, words: set[str], phrases: set[str], substrings: set[str], alphabet: set[str]
    ) -> None:
        # One look-up per word: is it a whole term, does a phrase start with it,
        # is it a single letter that could join its neighbour (s e x)?
        lookup = dict.fromkeys(words, _WHOLE)
        for phrase in phrases:
            first = phrase.split(" ", 1)[0]
            lookup[first] = lookup.get(first, 0) | _FIRST
        for char in alphabet:
            lookup[char] = lookup.get(char, 0) | _SINGLE
        self._lookup = lookup
        self._keys = lookup.keys()
        self._phrases = frozenset(phrases)
        self._longest_phrase = max((phrase.count(" ") + 1 for phrase in phrases), default=0)
        self._substrings: Any = None
        if substrings:
            self._substrings = ahocorasick.Automaton(ahocorasick.STORE_INTS)
            for key in substrings:
                self._substrings.add_word(key, 1)
            self._substrings.make_automaton()

    def may_match(self, squeezed: list[str]) -> bool:
        """Whether plain folded text, as its squeezed words, may match; False is final."""
        if not self._keys.isdisjoint(squeezed) and self._candidate(squeezed):
            return True
        if self._substrings is not None:
            for _ in self._substrings.iter(" ".join(squeezed)):
                return True
        return False

    def _candidate(self, squeezed: list[str]) -> bool:
        lookup = self._lookup
        previous = 0
        for index, word in enumerate(squeezed):
            found = lookup.get(word, 0)
            if found & _WHOLE or (found & previous & _SINGLE):
                return True
            if found & _FIRST:
                longest = min(self._longest_phrase, len(squeezed) - index)
                for count in range(2, longest + 1):
                    if " ".join(squeezed[index : index + count]) in self._phrases:
                        return True
            previous = found
        return False


@dataclass(frozen=True, slots=True)
class CompiledTerms:
    """The tables of a compiled list: immutable once built.

    ``joined`` is a pyahocorasick automaton over the squeezed joined keys;
    its value is the key's :class:`Rule`, or a tuple of rules when several
    entries share the key.
    """

    plain: PlainIndex
    joined: Any
    count: int


def compile_terms(
    entries: Iterable[TermEntry],
    categories: Mapping[str, CategoryPolicy],
    *,
    progress: Callable[[int], None] | None = None,
    load_dictionary: bool = True,
) -> CompiledTerms:
    """Compile entries into the joined automaton and the plain index.

    Raises PolicyError naming the category when an entry's category is not
    in ``categories``, or naming the rule id when a term folds to nothing.
    """
    words: set[str] = set()
    phrases: set[str] = set()
    substrings: set[str] = set()
    joined = ahocorasick.Automaton(ahocorasick.STORE_ANY)
    alphabet: set[str] = set()
    count = 0
    for entry in entries:
        if entry.category not in categories:
            raise PolicyError(f"unknown category {entry.category!r} (rule {entry.rule_id})")
        rule, key, variants = compile_entry(entry)
        existing = joined.get(key, None)
        if existing is None:
            joined.add_word(key, rule)
            alphabet.update(key)
        elif type(existing) is Rule:
            joined.add_word(key, (existing, rule))
        else:
            joined.add_word(key, (*existing, rule))
        if entry.match is MatchMode.SUBSTRING:
            substrings.update(variants)
        else:
            for variant in variants:
                (phrases if " " in variant else words).add(variant)
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    plain = PlainIndex(words, phrases, substrings, alphabet)
    if count:
        joined.make_automaton()
        if load_dictionary:
            word_automaton()  # and the word costs it is built from
    _LOGGER.debug("compiled %d term entries", count)
    return CompiledTerms(plain=plain, joined=joined, count=count)
