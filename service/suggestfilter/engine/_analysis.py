"""Running text through compiled terms: the pre-check and the full analysis.

Most users can ignore this module: :class:`~suggestfilter.engine.Matcher`
is the public face. :class:`Scanner` holds the compiled tables. Its
:meth:`~Scanner.may_match` settles most text with a few look-ups; its
:meth:`~Scanner.analyse` folds the text into a :class:`JoinedText`, scans it
and keeps every match that passes the boundary, run-length, gap and locale
checks. Which of those matches decide a verdict is the policy's business
(:mod:`suggestfilter.engine._policy`).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Collection
from dataclasses import dataclass
from typing import NamedTuple

from suggestfilter._model import ALLOWED, EntryKind, MatchMode, SuggestionKind, Verdict
from suggestfilter.engine._cache import ByteBoundedDict
from suggestfilter.engine._compile import (
    DOUBLE_RE,
    SQUEEZE_RE,
    TOKEN_RE,
    CompiledTerms,
    Rule,
    run_index,
    squeeze_with_runs,
)
from suggestfilter.engine._fold import apply_leet, fold_chars, fold_with_offsets
from suggestfilter.engine._segment import TERM_COST, WORD_COST, segment, word_costs

SQUEEZE_CACHE_BYTES = 8 << 20
MIN_SOLID_WORD = 3
MAX_SOLID_WORD_COST = WORD_COST + 5.0  # word frequency at least 1e-5 (Zipf 4)

_NOT_LETTERS = "\x00"
_SEGMENTED_KINDS = (SuggestionKind.HASHTAG, SuggestionKind.ACCOUNT)


class _SqueezedWords(ByteBoundedDict[str, str]):
    """Word -> squeezed word, or ``_NOT_LETTERS`` when it holds anything but letters.

    Computed on first use; shared by every matcher (suggestions reuse few
    words); at most ``SQUEEZE_CACHE_BYTES`` (8 MiB: about 40,000 typical
    words, 2,000 of 512 astral characters).
    """

    __slots__ = ()

    def __missing__(self, word: str) -> str:
        if not word.isalpha():
            squeezed = _NOT_LETTERS
        elif DOUBLE_RE.search(word):
            squeezed = SQUEEZE_RE.sub(r"\1", word)
        else:
            squeezed = word
        self.put(word, squeezed)
        return squeezed


_SQUEEZED = _SqueezedWords(SQUEEZE_CACHE_BYTES, name="squeezed words")


class Match(NamedTuple):
    """An accepted match: half-open span in the joined text, and its rule."""

    start: int
    end: int
    rule: Rule


class JoinedText:
    """A text folded, cut into tokens and joined without separators, with its maps.

    - ``folded`` and ``origins``: the folded text and, per folded character,
      its index in ``text``.
    - ``joined`` and ``joined_to_folded``: the tokens (runs of letters and
      digits) of the folded text concatenated, and per joined character its
      index in ``folded``.
    - ``gaps``: joined position where one token ends and the next starts ->
      whether the separator between them is joinable (holds no space, or
      both tokens are single characters). ``hard_gaps``: the positions of
      the others, ascending.
    - ``tokens``: per token, its joined start and end, and whether it is a
      hashtag token (segmented kinds, a leading ``#``, or glued to one).
    - ``squeezed``, ``run_starts``, ``run_ends``: ``joined`` with runs of a
      repeated character squeezed to one, and each run's joined span;
      ``run_of``: per joined position, the index of its run.

    Built once per analysed text by :meth:`of`; never changed afterwards.
    """

    __slots__ = (
        "_run_of",
        "folded",
        "gaps",
        "hard_gaps",
        "joined",
        "joined_to_folded",
        "origins",
        "run_ends",
        "run_starts",
        "squeezed",
        "text",
        "tokens",
    )

    def __init__(
        self,
        text: str,
        folded: str,
        origins: list[int],
        joined: str,
        joined_to_folded: list[int],
        gaps: dict[int, bool],
        hard_gaps: list[int],
        tokens: list[tuple[int, int, bool]],
    ) -> None:
        self.text = text
        self.folded = folded
        self.origins = origins
        self.joined = joined
        self.joined_to_folded = joined_to_folded
        self.gaps = gaps
        self.hard_gaps = hard_gaps
        self.tokens = tokens
        self.squeezed, self.run_starts, self.run_ends = squeeze_with_runs(joined)
        self._run_of: list[int] | None = None

    @classmethod
    def of(cls, text: str, kind: SuggestionKind) -> JoinedText:
        """Fold ``text`` and join its tokens; every token is a hashtag token for HASHTAG
        and ACCOUNT suggestions."""
        folded, origins = fold_with_offsets(text)
        joined_parts: list[str] = []
        joined_to_folded: list[int] = []
        gaps: dict[int, bool] = {}
        hard_gaps: list[int] = []
        tokens: list[tuple[int, int, bool]] = []
        previous_end = -1
        previous_length = 0
        previous_hashtag = False
        segmented_kind = kind in _SEGMENTED_KINDS
        for found in TOKEN_RE.finditer(folded):
            start, end = found.span()
            position = len(joined_to_folded)
            if previous_end >= 0:
                gap = folded[previous_end:start]
                single = previous_length == 1 and end - start == 1
                joinable = gaps[position] = " " not in gap or single
                if not joinable:
                    hard_gaps.append(position)
            joined_parts.append(folded[start:end])
            joined_to_folded.extend(range(start, end))
            # A hashtag token, or one glued to it by a separator without space (#Bad_Word).
            hashtag = (
                segmented_kind
                or (start > 0 and folded[start - 1] == "#")
                or (previous_hashtag and " " not in folded[previous_end:start])
            )
            previous_hashtag = hashtag
            tokens.append((position, position + end - start, hashtag))
            previous_end = end
            previous_length = end - start
        joined = "".join(joined_parts)
        return cls(text, folded, origins, joined, joined_to_folded, gaps, hard_gaps, tokens)

    @property
    def run_of(self) -> list[int]:
        """Per joined position, the index of its run (computed on first use: only text
        with hits needs it)."""
        run_of = self._run_of
        if run_of is None:
            run_of = self._run_of = run_index(self.run_starts, self.run_ends)
        return run_of

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span in the original text of the joined span ``[start, end)``."""
        first = self.joined_to_folded[start]
        last = self.joined_to_folded[end - 1]
        return self.origins[first], self.origins[last] + 1


# A scan hit: squeezed start, squeezed end (exclusive), and the rules of the key.
_Hit = tuple[int, int, tuple[Rule, ...]]


class _Boundaries:
    """Where matches of one analysis may start and end.

    ``anywhere``: every token boundary, the hashtag boundaries, and both
    ends of the joined text. A WORD match may not start at a position in
    ``soft_left`` nor end at one in ``soft_right`` (a weak segmentation piece
    beside it). ``hit_ends`` and ``longest_hit`` index the hits by their end,
    so a hashtag part finds the hits that overlap it by bisection.
    """

    __slots__ = ("anywhere", "hit_ends", "longest_hit", "soft_left", "soft_right")

    def __init__(self, text: JoinedText, hits: list[_Hit]) -> None:
        # Hits come in order of their end; none is longer than the longest key.
        self.hit_ends = [q_end for _, q_end, _ in hits]
        self.longest_hit = max(q_end - q_start for q_start, q_end, _ in hits)
        anywhere = set(text.gaps)
        anywhere.update((0, len(text.joined)))
        self.soft_left: set[int] = set()
        self.soft_right: set[int] = set()
        for start, end, hashtag in text.tokens:
            if hashtag and end - start > 1:  # a one-character token has no inner boundary
                anywhere.update(_hashtag_boundaries(text, start, end, hits, self))
        self.anywhere = anywhere


@dataclass(frozen=True, slots=True)
class ExplainedMatch:
    """One match in a text: half-open span in the original text, and its rule.

    ``displayed``: the match was found in the text's display order
    (:mod:`~suggestfilter.engine._bidi`), not in its logical order; its span
    is the smallest span of the text that holds every character it was read
    from, or the whole text when that mapping is unknown.
    """

    start: int
    end: int
    rule_id: str
    category: str
    kind: EntryKind
    match: MatchMode
    suppressed: bool
    displayed: bool = False


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a text gets its verdict: the folded text and every match.

    ``suggestion_verdict`` is the verdict on the text as a suggestion,
    ``query_verdict`` as a typed query. ``display_folded`` is the folded
    display order when it differs from the logical order (else empty); its
    matches are marked ``displayed``.
    """

    folded: str
    matches: tuple[ExplainedMatch, ...]
    suggestion_verdict: Verdict = ALLOWED
    query_verdict: Verdict = ALLOWED
    display_folded: str = ""


@dataclass(slots=True)
class Analysis:
    """The outcome of the full analysis: the joined text and every accepted match."""

    text: JoinedText
    matches: list[Match]

    def explained(self, suppressed: Collection[Match]) -> tuple[ExplainedMatch, ...]:
        """Every match in reading order, spans in the original text.

        ``suppressed`` holds the matches (by identity) to mark as suppressed.
        """
        suppressed_ids = {id(match) for match in suppressed}
        explained = []
        for match in sorted(self.matches, key=lambda m: (m.start, -m.end, m.rule.rule_id)):
            start, end = self.text.original_span(match.start, match.end)
            explained.append(
                ExplainedMatch(
                    start=start,
                    end=end,
                    rule_id=match.rule.rule_id,
                    category=match.rule.category,
                    kind=match.rule.kind,
                    match=match.rule.mode,
                    suppressed=id(match) in suppressed_ids,
                )
            )
        return tuple(explained)


class Scanner:
    """Runs text through compiled terms; immutable and safe to share between threads."""

    __slots__ = ("_has_terms", "_joined", "_plain")

    def __init__(self, terms: CompiledTerms) -> None:
        self._plain = terms.plain
        self._joined = terms.joined
        self._has_terms = terms.count > 0

    def may_match(self, text: str, kind: SuggestionKind) -> bool:
        """False only when no entry can match; True sends the text to the full analysis.

        Plain text (letters and spaces) is looked up word by word in the
        plain index. Other text takes one scan of the joined automaton over
        its squeezed joined tokens.
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
        joined = "".join(TOKEN_RE.findall(apply_leet(folded)))
        for _ in self._joined.iter(SQUEEZE_RE.sub(r"\1", joined)):
            return True
        return False

    def analyse(self, text: str, kind: SuggestionKind, language: str) -> Analysis:
        """The full analysis: every accepted match of an entry that applies to ``language``."""
        joined = JoinedText.of(text, kind)
        if not joined.joined:
            return Analysis(joined, [])
        hits: list[_Hit] = []
        for end, found in self._joined.iter(joined.squeezed):
            rules: tuple[Rule, ...] = (found,) if type(found) is Rule else found
            hits.append((end + 1 - rules[0].length, end + 1, rules))
        if not hits:
            return Analysis(joined, [])
        bounds = _Boundaries(joined, hits)
        soft_left, soft_right = bounds.soft_left, bounds.soft_right
        word = MatchMode.WORD
        matches: list[Match] = []
        for q_start, q_end, rules in hits:
            for rule in rules:
                if rule.locale and rule.locale != language:
                    continue
                span = _accept(rule, q_start, q_end, joined, bounds.anywhere)
                if span is None:
                    continue
                if rule.mode is word and (span[0] in soft_left or span[1] in soft_right):
                    continue
                matches.append(Match(span[0], span[1], rule))
        return Analysis(joined, matches)


def _accept(
    rule: Rule, q_start: int, q_end: int, text: JoinedText, anywhere: set[int]
) -> tuple[int, int] | None:
    """The span in the joined text where ``rule`` matches the squeezed hit, if it does.

    A hit covers the squeezed runs ``[q_start, q_end)``. A WORD match starts
    inside its first run and ends inside its last on a boundary; a SUBSTRING
    match takes the runs whole. Each run must be at least as long as the
    term's, and every hard gap inside must be one of the term's own word
    boundaries. Of the spans that qualify, the one with the earliest start,
    then the earliest end, is returned.

    Linear in the length of the runs: a later start and an earlier end only
    drop gaps, so when the first and last runs differ the earliest end that
    leaves the last run long enough is the only end to try, and the starts
    that leave no forbidden gap before it form a suffix of the candidates.
    Within a single run, each start takes the earliest end far enough from
    it (a bisection).
    """
    run_starts = text.run_starts
    run_ends = text.run_ends
    first_start, first_end = run_starts[q_start], run_ends[q_start]
    last_start, last_end = run_starts[q_end - 1], run_ends[q_end - 1]
    runs = rule.runs
    if runs is not None:
        # Inner runs are covered whole by any span.
        for offset in range(1, q_end - q_start - 1):
            q = q_start + offset
            if run_ends[q] - run_starts[q] < runs[offset]:
                return None
    first_needed = 1 if runs is None else runs[0]
    last_needed = 1 if runs is None else runs[-1]
    if rule.mode is MatchMode.SUBSTRING:
        starts = [first_start]
        ends = [last_end]
    else:
        starts = [p for p in range(first_start, first_end) if p in anywhere]
        ends = [p for p in range(last_start + 1, last_end + 1) if p in anywhere]
    if not starts or not ends:
        return None
    forbidden = (
        _forbidden_gaps(rule, q_start, text, first_start, last_end) if text.hard_gaps else []
    )
    if q_end - q_start == 1:
        # One run: the span is inside it and must be as long as the term's run.
        for start in starts:
            index = bisect.bisect_left(ends, start + first_needed)
            if index == len(ends):
                return None  # later starts need later ends still
            end = ends[index]
            gap = bisect.bisect_right(forbidden, start)
            if gap == len(forbidden) or forbidden[gap] >= end:
                return start, end
        return None
    # Distinct first and last runs: the span covers the first run from its start and the
    # last run up to its end.
    index = bisect.bisect_left(ends, last_start + last_needed)
    if index == len(ends):
        return None
    end = ends[index]
    latest_start = first_end - first_needed
    # The last forbidden gap before the end: a start must not be before it.
    gap = bisect.bisect_left(forbidden, end)
    floor = forbidden[gap - 1] if gap else first_start
    index = bisect.bisect_left(starts, floor)
    if index < len(starts) and starts[index] <= latest_start:
        return starts[index], end
    return None


def _forbidden_gaps(rule: Rule, q_start: int, text: JoinedText, start: int, end: int) -> list[int]:
    """The hard gaps strictly inside ``(start, end)`` that are not word boundaries of the term."""
    hard = text.hard_gaps
    run_of = text.run_of
    boundaries = rule.boundaries
    forbidden = []
    index = bisect.bisect_right(hard, start)
    while index < len(hard) and hard[index] < end:
        gap = hard[index]
        if run_of[gap - 1] - q_start + 1 not in boundaries:
            forbidden.append(gap)
        index += 1
    return forbidden


def _is_solid_word(piece: str) -> bool:
    if len(piece) < MIN_SOLID_WORD:
        return False
    cost = word_costs().get(piece)
    return cost is not None and cost <= MAX_SOLID_WORD_COST


def _hashtag_boundaries(
    text: JoinedText, start: int, end: int, hits: list[_Hit], bounds: _Boundaries
) -> list[int]:
    """Inner word boundaries of a hashtag token at joined positions ``[start, end)``.

    CamelCase changes and letter/digit changes split it into parts; each
    caseless letter part is split by dictionary segmentation, with the spans
    of list terms inside it counted as words. A segmentation boundary whose
    left piece is not a solid word (a common dictionary word of at least
    three letters, Zipf frequency 4 or more, or a term) goes into
    ``bounds.soft_left``; likewise ``soft_right``. A WORD match may not
    start after, nor end before, such a piece: in ``#assen`` the piece
    ``en`` is too weak to make ``ass`` a word of its own.
    """
    original = text.text
    origins = text.origins
    joined_to_folded = text.joined_to_folded
    joined = text.joined
    run_of = text.run_of
    run_starts = text.run_starts
    boundaries: list[int] = []
    shown = [original[origins[joined_to_folded[position]]] for position in range(start, end)]
    if any(map(str.isupper, shown)):
        for index in range(1, end - start):
            before, here = shown[index - 1], shown[index]
            after = shown[index + 1] if index + 1 < end - start else ""
            # "FreeBad" splits before B; "HTMLParser" before P; "BADWORDvideos" after D too.
            camel = here.isupper() and (before.islower() or (before.isupper() and after.islower()))
            acronym_end = before.isupper() and here.islower() and index >= 2
            if acronym_end:
                acronym_end = shown[index - 2].isupper()
            position = start + index
            digit_change = joined[position - 1].isdigit() != joined[position].isdigit()
            if camel or acronym_end or digit_change:
                boundaries.append(position)
    elif any(map(str.isdigit, joined[start:end])):
        for position in range(start + 1, end):
            if joined[position - 1].isdigit() != joined[position].isdigit():
                boundaries.append(position)
    parts = [start, *boundaries, end]
    hit_ends = bounds.hit_ends
    longest = bounds.longest_hit
    for part_start, part_end in itertools.pairwise(parts):
        if joined[part_start].isdigit():
            continue
        q_first, q_last = run_of[part_start], run_of[part_end - 1] + 1
        # Terms inside the part, and the parts of terms that cross its edges, are words.
        edges: dict[tuple[int, int], float] = {}
        index = bisect.bisect_right(hit_ends, q_first)
        limit = bisect.bisect_left(hit_ends, q_last + longest, lo=index)
        for q_start, q_end, _ in hits[index:limit]:
            if q_start < q_last:
                edges[(max(q_start, q_first) - q_first, min(q_end, q_last) - q_first)] = TERM_COST
        if not edges:
            continue
        letters = text.squeezed[q_first:q_last]
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
                    bounds.soft_left.add(position)
                if not solid[index + 1]:
                    bounds.soft_right.add(position)
    return boundaries
