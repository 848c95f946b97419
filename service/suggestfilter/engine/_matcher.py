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
- Display order: a text that holds a bidirectional control or right-to-left
  script is also matched in the order a reader sees it
  (:mod:`suggestfilter.engine._bidi`): ``\u202edrowdab`` displays, and is
  blocked as, ``badword``. The stronger of the two verdicts wins.
- Work budget: :meth:`Matcher.decide` given a :class:`WorkBudget` decides the
  query, then the suggestions in order, until the budget is spent; every
  text not decided by then gets ``UNDECIDED`` (BLOCK, never shown).

The work is split three ways: :mod:`~suggestfilter.engine._compile` builds
the tables from entries, :mod:`~suggestfilter.engine._analysis` runs text
through them, and :mod:`~suggestfilter.engine._policy` turns matches into
verdicts. :class:`Matcher` ties them together and caches verdicts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence

from suggestfilter._model import (
    ALLOWED,
    UNDECIDED,
    Action,
    KeystrokeDecision,
    Policy,
    SuggestionKind,
    TermEntry,
    Verdict,
    WorkBudget,
)
from suggestfilter.engine._analysis import ExplainedMatch, Explanation, Scanner
from suggestfilter.engine._bidi import display_order, display_order_with_origins
from suggestfilter.engine._cache import ByteBoundedDict
from suggestfilter.engine._compile import CompiledTerms, compile_terms, language_of
from suggestfilter.engine._policy import Judge, split_by_allows, stronger

__all__ = ["ExplainedMatch", "Explanation", "Matcher"]

VERDICT_CACHE_BYTES = 16 << 20  # per matcher: about 60,000 typical texts


class Matcher:
    r"""An immutable engine that decides keystrokes against compiled term entries.

    Build one with :meth:`compile`; it is never changed afterwards, so a
    server swaps a new matcher in with one reference assignment. Safe to
    call from many threads.

    >>> from suggestfilter import (
    ...     CategoryPolicy, EntryKind, Matcher, MatchMode, Policy, SuggestionKind, TermEntry,
    ... )
    >>> matcher = Matcher.compile(
    ...     [
    ...         TermEntry("badword", "profanity", rule_id="r-badword"),
    ...         TermEntry("zorb", "profanity", match=MatchMode.SUBSTRING, rule_id="r-zorb"),
    ...         TermEntry("zorbington", "profanity", kind=EntryKind.ALLOW, rule_id="a-town"),
    ...     ],
    ...     Policy({"profanity": CategoryPolicy()}),
    ...     load_dictionary=False,
    ... )
    >>> QUERY = SuggestionKind.QUERY
    >>> decision = matcher.decide("how to", [("how to cook", QUERY), ("badword", QUERY)], "en")
    >>> decision.allowed_indexes
    (0,)

    Disguises fold away: case, leetspeak, homoglyphs (Cyrillic ``\u0430``),
    invisible characters and separators between letters.

    >>> matcher.suggestion_verdict("B.\u0430.D-w\u200b0RD", QUERY, "en").rule_id
    'r-badword'

    An ALLOW entry suppresses the BLOCK matches it covers, and only those.

    >>> matcher.suggestion_verdict("Zorbington", QUERY, "en").action.name
    'ALLOW'
    >>> matcher.suggestion_verdict("zorbington zorbs", QUERY, "en").rule_id
    'r-zorb'

    Text is matched as it is displayed, too: a right-to-left override shows
    ``drowdab`` as ``badword``.

    >>> matcher.suggestion_verdict("free \u202edrowdab\u202c videos", QUERY, "en").rule_id
    'r-badword'

    With a work budget, what is not decided when it runs out fails closed.

    >>> from suggestfilter._model import WorkBudget
    >>> clock = iter(range(100)).__next__  # a clock that moves one second per reading
    >>> budget = WorkBudget(3.5, cpu_clock=clock, wall_clock=clock)
    >>> decision = matcher.decide("how to", [("a", QUERY), ("b", QUERY)], "en", budget=budget)
    >>> [verdict.undecided for verdict in decision.suggestion_verdicts]
    [False, True]

    How it decides: plain text (letters and spaces, most suggestions) is
    settled by squeezing its words and looking them up in a table of the
    terms' one-word forms (no automaton: the cost does not grow with the
    list, and it takes less memory than a second, whole-word automaton,
    ``" term "`` scanned over ``" " + text + " "``); other text
    by one pyahocorasick scan of its squeezed joined tokens. Only text that
    may match goes through the full analysis (boundaries, runs, locales,
    allow entries, hashtag segmentation), whose verdicts are cached per
    matcher, keyed by (text, kind, language, context). Text that holds a
    bidirectional control or right-to-left script is also laid out by the
    Unicode Bidirectional Algorithm (about 5 us at 20 characters, 80 us at
    512) and, when its display order differs and may match, analysed in that
    order too; ASCII text skips that with one ``str.isascii`` (measured: no
    change in the median below), other text with one regular-expression
    search (about 0.3 us).

    Measured with ``suggestfilter bench --sizes 1000,100000,1000000 --samples
    20000`` (synthetic pseudo-word terms; 20,000 distinct suggestions of 2-6
    common words, 15 % of them with a term, a disguised term or a hashtag;
    uncached, one suggestion per call, after a warm-up; Python 3.11 on a
    shared 2-core machine at load average below 1):

    ==========  ========  ==========  ===========  ========
    terms       build     memory      median       p99
    ==========  ========  ==========  ===========  ========
    1,000       0.14 s    23 MiB      2.2 us       63 us
    100,000     0.77 s    34 MiB      3.4 us       134 us
    1,000,000   7.0 s     368 MiB     3.0 us       115 us
    ==========  ========  ==========  ===========  ========

    The first build of a process also loads the hashtag dictionary (most of
    the 23 MiB at 1k terms). On the same inputs flashtext (lowercasing only)
    took 2.7 and 3.7 us and a ``re`` alternation 12 us and 1.3 ms at 1k and
    100k terms. The p99 is the full analysis of text that may match.

    A long-lived server should call ``gc.freeze()`` after compiling: a full
    garbage collection otherwise walks every rule (180 ms at 300k terms).
    """

    def __init__(self, *, policy: Policy, terms: CompiledTerms) -> None:
        self._judge = Judge(policy)
        self._scanner = Scanner(terms)
        self._term_count = terms.count
        # Bound once: the pre-check runs on every suggestion.
        self._may_match = self._scanner.may_match
        self._cache: ByteBoundedDict[tuple[str, SuggestionKind, str, bool], Verdict]
        self._cache = ByteBoundedDict(VERDICT_CACHE_BYTES, name="verdicts")

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
        terms = compile_terms(
            entries, policy.categories, progress=progress, load_dictionary=load_dictionary
        )
        return cls(policy=policy, terms=terms)

    @property
    def term_count(self) -> int:
        """How many term entries (block and allow) the matcher holds."""
        return self._term_count

    @property
    def policy(self) -> Policy:
        """The policy the matcher decides with."""
        return self._judge.policy

    # -- decisions -------------------------------------------------------------------

    def suggestion_verdict(self, text: str, kind: SuggestionKind, locale: str) -> Verdict:
        """The verdict on one suggestion (ALLOW or BLOCK), with deciding category and rule."""
        if text.isascii():  # the common case: displayed in logical order
            if not self._may_match(text, kind):
                return ALLOWED
            return self._analysed_verdict(text, kind, language_of(locale), False)
        return self._verdict(text, kind, language_of(locale), False)

    def query_verdict(self, text: str, locale: str) -> Verdict:
        """The verdict on a typed query (ALLOW, BLOCK or INTERVENE)."""
        return self._verdict(text, SuggestionKind.QUERY, language_of(locale), True)

    def decide(
        self,
        query: str,
        suggestions: Sequence[tuple[str, SuggestionKind]],
        locale: str,
        *,
        budget: WorkBudget | None = None,
    ) -> KeystrokeDecision:
        """Decide one keystroke: a verdict per suggestion, on the query, and the intervention.

        When the query verdict is BLOCK or INTERVENE no suggestion is allowed.
        The intervention message falls back from the request's language to
        English, then to the first language the category defines. With a
        ``budget``, the texts (the query first, then the suggestions in
        order) not decided when it is spent get ``UNDECIDED``: BLOCK, never
        allowed; an undecided query hides every suggestion.
        """
        language = language_of(locale)
        verdict = self._verdict
        if budget is None:
            query_verdict = verdict(query, SuggestionKind.QUERY, language, True)
            verdicts = tuple(verdict(text, kind, language, False) for text, kind in suggestions)
            return self._judge.keystroke(query_verdict, verdicts, language)
        spent = budget.start()
        if spent():
            query_verdict = UNDECIDED
            verdicts = (UNDECIDED,) * len(suggestions)
        else:
            query_verdict = verdict(query, SuggestionKind.QUERY, language, True)
            decided: list[Verdict] = []
            for index, (text, kind) in enumerate(suggestions):
                if spent():
                    decided.extend([UNDECIDED] * (len(suggestions) - index))
                    break
                decided.append(verdict(text, kind, language, False))
            verdicts = tuple(decided)
        return self._judge.keystroke(query_verdict, verdicts, language)

    def explain(
        self,
        text: str,
        kind: SuggestionKind = SuggestionKind.UNSPECIFIED,
        locale: str = "",
    ) -> Explanation:
        """The folded text and every match with its span in ``text``, rule and category.

        Matches an ALLOW entry covers are listed with ``suppressed=True``.
        When the display order of the text differs from its logical order,
        its folded form is ``display_folded`` and its matches follow, marked
        ``displayed=True`` (those not found on the same characters in the
        logical order); the verdicts are the stronger of the two orders'.
        """
        language = language_of(locale)
        judge = self._judge
        analysis = self._scanner.analyse(text, kind, language)
        standing, suppressed = split_by_allows(analysis.matches)
        matches = analysis.explained(suppressed)
        suggestion_verdict = judge.strongest(standing, query=False)
        query_verdict = judge.strongest(standing, query=True)
        display_folded = ""
        display = display_order_with_origins(text)
        if display is not None:
            reading, origins = display
            shown = self._scanner.analyse(reading, kind, language)
            shown_standing, shown_suppressed = split_by_allows(shown.matches)
            display_folded = " ".join(shown.text.folded.split())
            seen = {(match.start, match.end, match.rule_id) for match in matches}
            for match in shown.explained(shown_suppressed):
                moved = _read_from(match, origins, len(text))
                if (moved.start, moved.end, moved.rule_id) not in seen:
                    matches += (moved,)
            suggestion_verdict = stronger(
                suggestion_verdict, judge.strongest(shown_standing, query=False)
            )
            query_verdict = stronger(query_verdict, judge.strongest(shown_standing, query=True))
        return Explanation(
            folded=" ".join(analysis.text.folded.split()),
            matches=matches,
            suggestion_verdict=suggestion_verdict,
            query_verdict=query_verdict,
            display_folded=display_folded,
        )

    # -- internals --------------------------------------------------------------------

    def _verdict(self, text: str, kind: SuggestionKind, language: str, query: bool) -> Verdict:
        """The stronger verdict of the logical and the display order of ``text``."""
        if text.isascii():  # displayed in logical order
            if not self._may_match(text, kind):
                return ALLOWED
            return self._analysed_verdict(text, kind, language, query)
        if self._may_match(text, kind):
            verdict = self._analysed_verdict(text, kind, language, query)
            if verdict.action is Action.INTERVENE or (not query and verdict.action is Action.BLOCK):
                return verdict  # nothing stronger to find in the display order
        else:
            verdict = ALLOWED
        reading = display_order(text)
        if reading is None or not self._may_match(reading, kind):
            return verdict
        return stronger(verdict, self._analysed_verdict(reading, kind, language, query))

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
        analysis = self._scanner.analyse(text, kind, language)
        verdict = self._judge.verdict(analysis.matches, query=query)
        cache.put(key, verdict)
        return verdict


def _read_from(match: ExplainedMatch, origins: list[int] | None, length: int) -> ExplainedMatch:
    """A match of the display order, marked so, its span moved to the original text.

    ``origins`` gives per character of the display order its index in the
    original text (None: unknown, and the span is the whole text).
    """
    if origins is None:
        start, end = 0, length
    else:
        read_from = origins[match.start : match.end]
        start, end = min(read_from), max(read_from) + 1
    return dataclasses.replace(match, start=start, end=end, displayed=True)
