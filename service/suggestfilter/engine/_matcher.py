"""The matcher: term entries and a policy compiled into an immutable decision engine.

Semantics (one place; see also :class:`~suggestfilter._model.MatchMode`):

- Terms and text are folded alike (:mod:`suggestfilter.engine._fold`): case,
  compatibility forms, diacritics, homoglyphs, invisible characters and
  leetspeak disappear. Tokens are runs of letters and digits.
- The text is matched with separators removed. A ``WORD`` match must start
  and end on token boundaries; where it crosses a gap between two tokens,
  the gap must be *joinable* -- it holds no space (``b.a.d``, ``bad-word``,
  ``bad_word``) or both tokens are single characters (``b a d``) -- unless the
  term itself has a word boundary there (a term ``bad word`` matches ``bad
  word``, ``bad-word`` and ``badword``). So ``pen is`` never matches
  ``penis``. A ``SUBSTRING`` match may start and end anywhere; its gaps obey
  the same rule.
- Hashtags (kind HASHTAG, a leading ``#`` on a token) and account names (kind
  ACCOUNT) also have boundaries at CamelCase changes, at letter/digit changes
  and, inside caseless letter runs, where dictionary word segmentation
  (:mod:`suggestfilter.engine._segment`) splits them; those gaps are joinable. A
  WORD match found by segmentation needs solid words beside it (a term, or
  a common word of three letters or more): ``#assen`` is not ``ass`` + ``en``.
- Repeated letters: runs are squeezed on both sides, then each run of the
  matched text must be at least as long as the term's run (``baaadword``
  matches ``badword``; ``as`` does not match ``ass``).
- An entry with a locale applies to requests of that language (``fr`` applies
  to ``fr-FR`` and ``fr-CA``); global entries apply everywhere.
- An ALLOW entry suppresses every BLOCK match whose span it covers.
- When several matches remain, the strongest action wins (INTERVENE > BLOCK
  > ALLOW), then the earliest, then the longest, then the smallest rule id.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import ahocorasick

from suggestfilter._errors import PolicyError
from suggestfilter._model import (
    ALLOWED,
    Action,
    EntryKind,
    InterventionNotice,
    KeystrokeDecision,
    MatchMode,
    Policy,
    SuggestionKind,
    TermEntry,
    Verdict,
)
from suggestfilter.engine._fold import apply_leet, fold_chars, fold_with_offsets
from suggestfilter.engine._segment import TERM_COST, WORD_COST, segment, word_costs

_LOGGER = logging.getLogger(__name__)

CACHE_SIZE = 65_536
PROGRESS_EVERY = 100_000
MAX_SQUEEZE_CACHE = 200_000
_WHOLE = 1
_FIRST = 2
_SINGLE = 4
_NOT_LETTERS = "\x00"
MIN_SOLID_WORD = 3
MAX_SOLID_WORD_COST = WORD_COST + 5.0  # word frequency at least 1e-5 (Zipf 4)
MAX_JOIN_VARIANT_TOKENS = 6

_TOKEN_RE = re.compile(r"[^\W_]+")
_DOUBLE_RE = re.compile(r"(.)\1")
_REPEAT_AT_RE = re.compile(r"(.)(?=\1)")  # each character that the next one repeats
_SQUEEZE_RE = re.compile(r"(.)\1+")
_SEGMENTED_KINDS = (SuggestionKind.HASHTAG, SuggestionKind.ACCOUNT)
_ACTION_STRENGTH = {Action.ALLOW: 0, Action.BLOCK: 1, Action.INTERVENE: 2}


class _Rule(NamedTuple):
    length: int  # of the squeezed joined term: its key in the joined automaton
    runs: tuple[int, ...] | None  # run length of each squeezed term character; None = all 1
    boundaries: frozenset[int]  # squeezed positions of the term's own word boundaries
    mode: MatchMode
    kind: EntryKind
    category: str
    rule_id: str
    locale: str


@dataclass(frozen=True, slots=True)
class ExplainedMatch:
    """One match in a text: half-open span in the original text, and its rule."""

    start: int
    end: int
    rule_id: str
    category: str
    kind: EntryKind
    match: MatchMode
    suppressed: bool


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a text gets its verdict: the folded text and every match.

    ``suggestion_verdict`` is the verdict on the text as a suggestion,
    ``query_verdict`` as a typed query.
    """

    folded: str
    matches: tuple[ExplainedMatch, ...]
    suggestion_verdict: Verdict = ALLOWED
    query_verdict: Verdict = ALLOWED


class _Match(NamedTuple):
    start: int  # in the joined text
    end: int
    rule: _Rule


@dataclass(slots=True)
class _Analysis:
    folded: str
    origins: list[int]
    joined_to_folded: list[int]
    matches: list[_Match]


def _squeeze_with_runs(text: str) -> tuple[str, list[int], list[int]]:
    """Squeezed text, and the start and end (exclusive) index of each run in ``text``."""
    repeats = [found.start() + 1 for found in _REPEAT_AT_RE.finditer(text)]
    if not repeats:
        return text, list(range(len(text))), list(range(1, len(text) + 1))
    repeated = set(repeats)
    starts = [index for index in range(len(text)) if index not in repeated]
    ends = [*starts[1:], len(text)]
    return "".join(text[index] for index in starts), starts, ends


_LANGUAGE_OF: dict[str, str] = {}


def language_of(locale: str) -> str:
    """The lowercase language subtag of a BCP 47 locale (``fr-CA`` -> ``fr``)."""
    language = _LANGUAGE_OF.get(locale)
    if language is None:
        language = locale.replace("_", "-").split("-", 1)[0].lower()
        if len(_LANGUAGE_OF) < 4096:
            _LANGUAGE_OF[locale] = language
    return language


_NO_BOUNDARIES: frozenset[int] = frozenset()


def _compile_entry(entry: TermEntry) -> tuple[_Rule, str, list[str]]:
    """The rule of an entry, its joined squeezed key, and its squeezed written variants.

    The variants are the term's words with or without a space between them.
    """
    tokens: list[str] = _TOKEN_RE.findall(apply_leet(fold_chars(entry.term)))
    if not tokens:
        raise PolicyError(f"rule {entry.rule_id}: the term folds to nothing")
    whole = "".join(tokens) if len(tokens) > 1 else tokens[0]
    runs: tuple[int, ...] | None = None
    boundaries = _NO_BOUNDARIES
    if _DOUBLE_RE.search(whole) is None:
        joined = whole
        if len(tokens) > 1:
            boundaries = frozenset(itertools.accumulate(len(token) for token in tokens[:-1]))
    else:
        joined, run_starts, run_ends = _squeeze_with_runs(whole)
        runs = tuple(end - start for start, end in zip(run_starts, run_ends, strict=True))
        if len(tokens) > 1:
            run_of = _run_index(run_starts, run_ends)
            boundaries = frozenset(
                run_of[position - 1] + 1
                for position in itertools.accumulate(len(token) for token in tokens[:-1])
            )
    rule = _Rule(
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
    return rule, joined, [_SQUEEZE_RE.sub(r"\1", variant) for variant in _join_variants(tokens)]


def _join_variants(tokens: list[str]) -> list[str]:
    """Every way of writing the tokens with or without a space between them."""
    if len(tokens) == 1:
        return tokens
    if len(tokens) > MAX_JOIN_VARIANT_TOKENS:
        return [" ".join(tokens), "".join(tokens)]
    variants = []
    for gaps in itertools.product((" ", ""), repeat=len(tokens) - 1):
        pieces = [tokens[0]]
        for gap, token in zip(gaps, tokens[1:], strict=True):
            pieces.append(gap)
            pieces.append(token)
        variants.append("".join(pieces))
    return variants


class _SqueezedWords(dict[str, str]):
    """Word -> squeezed word, or ``_NOT_LETTERS`` when it holds anything but letters.

    Computed on first use; bounded; shared by every matcher.
    """

    def __missing__(self, word: str) -> str:
        if not word.isalpha():
            squeezed = _NOT_LETTERS
        elif _DOUBLE_RE.search(word):
            squeezed = _SQUEEZE_RE.sub(r"\1", word)
        else:
            squeezed = word
        if len(self) < MAX_SQUEEZE_CACHE:
            self[word] = squeezed
        return squeezed


_SQUEEZED = _SqueezedWords()


class _PlainIndex:
    """Decides in a few set look-ups that plain text (letters and spaces) cannot match.

    One dict holds the squeezed one-word forms of WORD terms (``badword``,
    and ``badthing`` for the term ``bad thing``) and the first words of their
    forms with spaces (``bad thing``), which are then checked whole. The text's words
    are squeezed (through a shared cache: suggestions reuse few words) and
    looked up. Two single letters in a row (``s e x``) whose letters occur in
    terms go to the full analysis. SUBSTRING terms get a small automaton of their own. Whatever
    the index says may match goes to the full analysis, which decides.
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


class Matcher:
    """An immutable engine that decides keystrokes against compiled term entries.

    Build one with :meth:`compile`; it is never changed afterwards, so a
    server swaps a new matcher in with one reference assignment. Safe to
    call from many threads.

    How it decides: plain text (letters and spaces, most suggestions) is
    settled by squeezing its words and looking them up in a table of the
    terms' one-word forms (no automaton: the cost does not grow with the
    list, and it takes less memory than a second, whole-word automaton,
    ``" term "`` scanned over ``" " + text + " "``); other text
    by one pyahocorasick scan of its squeezed joined tokens. Only text that
    may match goes through the full analysis (boundaries, runs, locales,
    allow entries, hashtag segmentation), whose verdicts are cached per
    matcher, keyed by (text, kind, language, context).

    Measured with ``suggestfilter bench --sizes 1000,100000,1000000 --samples
    20000`` (synthetic pseudo-word terms; 20,000 distinct suggestions of 2-6
    common words, 15 % of them with a term, a disguised term or a hashtag;
    uncached, one suggestion per call, after a warm-up; Python 3.11 on a
    shared 2-core machine at load average below 1):

    ==========  ========  ==========  ===========  ========
    terms       build     memory      median       p99
    ==========  ========  ==========  ===========  ========
    1,000       0.01 s    0.4 MiB     3.6 us       125 us
    100,000     0.76 s    34 MiB      4.7 us       198 us
    1,000,000   10.4 s    366 MiB     4.3 us       193 us
    ==========  ========  ==========  ===========  ========

    On the same inputs flashtext (lowercasing only) took 4.1 and 5.6 us and
    a ``re`` alternation 17 us and 1.7 ms at 1k and 100k terms. The p99 is
    the full analysis of text that may match.

    A long-lived server should call ``gc.freeze()`` after compiling: a full
    garbage collection otherwise walks every rule (180 ms at 300k terms).
    """

    def __init__(
        self,
        *,
        policy: Policy,
        plain: _PlainIndex,
        joined_automaton: Any,
        term_count: int,
    ) -> None:
        self._policy = policy
        self._plain = plain
        self._joined = joined_automaton
        self._term_count = term_count
        self._has_terms = term_count > 0
        self._cache: dict[tuple[str, SuggestionKind, str, bool], Verdict] = {}

    @classmethod
    def compile(
        cls,
        entries: Iterable[TermEntry],
        policy: Policy,
        *,
        progress: Callable[[int], None] | None = None,
        load_dictionary: bool = True,
    ) -> Matcher:
        """Compile entries under a policy into a new matcher.

        Raises PolicyError naming the category when an entry's category is
        not in the policy, or naming the rule id when a term folds to nothing.
        ``progress`` is called with the number of entries compiled so far
        every ``PROGRESS_EVERY`` entries. ``load_dictionary`` loads the hashtag
        segmentation dictionary now (a few seconds, once per process), so that
        a server loads it before it forks and serves; without it the first
        caseless hashtag loads it.
        """
        words: set[str] = set()
        phrases: set[str] = set()
        substrings: set[str] = set()
        # Joined key -> its rule, or a tuple of rules when several share the key.
        joined_automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY)
        alphabet: set[str] = set()
        categories = policy.categories
        count = 0
        for entry in entries:
            if entry.category not in categories:
                raise PolicyError(f"unknown category {entry.category!r} (rule {entry.rule_id})")
            rule, joined, variants = _compile_entry(entry)
            existing = joined_automaton.get(joined, None)
            if existing is None:
                joined_automaton.add_word(joined, rule)
                alphabet.update(joined)
            elif type(existing) is _Rule:
                joined_automaton.add_word(joined, (existing, rule))
            else:
                joined_automaton.add_word(joined, (*existing, rule))
            if entry.match is MatchMode.SUBSTRING:
                substrings.update(variants)
            else:
                for variant in variants:
                    (phrases if " " in variant else words).add(variant)
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
        plain = _PlainIndex(words, phrases, substrings, alphabet)
        if count:
            joined_automaton.make_automaton()
            if load_dictionary:
                word_costs()
        _LOGGER.debug("compiled %d term entries", count)
        return cls(
            policy=policy,
            plain=plain,
            joined_automaton=joined_automaton,
            term_count=count,
        )

    @property
    def term_count(self) -> int:
        """How many term entries (block and allow) the matcher holds."""
        return self._term_count

    @property
    def policy(self) -> Policy:
        """The policy the matcher decides with."""
        return self._policy

    # -- decisions -------------------------------------------------------------------

    def suggestion_verdict(self, text: str, kind: SuggestionKind, locale: str) -> Verdict:
        """The verdict on one suggestion (ALLOW or BLOCK), with deciding category and rule."""
        if not self._may_match(text, kind):
            return ALLOWED
        return self._analysed_verdict(text, kind, language_of(locale), False)

    def query_verdict(self, text: str, locale: str) -> Verdict:
        """The verdict on a typed query (ALLOW, BLOCK or INTERVENE)."""
        return self._verdict(text, SuggestionKind.QUERY, language_of(locale), True)

    def decide(
        self,
        query: str,
        suggestions: Sequence[tuple[str, SuggestionKind]],
        locale: str,
    ) -> KeystrokeDecision:
        """Decide one keystroke: a verdict per suggestion, on the query, and the intervention.

        When the query verdict is BLOCK or INTERVENE no suggestion is allowed.
        The intervention message falls back from the request's language to
        English, then to the first language the category defines.
        """
        language = language_of(locale)
        query_verdict = self._verdict(query, SuggestionKind.QUERY, language, True)
        verdicts = tuple(self._verdict(text, kind, language, False) for text, kind in suggestions)
        intervention = None
        if query_verdict.action is Action.ALLOW:
            allowed = tuple(i for i, v in enumerate(verdicts) if v.action is Action.ALLOW)
        else:
            allowed = ()
            if query_verdict.action is Action.INTERVENE:
                intervention = self._intervention(query_verdict.category, language)
        return KeystrokeDecision(
            suggestion_verdicts=verdicts,
            query_verdict=query_verdict,
            allowed_indexes=allowed,
            intervention=intervention,
        )

    def explain(
        self,
        text: str,
        kind: SuggestionKind = SuggestionKind.UNSPECIFIED,
        locale: str = "",
    ) -> Explanation:
        """The folded text and every match with its span in ``text``, rule and category.

        Matches an ALLOW entry covers are listed with ``suppressed=True``.
        """
        language = language_of(locale)
        analysis = self._analyse(text, kind, language)
        explained = []
        blocks = [m for m in analysis.matches if m.rule.kind is EntryKind.BLOCK]
        allows = [m for m in analysis.matches if m.rule.kind is EntryKind.ALLOW]
        for match in sorted(analysis.matches, key=lambda m: (m.start, -m.end, m.rule.rule_id)):
            start, end = self._original_span(analysis, match)
            suppressed = match.rule.kind is EntryKind.BLOCK and _covered(match, allows)
            explained.append(
                ExplainedMatch(
                    start=start,
                    end=end,
                    rule_id=match.rule.rule_id,
                    category=match.rule.category,
                    kind=match.rule.kind,
                    match=match.rule.mode,
                    suppressed=suppressed,
                )
            )
        effective = [m for m in blocks if not _covered(m, allows)]
        return Explanation(
            folded=" ".join(analysis.folded.split()),
            matches=tuple(explained),
            suggestion_verdict=self._strongest(effective, query=False),
            query_verdict=self._strongest(effective, query=True),
        )

    # -- internals --------------------------------------------------------------------

    def _verdict(self, text: str, kind: SuggestionKind, language: str, query: bool) -> Verdict:
        if not self._may_match(text, kind):
            return ALLOWED
        return self._analysed_verdict(text, kind, language, query)

    def _analysed_verdict(
        self, text: str, kind: SuggestionKind, language: str, query: bool
    ) -> Verdict:
        """The verdict of the full analysis, cached.

        The pre-check costs about as much as a cache look-up, so only these
        verdicts are kept.
        """
        key = (text, kind, language, query)
        cache = self._cache
        verdict = cache.get(key)
        if verdict is not None:
            return verdict
        analysis = self._analyse(text, kind, language)
        allows = [m for m in analysis.matches if m.rule.kind is EntryKind.ALLOW]
        effective = [
            m
            for m in analysis.matches
            if m.rule.kind is EntryKind.BLOCK and not _covered(m, allows)
        ]
        verdict = self._strongest(effective, query=query)
        if len(cache) >= CACHE_SIZE:
            try:
                del cache[next(iter(cache))]
            except (KeyError, StopIteration, RuntimeError):
                cache.clear()
        cache[key] = verdict
        return verdict

    def _may_match(self, text: str, kind: SuggestionKind) -> bool:
        """False only when no entry can match; True sends the text to the full analysis.

        Plain text (letters and spaces) is looked up word by word in a set
        (:class:`_PlainIndex`). Other text takes one scan of the joined
        automaton over its squeezed joined tokens.
        """
        if not text or not self._has_terms:
            return False
        # ASCII text: lower() folds it but for whitespace, which only the joined scan sees.
        folded = text.lower() if text.isascii() else fold_chars(text)
        if kind in _SEGMENTED_KINDS:
            return self._joined_may_match(folded)
        squeezed = list(map(_SQUEEZED.__getitem__, folded.split()))
        if _NOT_LETTERS in squeezed:
            return self._joined_may_match(folded)
        return self._plain.may_match(squeezed)

    def _joined_may_match(self, folded: str) -> bool:
        joined = "".join(_TOKEN_RE.findall(apply_leet(folded)))
        for _ in self._joined.iter(_SQUEEZE_RE.sub(r"\1", joined)):
            return True
        return False

    def _strongest(self, matches: list[_Match], *, query: bool) -> Verdict:
        best: tuple[int, int, int, str] | None = None
        verdict = ALLOWED
        for match in matches:
            category = self._policy.categories[match.rule.category]
            action = category.query if query else category.suggestions
            if action is Action.ALLOW:
                continue
            rank = (-_ACTION_STRENGTH[action], match.start, -match.end, match.rule.rule_id)
            if best is None or rank < best:
                best = rank
                verdict = Verdict(action, match.rule.category, match.rule.rule_id)
        return verdict

    def _intervention(self, category: str, language: str) -> InterventionNotice:
        interventions = self._policy.categories[category].interventions
        chosen = interventions.get(language) or interventions.get("en")
        if chosen is None and interventions:
            chosen = next(iter(interventions.values()))
        if chosen is None:
            return InterventionNotice(category=category, message="", help_url="")
        return InterventionNotice(
            category=category, message=chosen.message, help_url=chosen.help_url
        )

    @staticmethod
    def _original_span(analysis: _Analysis, match: _Match) -> tuple[int, int]:
        first = analysis.joined_to_folded[match.start]
        last = analysis.joined_to_folded[match.end - 1]
        return analysis.origins[first], analysis.origins[last] + 1

    def _analyse(self, text: str, kind: SuggestionKind, language: str) -> _Analysis:
        """The full analysis: every accepted match of an applicable entry."""
        folded, origins = fold_with_offsets(text)
        tokens = [(m.start(), m.end()) for m in _TOKEN_RE.finditer(folded)]
        joined_parts: list[str] = []
        joined_to_folded: list[int] = []
        # Internal boundaries of the joined text: position -> joinable gap.
        gaps: dict[int, bool] = {}
        token_ranges: list[tuple[int, int, bool]] = []  # joined start, end, segmented
        previous_end = -1
        previous_length = 0
        previous_hashtag = False
        segmented_kind = kind in _SEGMENTED_KINDS
        for start, end in tokens:
            position = len(joined_to_folded)
            if previous_end >= 0:
                gap = folded[previous_end:start]
                single = previous_length == 1 and end - start == 1
                gaps[position] = " " not in gap or single
            joined_parts.append(folded[start:end])
            joined_to_folded.extend(range(start, end))
            # A hashtag token, or one glued to it by a separator without space (#Bad_Word).
            hashtag = (
                segmented_kind
                or (start > 0 and folded[start - 1] == "#")
                or (previous_hashtag and " " not in folded[previous_end:start])
            )
            previous_hashtag = hashtag
            token_ranges.append((position, position + end - start, hashtag))
            previous_end = end
            previous_length = end - start
        joined = "".join(joined_parts)
        if not joined:
            return _Analysis(folded, origins, joined_to_folded, [])
        squeezed, run_starts, run_ends = _squeeze_with_runs(joined)
        hits = []
        for end, found in self._joined.iter(squeezed):
            rules: tuple[_Rule, ...] = (found,) if type(found) is _Rule else found
            hits.append((end + 1 - rules[0].length, end + 1, rules))
        if not hits:
            return _Analysis(folded, origins, joined_to_folded, [])
        run_of = _run_index(run_starts, run_ends)
        soft_left: set[int] = set()
        soft_right: set[int] = set()
        for start, end, hashtag in token_ranges:
            if hashtag:
                for boundary in _hashtag_boundaries(
                    text,
                    origins,
                    joined_to_folded,
                    joined,
                    start,
                    end,
                    run_of,
                    run_starts,
                    hits,
                    soft_left,
                    soft_right,
                ):
                    gaps[boundary] = True
        boundary_set = set(gaps)
        boundary_set.update((0, len(joined)))
        hard = sorted(position for position, joinable in gaps.items() if not joinable)
        matches: list[_Match] = []
        for q_start, q_end, rules in hits:
            for rule in rules:
                if rule.locale and rule.locale != language:
                    continue
                span = _accept(
                    rule, q_start, q_end, run_starts, run_ends, run_of, boundary_set, hard
                )
                if (
                    span is not None
                    and rule.mode is MatchMode.WORD
                    and (span[0] in soft_left or span[1] in soft_right)
                ):
                    span = None
                if span is not None:
                    matches.append(_Match(span[0], span[1], rule))
        return _Analysis(folded, origins, joined_to_folded, matches)


def _run_index(run_starts: list[int], run_ends: list[int]) -> list[int]:
    """For each position of the unsqueezed text, the index of its run."""
    if len(run_starts) == (run_ends[-1] if run_ends else 0):
        return list(range(len(run_starts)))  # nothing was squeezed
    run_of: list[int] = []
    for index, (start, end) in enumerate(zip(run_starts, run_ends, strict=True)):
        run_of.extend([index] * (end - start))
    return run_of


def _covered(match: _Match, allows: list[_Match]) -> bool:
    return any(a.start <= match.start and match.end <= a.end for a in allows)


def _accept(
    rule: _Rule,
    q_start: int,
    q_end: int,
    run_starts: list[int],
    run_ends: list[int],
    run_of: list[int],
    boundary_set: set[int],
    hard: list[int],
) -> tuple[int, int] | None:
    """The span in the joined text where ``rule`` matches the squeezed hit, if it does."""
    first_start, first_end = run_starts[q_start], run_ends[q_start]
    last_start, last_end = run_starts[q_end - 1], run_ends[q_end - 1]
    if rule.mode is MatchMode.SUBSTRING:
        starts = [first_start]
        ends = [last_end]
    else:
        starts = [p for p in range(first_start, first_end) if p in boundary_set]
        ends = [p for p in range(last_start + 1, last_end + 1) if p in boundary_set]
    for start in starts:
        for end in ends:
            if end <= start or not _runs_long_enough(
                rule, q_start, q_end, run_starts, run_ends, start, end
            ):
                continue
            if _gaps_allowed(rule, q_start, run_of, hard, start, end):
                return start, end
    return None


def _runs_long_enough(
    rule: _Rule,
    q_start: int,
    q_end: int,
    run_starts: list[int],
    run_ends: list[int],
    start: int,
    end: int,
) -> bool:
    for offset, q in enumerate(range(q_start, q_end)):
        needed = 1 if rule.runs is None else rule.runs[offset]
        if min(run_ends[q], end) - max(run_starts[q], start) < needed:
            return False
    return True


def _gaps_allowed(
    rule: _Rule, q_start: int, run_of: list[int], hard: list[int], start: int, end: int
) -> bool:
    index = bisect.bisect_right(hard, start)
    while index < len(hard) and hard[index] < end:
        relative = run_of[hard[index] - 1] - q_start + 1
        if relative not in rule.boundaries:
            return False
        index += 1
    return True


def _is_solid_word(piece: str) -> bool:
    if len(piece) < MIN_SOLID_WORD:
        return False
    cost = word_costs().get(piece)
    return cost is not None and cost <= MAX_SOLID_WORD_COST


def _hashtag_boundaries(
    text: str,
    origins: list[int],
    joined_to_folded: list[int],
    joined: str,
    start: int,
    end: int,
    run_of: list[int],
    run_starts: list[int],
    hits: list[tuple[int, int, tuple[_Rule, ...]]],
    soft_left: set[int],
    soft_right: set[int],
) -> list[int]:
    """Inner word boundaries of a hashtag token at joined positions ``[start, end)``.

    CamelCase changes and letter/digit changes split it into parts; each
    caseless letter part is split by dictionary segmentation, with the spans
    of list terms inside it counted as words. A segmentation boundary whose
    left piece is not a solid word (a common dictionary word of at least
    three letters, Zipf frequency 4 or more, or a term) goes into
    ``soft_left``; likewise ``soft_right``. A WORD match may not start after,
    nor end before, such a piece: in ``#assen``
    the piece ``en`` is too weak to make ``ass`` a word of its own.
    """
    boundaries: list[int] = []
    for position in range(start + 1, end):
        before = text[origins[joined_to_folded[position - 1]]]
        here = text[origins[joined_to_folded[position]]]
        after = text[origins[joined_to_folded[position + 1]]] if position + 1 < end else ""
        # "FreeBad" splits before B; "HTMLParser" before P; "BADWORDvideos" after D too.
        camel = here.isupper() and (before.islower() or (before.isupper() and after.islower()))
        acronym_end = before.isupper() and here.islower() and position - 2 >= start
        if acronym_end:
            acronym_end = text[origins[joined_to_folded[position - 2]]].isupper()
        if camel or acronym_end or joined[position - 1].isdigit() != joined[position].isdigit():
            boundaries.append(position)
    parts = [start, *boundaries, end]
    for part_start, part_end in itertools.pairwise(parts):
        if joined[part_start].isdigit():
            continue
        q_first, q_last = run_of[part_start], run_of[part_end - 1] + 1
        # Terms inside the part, and the parts of terms that cross its edges, are words.
        edges = {
            (max(q_start, q_first) - q_first, min(q_end, q_last) - q_first): TERM_COST
            for q_start, q_end, _ in hits
            if q_start < q_last and q_end > q_first
        }
        if not edges:
            continue
        letters = "".join(joined[run_starts[q]] for q in range(q_first, q_last))
        cuts = segment(letters, edges)
        pieces = [0, *cuts, len(letters)]
        solid = [
            (first, last) in edges or _is_solid_word(letters[first:last])
            for first, last in itertools.pairwise(pieces)
        ]
        for index, q_boundary in enumerate(cuts):
            position = run_starts[q_first + q_boundary]
            if part_start < position < part_end:
                boundaries.append(position)
                if not solid[index]:
                    soft_left.add(position)
                if not solid[index + 1]:
                    soft_right.add(position)
    return boundaries
