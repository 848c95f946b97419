"""The load generator: a keystroke corpus with its own oracle, drivers, and the report.

Most users want the ``suggestfilter loadtest`` command; this module is what it
runs. The pieces, in the order the command uses them:

- :func:`build_corpus` turns a term list and a policy into realistic typing
  sessions. Innocent text is made of common English words (``wordfreq``) that
  contain no term; blocked candidates are disguises of the terms (case,
  leetspeak inside letter tokens, separators, repeated letters, fullwidth,
  diacritics, CamelCase hashtags). Every keystroke carries the verdicts it
  expects. The oracle never calls the engine under test: it decides with its
  own coarse skeleton (:func:`coarse_skeleton`), which over-approximates what
  any correct folding can match, and keeps only text whose verdict that makes
  certain.
- :class:`LoadPlan` holds the sessions pre-serialised, so a driver spends its
  CPU on gRPC and checking, not on building requests.
- :func:`run_load` drives a target with unary calls or one stream per typing
  session, from threads (grpc's sync stubs) or an asyncio loop (``grpc.aio``),
  in this process or in several client processes, and returns a
  :class:`LoadResult` with an HDR latency histogram, errors by status code,
  wrong verdicts and the list versions each connection saw. Measured on 2
  cores against the echo floor: sync stubs give more unary calls per second
  (about 2,500 vs 2,060), ``grpc.aio`` more stream messages (about 3,480 vs
  2,070), and two client processes more than one.
- :func:`format_report` and :func:`report_document` render results.

A response names the list version that decided it; the oracle takes its
expectation at that version (a canary term added by a later version is
allowed before it and blocked from it on), and every connection's versions
must never go back.

No typed query and no term is ever logged or reported: wrong verdicts are
described by field, expected and actual action and category, and the kind of
disguise.
"""

from __future__ import annotations

import array
import asyncio
import collections
import contextlib
import dataclasses
import logging
import multiprocessing
import multiprocessing.synchronize
import random
import re
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Final, Protocol

import ahocorasick
import grpc
import grpc.aio
from hdrh.histogram import HdrHistogram

from suggestfilter._model import Action, EntryKind, Policy, SuggestionKind, TermEntry
from suggestfilter.client import FRONTEND_CHANNEL_OPTIONS
from suggestfilter.v1 import filter_pb2

_LOGGER = logging.getLogger(__name__)

FILTER_METHOD: Final = "/suggestfilter.v1.SuggestionFilterService/Filter"
SESSION_METHOD: Final = "/suggestfilter.v1.SuggestionFilterService/FilterSession"
SUGGESTIONS_PER_KEYSTROKE: Final = 10
# Latency histogram range: 1 µs to 60 s, 3 significant figures.
_HDR_LOWEST_US: Final = 1
_HDR_HIGHEST_US: Final = 60_000_000
_HDR_DIGITS: Final = 3
_PERCENTILES: Final = (50.0, 90.0, 99.0, 99.9)

# ---------------------------------------------------------------------------
# The oracle's skeleton
# ---------------------------------------------------------------------------

# Leetspeak digits and symbols, applied everywhere (a correct engine applies them
# only inside letter tokens, so this finds at least every match it can find).
_COARSE_LEET = str.maketrans(
    {"4": "a", "@": "a", "3": "e", "0": "o", "1": "i", "!": "i", "5": "s", "$": "s", "7": "t"}
)
# Letters that Unicode's confusables data (UTS #39) folds together, merged
# generously: l and i share a prototype, m looks like rn, d like cl, w like vv.
_COARSE_CONFUSABLE = str.maketrans({"l": "i", "m": "rn", "d": "cl", "w": "v"})
_REPEATS = re.compile(r"(.)\1+")


def coarse_skeleton(text: str) -> str:
    """A skeleton that merges at least everything a correct filter's folding merges.

    Compatibility forms are decomposed, marks dropped, case folded, leetspeak
    mapped everywhere, every character that is not a letter or digit dropped
    (so every separator disguise joins up), look-alike letters merged and
    repeated letters squeezed. If a term's skeleton does not occur in a
    text's skeleton, no correct engine can match the term in the text; the
    converse does not hold, so the oracle only uses text whose verdict this
    settles (it drops the rest).
    """
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(
        char for char in decomposed.casefold() if not unicodedata.combining(char)
    ).translate(_COARSE_LEET)
    kept = _REPEATS.sub(r"\1", "".join(char for char in letters if char.isalnum()))
    # Squeeze before and after merging look-alikes: "dd" must stay one "cl".
    return _REPEATS.sub(r"\1", kept.translate(_COARSE_CONFUSABLE))


class TermIndex:
    """Which terms' coarse skeletons occur in a text's coarse skeleton (Aho-Corasick)."""

    def __init__(self, terms: Iterable[CorpusTerm]) -> None:
        by_skeleton: dict[str, list[CorpusTerm]] = collections.defaultdict(list)
        for term in terms:
            skeleton = coarse_skeleton(term.text)
            if skeleton:
                by_skeleton[skeleton].append(term)
        self._automaton = ahocorasick.Automaton()
        for skeleton, group in by_skeleton.items():
            self._automaton.add_word(skeleton, tuple(group))
        self._empty = not by_skeleton
        if not self._empty:
            self._automaton.make_automaton()

    def contained(self, text: str) -> set[CorpusTerm]:
        """Every term whose skeleton occurs in ``text``'s skeleton."""
        if self._empty:
            return set()
        found: set[CorpusTerm] = set()
        for _end, group in self._automaton.iter(coarse_skeleton(text)):
            found.update(group)
        return found


# ---------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CorpusTerm:
    """A blocked term as the oracle sees it.

    ``from_version`` is the first list version that blocks it (1 for the
    terms of the base list; a canary added by a later publish has that
    version's number).
    """

    text: str
    category: str
    from_version: int = 1


@dataclass(frozen=True, slots=True)
class Expected:
    """The verdict one text expects: ``action``/``category`` from list version
    ``from_version`` on, ``before_action``/``before_category`` below it."""

    action: Action
    category: str = ""
    from_version: int = 0
    before_action: Action = Action.ALLOW
    before_category: str = ""

    def at(self, version: int) -> tuple[Action, str]:
        """The expected (action, category) under list version ``version``."""
        if version >= self.from_version:
            return self.action, self.category
        return self.before_action, self.before_category


ALLOW_EXPECTED: Final = Expected(Action.ALLOW)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One candidate suggestion with the verdict it expects.

    ``label`` names how it was made (``innocent``, ``case``, ``leet``,
    ``separator``...), for reports that must not show the text.
    """

    text: str
    kind: SuggestionKind
    expected: Expected
    label: str


@dataclass(frozen=True, slots=True)
class Keystroke:
    """One keystroke: the typed query, its candidates and what each expects."""

    query: str
    query_expected: Expected
    candidates: tuple[Candidate, ...]
    query_label: str = "innocent"


@dataclass(frozen=True, slots=True)
class Corpus:
    """Typing sessions (one query typed character by character each) and counts."""

    sessions: tuple[tuple[Keystroke, ...], ...]
    term_count: int
    disguised_terms: int
    innocent_words: int
    blocked_candidates: int

    @property
    def keystrokes(self) -> int:
        """How many keystrokes all sessions hold."""
        return sum(len(session) for session in self.sessions)


def _letter_term(text: str) -> bool:
    return len(text) >= 3 and text.isascii() and text.isalpha()


_FULLWIDTH_OFFSET: Final = 0xFEE0
_LEET_OUT: Final = {"a": "4", "e": "3", "o": "0"}
_DIACRITIC_OUT: Final = {
    "a": "ä",
    "o": "ö",
    "u": "ü",
    "e": "é",
    "i": "í",
    "c": "ç",
    "n": "ñ",
}


def _leet(term: str) -> str | None:
    out = [_LEET_OUT.get(char, char) for char in term]
    if out == list(term):
        return None
    # Keep the token a letter token: leave at least the first letter alone.
    out[0] = term[0]
    if not any(char.isalpha() for char in out) or "".join(out) == term:
        return None
    return "".join(out)


def _diacritics(term: str) -> str | None:
    out = "".join(_DIACRITIC_OUT.get(char, char) for char in term)
    return None if out == term else out


def _repeated(term: str) -> str:
    vowels = [index for index, char in enumerate(term) if char in "aeiou"]
    index = vowels[0] if vowels else len(term) // 2
    return term[:index] + term[index] * 3 + term[index:]


def _fullwidth(term: str) -> str:
    return "".join(chr(ord(char) + _FULLWIDTH_OFFSET) for char in term)


def disguises(term: str) -> list[tuple[str, SuggestionKind, str]]:
    """The disguised forms of a letters-only term, each ``(text, kind, label)``.

    Every form is one the filter must see through (DESIGN, "Matching
    semantics"): case, leetspeak inside a letter token, separators, repeated
    letters, fullwidth, diacritics, CamelCase and plain hashtags, and two
    combinations.
    """
    lower = term.lower()
    forms: list[tuple[str, SuggestionKind, str]] = [
        (lower, SuggestionKind.QUERY, "plain"),
        (lower.upper(), SuggestionKind.QUERY, "case"),
        (lower.capitalize(), SuggestionKind.QUERY, "case"),
        (".".join(lower), SuggestionKind.QUERY, "separator"),
        (" ".join(lower), SuggestionKind.QUERY, "separator"),
        (
            lower[: len(lower) // 2] + "-" + lower[len(lower) // 2 :],
            SuggestionKind.QUERY,
            "separator",
        ),
        (_repeated(lower), SuggestionKind.QUERY, "repeated"),
        (_fullwidth(lower), SuggestionKind.QUERY, "fullwidth"),
        (_fullwidth(lower.upper()), SuggestionKind.QUERY, "fullwidth+case"),
        ("#" + lower.capitalize(), SuggestionKind.HASHTAG, "hashtag"),
        ("#Free" + lower.capitalize() + "Videos", SuggestionKind.HASHTAG, "hashtag-camelcase"),
        (lower + " videos", SuggestionKind.QUERY, "phrase"),
    ]
    leet = _leet(lower)
    if leet is not None:
        forms.append((leet, SuggestionKind.QUERY, "leet"))
        forms.append((leet.upper(), SuggestionKind.QUERY, "leet+case"))
    marked = _diacritics(lower)
    if marked is not None:
        forms.append((marked, SuggestionKind.QUERY, "diacritics"))
    return forms


# Disguises a user may type into the search box (no hashtags, no spaced letters).
_TYPED_LABELS: Final = frozenset({"plain", "case", "leet", "repeated", "fullwidth", "diacritics"})


def innocent_words(index: TermIndex, count: int = 3000, *, language: str = "en") -> list[str]:
    """Common words (``wordfreq``) of at least three ASCII letters that contain no term."""
    import wordfreq

    words: list[str] = []
    for word in wordfreq.top_n_list(language, count * 3):
        if _letter_term(word) and not index.contained(word):
            words.append(word)
            if len(words) >= count:
                break
    return words


def _expected_for(term: CorpusTerm, action: Action) -> Expected:
    if term.from_version <= 1:
        return Expected(action, "" if action is Action.ALLOW else term.category)
    return Expected(
        action, "" if action is Action.ALLOW else term.category, from_version=term.from_version
    )


def build_corpus(
    entries: Sequence[TermEntry],
    policy: Policy,
    *,
    canaries: Sequence[CorpusTerm] = (),
    locale: str = "en-US",
    sessions: int = 400,
    blocked_share: float = 0.1,
    blocked_query_share: float = 0.05,
    max_keystrokes: int = 16,
    seed: int = 1,
    words: Sequence[str] | None = None,
) -> Corpus:
    """Typing sessions over ``entries`` under ``policy``, each keystroke with its verdicts.

    ``blocked_share`` of candidates are disguised blocked terms (expect the
    category's suggestion action); the rest are innocent phrases and hashtags
    (expect ALLOW). ``blocked_query_share`` of sessions type a disguised term
    followed by an innocent word (proper prefixes of the term expect ALLOW, the
    complete term the category's query action); the others type prefixes of
    innocent phrases. ``canaries`` are terms that a later list version adds:
    before that version they expect ALLOW. Only global entries and entries of
    ``locale``'s language apply; every block entry (any locale) is kept out
    of innocent text.
    """
    rng = random.Random(seed)
    language = locale.split("-")[0].lower()
    blocking = [entry for entry in entries if entry.kind is EntryKind.BLOCK]
    allowing = [entry for entry in entries if entry.kind is EntryKind.ALLOW]
    all_terms = [CorpusTerm(entry.term, entry.category) for entry in blocking]
    all_terms.extend(canaries)
    index = TermIndex(all_terms)
    allow_index = TermIndex(CorpusTerm(entry.term, entry.category) for entry in allowing)

    applicable = [
        CorpusTerm(entry.term.lower(), entry.category)
        for entry in blocking
        if entry.locale in ("", language) and _letter_term(entry.term)
    ]
    applicable.extend(term for term in canaries if _letter_term(term.text))
    chosen: list[CorpusTerm] = []
    seen: set[tuple[str, str]] = set()
    for term in applicable:
        key = (term.text, term.category)
        category = policy.categories.get(term.category)
        if key in seen or category is None or category.suggestions is not Action.BLOCK:
            continue
        seen.add(key)
        chosen.append(term)
    rng.shuffle(chosen)
    chosen = chosen[:2000]

    word_list = list(words) if words is not None else innocent_words(index, language=language)
    if len(word_list) < 20:
        raise ValueError("too few innocent words for a corpus")

    def settled(text: str, term: CorpusTerm) -> bool:
        # The text contains the intended term, and nothing else that could decide it
        # differently: no other category, and nothing at all beside a canary.
        found = index.contained(text)
        return (
            term in found
            and not allow_index.contained(text)
            and all(
                other == term
                or (
                    other.category == term.category and other.from_version == term.from_version == 1
                )
                for other in found
            )
        )

    blocked: list[Candidate] = []
    typed: list[tuple[str, CorpusTerm, str]] = []
    for term in chosen:
        for text, kind, label in disguises(term.text):
            if not settled(text, term):
                continue
            blocked.append(Candidate(text, kind, _expected_for(term, Action.BLOCK), label))
            if label in _TYPED_LABELS and all(
                not index.contained(text[:cut]) for cut in range(1, len(text))
            ):
                typed.append((text, term, label))

    innocent: list[Candidate] = []
    phrases: list[str] = []
    while len(innocent) < 3000:
        first, second = rng.choice(word_list), rng.choice(word_list)
        phrase = f"{first} {second}"
        if index.contained(phrase):
            continue
        phrases.append(phrase)
        innocent.append(Candidate(phrase, SuggestionKind.QUERY, ALLOW_EXPECTED, "innocent"))
        innocent.append(Candidate(first, SuggestionKind.QUERY, ALLOW_EXPECTED, "innocent"))
        hashtag = "#" + first.capitalize() + second.capitalize()
        if rng.random() < 0.5:
            hashtag = hashtag.lower()
        innocent.append(Candidate(hashtag, SuggestionKind.HASHTAG, ALLOW_EXPECTED, "innocent"))

    def candidates() -> tuple[Candidate, ...]:
        picked = []
        for _ in range(SUGGESTIONS_PER_KEYSTROKE):
            if blocked and rng.random() < blocked_share:
                picked.append(rng.choice(blocked))
            else:
                picked.append(rng.choice(innocent))
        return tuple(picked)

    all_sessions: list[tuple[Keystroke, ...]] = []
    for _ in range(sessions):
        if typed and rng.random() < blocked_query_share:
            text, term, label = rng.choice(typed)
            category = policy.categories[term.category]
            full = _expected_for(term, category.query)
            whole = f"{text} {rng.choice(word_list)}"
            if not settled(whole, term):
                whole = text
            keystrokes = []
            for cut in range(1, len(whole) + 1):
                query = whole[:cut]
                expected = full if cut >= len(text) else ALLOW_EXPECTED
                keystrokes.append(Keystroke(query, expected, candidates(), "typed-" + label))
            all_sessions.append(tuple(keystrokes[:max_keystrokes]))
        else:
            phrase = rng.choice(phrases)[:max_keystrokes]
            all_sessions.append(
                tuple(
                    Keystroke(phrase[:cut], ALLOW_EXPECTED, candidates())
                    for cut in range(1, len(phrase) + 1)
                )
            )
    return Corpus(
        sessions=tuple(all_sessions),
        term_count=len(all_terms),
        disguised_terms=len(chosen),
        innocent_words=len(word_list),
        blocked_candidates=len(blocked),
    )


# ---------------------------------------------------------------------------
# Checking responses
# ---------------------------------------------------------------------------


def _kind_name(kind: SuggestionKind) -> str:
    return kind.name


def check_response(
    keystroke: Keystroke, response: filter_pb2.FilterResponse, *, allow_all: bool = False
) -> str | None:
    """None when ``response`` is what ``keystroke`` expects, else one line saying what differs.

    The line names fields, actions, categories and disguise labels, never text.
    With ``allow_all`` (the echo floor) every candidate and the query expect
    ALLOW. The expectation is taken at the response's ``list_version``.
    """
    version = int(response.list_version)
    if version < 1:
        return f"list_version is {version}, expected at least 1"
    candidates = keystroke.candidates
    if len(response.verdicts) != len(candidates):
        return f"{len(response.verdicts)} verdicts for {len(candidates)} suggestions"
    if allow_all:
        query_expected: tuple[Action, str] = (Action.ALLOW, "")
    else:
        query_expected = keystroke.query_expected.at(version)
    query_verdict = response.query_verdict
    if (int(query_verdict.action), query_verdict.category) != query_expected:
        return (
            f"query ({keystroke.query_label}): expected {query_expected[0].name}/"
            f"{query_expected[1]}, got {_action_name(query_verdict.action)}/"
            f"{query_verdict.category} at list version {version}"
        )
    allowed_indexes = []
    for position, (candidate, verdict) in enumerate(
        zip(candidates, response.verdicts, strict=True)
    ):
        expected = (Action.ALLOW, "") if allow_all else candidate.expected.at(version)
        if int(verdict.action) != expected[0] or verdict.category != expected[1]:
            return (
                f"suggestions[{position}] ({_kind_name(candidate.kind)}, {candidate.label}): "
                f"expected {expected[0].name}/{expected[1]}, got "
                f"{_action_name(verdict.action)}/{verdict.category} at list version {version}"
            )
        if expected[0] is Action.BLOCK and not verdict.rule_id:
            return f"suggestions[{position}]: BLOCK without a rule_id"
        if expected[0] is Action.ALLOW:
            allowed_indexes.append(position)
    if query_expected[0] is Action.ALLOW:
        expected_allowed = [candidates[position].text for position in allowed_indexes]
    else:
        expected_allowed = []
    if [suggestion.text for suggestion in response.allowed] != expected_allowed:
        return (
            f"allowed holds {len(response.allowed)} suggestions, expected "
            f"{len(expected_allowed)} (query {query_expected[0].name})"
        )
    if query_expected[0] is Action.INTERVENE:
        if response.intervention.category != query_expected[1] or not (
            response.intervention.message
        ):
            return "query INTERVENE without an intervention of its category"
    elif response.HasField("intervention"):
        return f"intervention set with query {query_expected[0].name}"
    return None


def _action_name(value: int) -> str:
    try:
        return Action(value).name
    except ValueError:
        return f"ACTION_{value}"


# ---------------------------------------------------------------------------
# The plan: pre-serialised requests
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedKeystroke:
    """A keystroke with its request already serialised."""

    request: bytes
    keystroke: Keystroke


@dataclass(frozen=True, slots=True)
class LoadPlan:
    """Every typing session, pre-serialised; drivers only send and check."""

    sessions: tuple[tuple[PlannedKeystroke, ...], ...]
    locale: str

    @classmethod
    def from_corpus(cls, corpus: Corpus, *, locale: str = "en-US") -> LoadPlan:
        """Serialise every keystroke of ``corpus`` as a FilterRequest for ``locale``."""
        sessions = []
        for session in corpus.sessions:
            planned = []
            for keystroke in session:
                request = filter_pb2.FilterRequest(
                    query=keystroke.query,
                    suggestions=[
                        filter_pb2.Suggestion(text=candidate.text, kind=candidate.kind.value)  # type: ignore[arg-type]
                        for candidate in keystroke.candidates
                    ],
                    locale=locale,
                )
                planned.append(PlannedKeystroke(request.SerializeToString(), keystroke))
            sessions.append(tuple(planned))
        return cls(tuple(sessions), locale)


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


def new_histogram() -> HdrHistogram:
    """An empty latency histogram in microseconds (1 µs to 60 s, 3 significant digits)."""
    return HdrHistogram(_HDR_LOWEST_US, _HDR_HIGHEST_US, _HDR_DIGITS)


_MAX_SAMPLES: Final = 10


@dataclass
class LoadResult:
    """What one load run measured. Results of lanes and processes merge with :meth:`merge`.

    ``requests`` counts answered keystrokes (right or wrong); ``errors`` failed
    calls by gRPC status code name; ``wrong`` answered keystrokes whose
    response differs from the oracle. ``switches`` counts changes of
    ``list_version`` seen on one connection (or stream), ``backwards`` the
    changes to a lower version. Latencies are in microseconds.
    ``window_histogram`` holds the calls started inside the settings' window
    (e.g. around a publish). ``version_first_seen``/``version_last_seen`` give,
    per list version, the first and last time (seconds after the clock
    started) a response named it. ``timeline_ms``/``timeline_us`` hold every
    timed call's start (ms after the clock started) and latency (µs), for
    :meth:`histogram_between`.
    """

    label: str = ""
    mode: str = ""
    elapsed: float = 0.0
    requests: int = 0
    wrong: int = 0
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    wrong_samples: list[str] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    versions: collections.Counter[int] = field(default_factory=collections.Counter)
    connections: int = 0
    switches: int = 0
    max_switches_per_connection: int = 0
    backwards: int = 0
    histogram: HdrHistogram = field(default_factory=new_histogram)
    window_histogram: HdrHistogram = field(default_factory=new_histogram)
    timeline_ms: array.array[int] = field(default_factory=lambda: array.array("I"))
    timeline_us: array.array[int] = field(default_factory=lambda: array.array("I"))
    version_first_seen: dict[int, float] = field(default_factory=dict)
    version_last_seen: dict[int, float] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        """Failed calls, all status codes."""
        return sum(self.errors.values())

    @property
    def requests_per_second(self) -> float:
        """Answered keystrokes per second of the measured window."""
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    def percentile_ms(self, percentile: float, *, window: bool = False) -> float:
        """The latency at ``percentile`` (0-100) in milliseconds (of the window's calls)."""
        histogram = self.window_histogram if window else self.histogram
        if histogram.get_total_count() == 0:
            return 0.0
        return float(histogram.get_value_at_percentile(percentile)) / 1000.0

    def histogram_between(self, start: float, end: float) -> HdrHistogram:
        """The latencies of the calls started from ``start`` to ``end`` seconds after the clock."""
        histogram = new_histogram()
        low, high = start * 1000.0, end * 1000.0
        for started_ms, latency_us in zip(self.timeline_ms, self.timeline_us, strict=True):
            if low <= started_ms < high:
                histogram.record_value(latency_us)
        return histogram

    @property
    def ok(self) -> bool:
        """True when nothing failed, nothing was wrong and no version went backwards."""
        return self.error_count == 0 and self.wrong == 0 and self.backwards == 0

    def merge(self, other: LoadResult, *, sequential: bool = False) -> None:
        """Add ``other``'s counts and histogram into this result.

        ``other`` ran at the same time (lanes, client processes: elapsed is the
        longer) or, with ``sequential``, after it (rounds: elapsed adds up).
        """
        self.elapsed = (
            self.elapsed + other.elapsed if sequential else max(self.elapsed, other.elapsed)
        )
        self.requests += other.requests
        self.wrong += other.wrong
        self.errors.update(other.errors)
        self.wrong_samples.extend(other.wrong_samples[: _MAX_SAMPLES - len(self.wrong_samples)])
        self.error_samples.extend(other.error_samples[: _MAX_SAMPLES - len(self.error_samples)])
        self.versions.update(other.versions)
        self.connections += other.connections
        self.switches += other.switches
        self.max_switches_per_connection = max(
            self.max_switches_per_connection, other.max_switches_per_connection
        )
        self.backwards += other.backwards
        self.histogram.add(other.histogram)
        self.window_histogram.add(other.window_histogram)
        self.timeline_ms.extend(other.timeline_ms)
        self.timeline_us.extend(other.timeline_us)
        for version, seen in other.version_first_seen.items():
            self.version_first_seen[version] = min(seen, self.version_first_seen.get(version, seen))
        for version, seen in other.version_last_seen.items():
            self.version_last_seen[version] = max(seen, self.version_last_seen.get(version, seen))

    def to_transport(self) -> dict[str, Any]:
        """A picklable form (the histogram HDR-encoded) for crossing processes."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["histogram"] = self.histogram.encode()
        data["window_histogram"] = self.window_histogram.encode()
        return data

    @classmethod
    def from_transport(cls, data: dict[str, Any]) -> LoadResult:
        """The inverse of :meth:`to_transport`."""
        values = dict(data)
        histogram = new_histogram()
        histogram.decode_and_add(values.pop("histogram"))
        window_histogram = new_histogram()
        window_histogram.decode_and_add(values.pop("window_histogram"))
        return cls(histogram=histogram, window_histogram=window_histogram, **values)

    def summary(self) -> dict[str, Any]:
        """The figures of this run as plain JSON values."""
        return {
            "label": self.label,
            "mode": self.mode,
            "seconds": round(self.elapsed, 3),
            "requests": self.requests,
            "requests_per_second": round(self.requests_per_second, 1),
            "latency_ms": {
                f"p{percentile:g}": round(self.percentile_ms(percentile), 3)
                for percentile in _PERCENTILES
            }
            | {"max": round(self.histogram.get_max_value() / 1000.0, 3)},
            "errors": dict(sorted(self.errors.items())),
            "wrong_verdicts": self.wrong,
            "wrong_samples": list(self.wrong_samples),
            "error_samples": list(self.error_samples),
            "versions_seen": {str(k): v for k, v in sorted(self.versions.items())},
            "connections": self.connections,
            "version_switches": self.switches,
            "max_switches_per_connection": self.max_switches_per_connection,
            "versions_backwards": self.backwards,
            "version_first_seen_s": {
                str(k): round(v, 3) for k, v in sorted(self.version_first_seen.items())
            },
            "version_last_seen_s": {
                str(k): round(v, 3) for k, v in sorted(self.version_last_seen.items())
            },
        }


# ---------------------------------------------------------------------------
# Lanes: one connection each, one call in flight
# ---------------------------------------------------------------------------


class _VersionTrack:
    """The list versions one connection or stream has seen, in order."""

    __slots__ = ("backwards", "last", "switches")

    def __init__(self) -> None:
        self.last = 0
        self.switches = 0
        self.backwards = 0

    def see(self, version: int) -> None:
        if version != self.last:
            if self.last:
                self.switches += 1
                if version < self.last:
                    self.backwards += 1
            self.last = version


class _StatusError(Exception):
    """A call that ended with a non-OK status without raising (a stream's trailing status)."""

    def __init__(self, code: grpc.StatusCode, details: str | None) -> None:
        super().__init__(f"{code.name}: {details}")
        self._code = code
        self._details = details or ""

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


def _guarded(driver: Callable[..., None]) -> Callable[..., None]:
    """``driver`` with any unexpected exception counted on its lane instead of lost."""

    def run(lane: _Lane, *args: Any) -> None:
        try:
            driver(lane, *args)
        except Exception as error:
            _LOGGER.exception("load lane failed")
            lane.failed(error)

    return run


class _Lane:
    """One connection's share of the load: its sessions, counts and histogram."""

    def __init__(self, plan: LoadPlan, offset: int, *, allow_all: bool) -> None:
        self.plan = plan
        self.offset = offset
        self.allow_all = allow_all
        # With the frontend retry settings, calls wait for a connection instead of failing fast.
        self.wait_for_ready = False
        self.requests = 0
        self.wrong = 0
        self.errors: collections.Counter[str] = collections.Counter()
        self.wrong_samples: list[str] = []
        self.error_samples: list[str] = []
        self.versions: collections.Counter[int] = collections.Counter()
        self.connection = _VersionTrack()
        self.max_stream_switches = 0
        self.histogram = new_histogram()
        # Calls started before this (the warm-up) are checked but not timed or counted.
        self.record_from_ns = 0
        # Calls started in [window_from_ns, window_to_ns) also go to the window histogram.
        self.window_from_ns = 0
        self.window_to_ns = 0
        self.window_histogram = new_histogram()
        self.timeline_ms = array.array("I")
        self.timeline_us = array.array("I")
        self.version_first_ns: dict[int, int] = {}
        self.version_last_ns: dict[int, int] = {}

    def sessions(self) -> Iterable[tuple[PlannedKeystroke, ...]]:
        """The plan's sessions, endlessly, starting at this lane's offset."""
        sessions = self.plan.sessions
        position = self.offset % len(sessions)
        while True:
            yield sessions[position]
            position = (position + 1) % len(sessions)

    def answered(
        self,
        planned: PlannedKeystroke,
        payload: bytes,
        started_ns: int,
        stream: _VersionTrack | None,
    ) -> None:
        now_ns = time.perf_counter_ns()
        if started_ns >= self.record_from_ns:
            latency_us = max(1, (now_ns - started_ns) // 1000)
            self.histogram.record_value(latency_us)
            self.requests += 1
            self.timeline_ms.append((started_ns - self.record_from_ns) // 1_000_000)
            self.timeline_us.append(min(latency_us, 0xFFFFFFFF))
            if self.window_from_ns <= started_ns < self.window_to_ns:
                self.window_histogram.record_value(latency_us)
        try:
            response = filter_pb2.FilterResponse.FromString(payload)
        except Exception as error:  # a malformed response is a wrong answer
            problem: str | None = f"unparseable response: {type(error).__name__}"
        else:
            version = int(response.list_version)
            if version not in self.versions:
                self.version_first_ns[version] = now_ns
            self.version_last_ns[version] = now_ns
            self.versions[version] += 1
            self.connection.see(version)
            if stream is not None:
                stream.see(version)
            problem = check_response(planned.keystroke, response, allow_all=self.allow_all)
        if problem is not None:
            self.wrong += 1
            if len(self.wrong_samples) < _MAX_SAMPLES:
                self.wrong_samples.append(problem)

    def failed(self, error: BaseException) -> None:
        if isinstance(error, grpc.RpcError | _StatusError):
            code, details = error.code(), error.details()  # type: ignore[union-attr]
            name = code.name if isinstance(code, grpc.StatusCode) else str(code)
        else:
            name, details = type(error).__name__, str(error)
        self.errors[name] += 1
        if len(self.error_samples) < _MAX_SAMPLES:
            self.error_samples.append(f"{name}: {details}")

    def stream_done(self, stream: _VersionTrack) -> None:
        self.max_stream_switches = max(self.max_stream_switches, stream.switches)
        # A stream's own reversal is also counted on its connection's track.

    def result(self, label: str, mode: str, elapsed: float) -> LoadResult:
        return LoadResult(
            label=label,
            mode=mode,
            elapsed=elapsed,
            requests=self.requests,
            wrong=self.wrong,
            errors=self.errors,
            wrong_samples=self.wrong_samples,
            error_samples=self.error_samples,
            versions=self.versions,
            connections=1,
            switches=self.connection.switches,
            max_switches_per_connection=max(self.connection.switches, self.max_stream_switches),
            backwards=self.connection.backwards,
            histogram=self.histogram,
            window_histogram=self.window_histogram,
            timeline_ms=self.timeline_ms,
            timeline_us=self.timeline_us,
            version_first_seen={
                v: (ns - self.record_from_ns) / 1e9 for v, ns in self.version_first_ns.items()
            },
            version_last_seen={
                v: (ns - self.record_from_ns) / 1e9 for v, ns in self.version_last_ns.items()
            },
        )


CALL_TIMEOUT: Final = 10.0


def _channel_options(*, retry: bool = False) -> list[tuple[str, Any]]:
    # A local subchannel pool gives every channel its own TCP connection, so
    # SO_REUSEPORT spreads the lanes over the server's worker processes.
    return [
        *(FRONTEND_CHANNEL_OPTIONS if retry else ()),
        ("grpc.use_local_subchannel_pool", 1),
        ("grpc.max_receive_message_length", 16 * 1024 * 1024),
    ]


# --- sync stubs in threads ---------------------------------------------------


def _sync_unary_lane(lane: _Lane, channel: grpc.Channel, stop: threading.Event) -> None:
    call = channel.unary_unary(FILTER_METHOD, None, None)
    for session in lane.sessions():
        for planned in session:
            if stop.is_set():
                return
            started = time.perf_counter_ns()
            try:
                payload = call(
                    planned.request, timeout=CALL_TIMEOUT, wait_for_ready=lane.wait_for_ready
                )
            except grpc.RpcError as error:
                lane.failed(error)
                continue
            lane.answered(planned, payload, started, None)


def _sync_stream_lane(lane: _Lane, channel: grpc.Channel, stop: threading.Event) -> None:
    call = channel.stream_stream(SESSION_METHOD, None, None)
    for session in lane.sessions():
        if stop.is_set():
            return
        track = _VersionTrack()
        turn = threading.Semaphore(0)
        sent: list[tuple[PlannedKeystroke, int]] = []

        def requests(
            session: tuple[PlannedKeystroke, ...] = session,
            turn: threading.Semaphore = turn,
            sent: list[tuple[PlannedKeystroke, int]] = sent,
        ) -> Iterator[bytes]:
            for planned in session:
                if stop.is_set():
                    return
                sent.append((planned, time.perf_counter_ns()))
                yield planned.request
                # Type the next key only once this one is answered.
                if not turn.acquire(timeout=CALL_TIMEOUT):
                    return

        answered = 0
        try:
            responses = call(
                requests(), timeout=CALL_TIMEOUT * 3, wait_for_ready=lane.wait_for_ready
            )
            for payload in responses:
                planned, started = sent[answered]
                lane.answered(planned, payload, started, track)
                answered += 1
                turn.release()
        except grpc.RpcError as error:
            lane.failed(error)
        finally:
            turn.release()
        lane.stream_done(track)


class _StopSignal(Protocol):
    """A threading or multiprocessing Event: asks a run to stop before its duration."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = ...) -> bool: ...


def _unreachable(target: str, settings: LoadSettings) -> RuntimeError:
    return RuntimeError(f"cannot connect to {target} within {settings.connect_timeout:g} s")


def _begin(lanes: Sequence[_Lane], warmup: float, window: tuple[float, float] | None) -> float:
    """Start the clock: calls started within ``warmup`` seconds from now are not timed."""
    began = time.perf_counter()
    record_from_ns = time.perf_counter_ns() + int(warmup * 1e9)
    for lane in lanes:
        lane.record_from_ns = record_from_ns
        if window is not None:
            lane.window_from_ns = record_from_ns + int(window[0] * 1e9)
            lane.window_to_ns = record_from_ns + int(window[1] * 1e9)
    return began


def _run_sync_lanes(
    target: str,
    lanes: Sequence[_Lane],
    settings: LoadSettings,
    start: Callable[[], None],
    stop_requested: _StopSignal,
) -> float:
    driver = _guarded(_sync_unary_lane if settings.mode == "unary" else _sync_stream_lane)
    options = _channel_options(retry=settings.retry)
    channels = [grpc.insecure_channel(target, options=options) for _ in lanes]
    try:
        for channel in channels:
            try:
                grpc.channel_ready_future(channel).result(timeout=settings.connect_timeout)
            except grpc.FutureTimeoutError:
                raise _unreachable(target, settings) from None
        stop = threading.Event()
        threads = [
            threading.Thread(target=driver, args=(lane, channel, stop), daemon=True)
            for lane, channel in zip(lanes, channels, strict=True)
        ]
        start()
        began = _begin(lanes, settings.warmup, settings.window)
        for thread in threads:
            thread.start()
        stop_requested.wait(settings.warmup + settings.duration)
        stop.set()
        elapsed = time.perf_counter() - began - settings.warmup
        for thread in threads:
            thread.join(CALL_TIMEOUT * 3)
        return elapsed
    finally:
        for channel in channels:
            channel.close()


# --- grpc.aio ----------------------------------------------------------------


async def _aio_unary_lane(lane: _Lane, channel: Any, stop: asyncio.Event) -> None:
    call = channel.unary_unary(FILTER_METHOD, None, None)
    for session in lane.sessions():
        for planned in session:
            if stop.is_set():
                return
            started = time.perf_counter_ns()
            try:
                payload = await call(
                    planned.request, timeout=CALL_TIMEOUT, wait_for_ready=lane.wait_for_ready
                )
            except grpc.RpcError as error:
                lane.failed(error)
                continue
            lane.answered(planned, payload, started, None)


async def _aio_stream_lane(lane: _Lane, channel: Any, stop: asyncio.Event) -> None:
    method = channel.stream_stream(SESSION_METHOD, None, None)
    end_of_stream = grpc.aio.EOF  # type: ignore[attr-defined]
    for session in lane.sessions():
        if stop.is_set():
            return
        track = _VersionTrack()
        call = method(timeout=CALL_TIMEOUT * 3, wait_for_ready=lane.wait_for_ready)
        try:
            for planned in session:
                if stop.is_set():
                    break
                started = time.perf_counter_ns()
                await call.write(planned.request)
                payload = await call.read()
                if payload is end_of_stream:
                    break
                lane.answered(planned, payload, started, track)
            await call.done_writing()
            while await call.read() is not end_of_stream:
                lane.failed(RuntimeError("a response beyond the requests"))
            code = await call.code()
            if code is not grpc.StatusCode.OK:
                lane.failed(_StatusError(code, await call.details()))
        except grpc.RpcError as error:
            lane.failed(error)
        lane.stream_done(track)


def _run_aio_lanes(
    target: str,
    lanes: Sequence[_Lane],
    settings: LoadSettings,
    start: Callable[[], None],
    stop_requested: _StopSignal,
) -> float:
    lane_driver = _aio_unary_lane if settings.mode == "unary" else _aio_stream_lane
    options = _channel_options(retry=settings.retry)

    async def driver(lane: _Lane, channel: Any, stop: asyncio.Event) -> None:
        try:
            await lane_driver(lane, channel, stop)
        except Exception as error:
            _LOGGER.exception("load lane failed")
            lane.failed(error)

    async def main() -> float:
        channels = [grpc.aio.insecure_channel(target, options=options) for _ in lanes]
        try:
            for channel in channels:
                try:
                    await asyncio.wait_for(channel.channel_ready(), settings.connect_timeout)
                except TimeoutError:
                    raise _unreachable(target, settings) from None
            stop = asyncio.Event()
            start()
            began = _begin(lanes, settings.warmup, settings.window)
            tasks = [
                asyncio.create_task(driver(lane, channel, stop))
                for lane, channel in zip(lanes, channels, strict=True)
            ]
            ends = time.perf_counter() + settings.warmup + settings.duration
            while not stop_requested.is_set() and time.perf_counter() < ends:
                await asyncio.sleep(min(0.05, max(0.0, ends - time.perf_counter())))
            stop.set()
            elapsed = time.perf_counter() - began - settings.warmup
            await asyncio.wait(tasks, timeout=CALL_TIMEOUT * 3)
            return elapsed
        finally:
            for channel in channels:
                await channel.close(None)

    return asyncio.run(main())


_DRIVERS: Final = {"sync": _run_sync_lanes, "aio": _run_aio_lanes}
CLIENT_APIS: Final = tuple(_DRIVERS)
MODES: Final = ("unary", "stream")


# ---------------------------------------------------------------------------
# Running lanes in this process or in client processes
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadSettings:
    """How to drive a target.

    ``concurrency`` is the number of connections, each with one call (unary)
    or one typing session's stream in flight. ``client_processes`` spreads
    them over that many spawned processes (0 runs them in this process).
    ``allow_all`` checks responses as the echo floor answers them.
    ``warmup`` seconds of load run first, checked but neither timed nor
    counted in the throughput. ``window`` (start, end), in seconds after the
    clock starts, selects calls for the result's window histogram. ``retry``
    makes the client resilient as a frontend should be: every channel gets
    :data:`suggestfilter.client.FRONTEND_CHANNEL_OPTIONS` (retry policy, 50 ms
    reconnect backoff), and calls wait for a connection (``wait_for_ready``)
    within their deadline. Off, every failure counts. A lane whose channel is not ready within
    ``connect_timeout`` seconds fails the run.
    """

    mode: str = "unary"
    concurrency: int = 8
    duration: float = 10.0
    api: str = "sync"
    client_processes: int = 1
    allow_all: bool = False
    label: str = "service"
    warmup: float = 0.0
    window: tuple[float, float] | None = None
    retry: bool = False
    connect_timeout: float = CALL_TIMEOUT


def _lanes_for(plan: LoadPlan, first: int, count: int, settings: LoadSettings) -> list[_Lane]:
    stride = max(1, len(plan.sessions) // 97)
    lanes = [
        _Lane(plan, (first + index) * stride, allow_all=settings.allow_all)
        for index in range(count)
    ]
    for lane in lanes:
        lane.wait_for_ready = settings.retry
    return lanes


def _split(total: int, parts: int) -> list[tuple[int, int]]:
    """(first, count) of each part of ``total`` items split as evenly as possible."""
    base, extra = divmod(total, parts)
    spans, first = [], 0
    for part in range(parts):
        count = base + (1 if part < extra else 0)
        spans.append((first, count))
        first += count
    return spans


def _progress_line(label: str, elapsed: float, requests: int, errors: int, wrong: int) -> str:
    if elapsed <= 0:
        return f"loadtest {label}: warming up  {errors} errors  {wrong} wrong"
    rate = requests / elapsed
    return (
        f"loadtest {label}: {elapsed:5.1f}s  {requests} requests  {rate:8.1f} req/s  "
        f"{errors} errors  {wrong} wrong"
    )


def _report_progress(
    settings: LoadSettings,
    counts: Callable[[], tuple[int, int, int]],
    began: Callable[[], float | None],
    done: threading.Event,
    stream: IO[str] | None,
) -> None:
    while not done.wait(1.0):
        started = began()
        if stream is None or started is None:
            continue
        requests, errors, wrong = counts()
        print(
            _progress_line(
                settings.label,
                time.perf_counter() - started - settings.warmup,
                requests,
                errors,
                wrong,
            ),
            file=stream,
            flush=True,
        )


def _client_process(
    target: str,
    plan: LoadPlan,
    settings: LoadSettings,
    first: int,
    count: int,
    counters: Any,
    ready: multiprocessing.synchronize.Barrier,
    results: Any,
    stop_requested: multiprocessing.synchronize.Event,
) -> None:
    """A spawned client process: drive ``count`` lanes, publish counts, send the result."""
    try:
        lanes = _lanes_for(plan, first, count, settings)
        done = threading.Event()

        def publish() -> None:
            while not done.wait(0.25):
                counters[0] = sum(lane.requests for lane in lanes)
                counters[1] = sum(sum(lane.errors.values()) for lane in lanes)
                counters[2] = sum(lane.wrong for lane in lanes)

        publisher = threading.Thread(target=publish, daemon=True)
        publisher.start()

        def start() -> None:
            ready.wait(60)

        elapsed = _DRIVERS[settings.api](target, lanes, settings, start, stop_requested)
        done.set()
        merged = _merge_lanes(lanes, settings, elapsed)
        results.put(("ok", merged.to_transport()))
    except BaseException as error:  # reported to the parent, which raises
        with contextlib.suppress(Exception):
            ready.abort()
        results.put(("error", f"{type(error).__name__}: {error}"))


def _merge_lanes(lanes: Sequence[_Lane], settings: LoadSettings, elapsed: float) -> LoadResult:
    merged = LoadResult(label=settings.label, mode=settings.mode, elapsed=elapsed)
    for lane in lanes:
        merged.merge(lane.result(settings.label, settings.mode, elapsed))
    return merged


def run_load(
    target: str,
    plan: LoadPlan,
    settings: LoadSettings,
    *,
    progress: IO[str] | None = sys.stderr,
    actions: Sequence[tuple[float, Callable[[], None]]] = (),
    stop: threading.Event | None = None,
) -> LoadResult:
    """Drive ``target`` with ``plan`` for ``settings.duration`` seconds; return what happened.

    Every lane connects and waits until its channel is ready before the
    clock starts. Progress goes to ``progress`` once a second (None: quiet).
    ``actions`` are ``(seconds, callable)``: each callable runs in a thread of
    this process that many seconds after the clock starts (e.g. a publish
    under load). Setting ``stop`` ends the run before ``settings.duration``.
    Raises RuntimeError when a client process or an action fails, or the
    target never becomes ready.
    """
    if settings.mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    if settings.api not in _DRIVERS:
        raise ValueError(f"client api must be one of {', '.join(CLIENT_APIS)}")
    if not plan.sessions:
        raise ValueError("the load plan has no sessions")
    began: list[float] = []
    done = threading.Event()
    failures: list[str] = []
    runner = threading.Thread(
        target=_run_actions, args=(actions, began, settings.warmup, done, failures), daemon=True
    )
    runner.start()
    try:
        result = _run(target, plan, settings, progress, began, done, stop)
    finally:
        done.set()
        runner.join()
    if failures:
        raise RuntimeError("an action under load failed: " + failures[0])
    return result


def _run_actions(
    actions: Sequence[tuple[float, Callable[[], None]]],
    began: list[float],
    warmup: float,
    done: threading.Event,
    failures: list[str],
) -> None:
    """Run each action at its offset after the clock starts (stop early when ``done``)."""
    while not began:
        if done.wait(0.01):
            return
    for offset, action in sorted(actions, key=lambda pair: pair[0]):
        delay = began[0] + warmup + offset - time.perf_counter()
        if delay > 0 and done.wait(delay):
            return
        try:
            action()
        except Exception as error:
            _LOGGER.exception("action under load failed")
            failures.append(f"{type(error).__name__}: {error}")


def _run(
    target: str,
    plan: LoadPlan,
    settings: LoadSettings,
    progress: IO[str] | None,
    began: list[float],
    done: threading.Event,
    stop: threading.Event | None,
) -> LoadResult:
    if settings.client_processes <= 0:
        lanes = _lanes_for(plan, 0, settings.concurrency, settings)
        reporter = threading.Thread(
            target=_report_progress,
            args=(
                settings,
                lambda: (
                    sum(lane.requests for lane in lanes),
                    sum(sum(lane.errors.values()) for lane in lanes),
                    sum(lane.wrong for lane in lanes),
                ),
                lambda: began[0] if began else None,
                done,
                progress,
            ),
            daemon=True,
        )
        reporter.start()
        try:
            elapsed = _DRIVERS[settings.api](
                target,
                lanes,
                settings,
                lambda: began.append(time.perf_counter()),
                stop if stop is not None else threading.Event(),
            )
        finally:
            done.set()
        return _merge_lanes(lanes, settings, elapsed)
    return _run_in_processes(target, plan, settings, progress, began, done, stop)


def _run_in_processes(
    target: str,
    plan: LoadPlan,
    settings: LoadSettings,
    progress: IO[str] | None,
    began: list[float],
    done: threading.Event,
    stop: threading.Event | None,
) -> LoadResult:
    context = multiprocessing.get_context("spawn")
    stop_requested = context.Event()
    if stop is not None:

        def forward() -> None:
            while not done.wait(0.05):
                if stop.is_set():
                    stop_requested.set()
                    return

        threading.Thread(target=forward, daemon=True).start()
    processes = min(settings.client_processes, settings.concurrency)
    ready = context.Barrier(processes + 1)
    results = context.Queue()
    counters = [context.RawArray("q", 3) for _ in range(processes)]
    children = [
        context.Process(
            target=_client_process,
            args=(
                target,
                plan,
                settings,
                first,
                count,
                counters[index],
                ready,
                results,
                stop_requested,
            ),
            daemon=True,
        )
        for index, (first, count) in enumerate(_split(settings.concurrency, processes))
    ]
    for child in children:
        child.start()
    reporter = threading.Thread(
        target=_report_progress,
        args=(
            settings,
            lambda: tuple(sum(counter[i] for counter in counters) for i in range(3)),
            lambda: began[0] if began else None,
            done,
            progress,
        ),
        daemon=True,
    )
    reporter.start()
    try:
        with contextlib.suppress(threading.BrokenBarrierError):
            ready.wait(120)
        began.append(time.perf_counter())
        merged = LoadResult(label=settings.label, mode=settings.mode)
        failures = []
        deadline = time.monotonic() + settings.warmup + settings.duration + CALL_TIMEOUT * 4 + 120
        for _ in children:
            status, payload = results.get(timeout=max(1.0, deadline - time.monotonic()))
            if status == "ok":
                merged.merge(LoadResult.from_transport(payload))
            else:
                failures.append(payload)
        if failures:
            raise RuntimeError("a client process failed: " + failures[0])
        return merged
    finally:
        done.set()
        for child in children:
            child.join(10)
            if child.is_alive():
                child.kill()
                child.join()


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------


def format_report(
    results: Sequence[LoadResult],
    *,
    floors: Mapping[str, LoadResult] | None = None,
    title: str = "",
) -> str:
    """A readable table of ``results`` and the echo ``floors`` (by mode), with ratios."""
    floors = floors or {}
    rows = [*results, *floors.values()]
    header = (
        f"{'run':<12}{'mode':<8}{'requests':>10}{'req/s':>10}{'p50 ms':>9}{'p90 ms':>9}"
        f"{'p99 ms':>9}{'p99.9 ms':>10}{'max ms':>9}{'errors':>8}{'wrong':>7}"
    )
    lines = [title] if title else []
    lines += [header, "-" * len(header)]
    for result in rows:
        lines.append(
            f"{result.label:<12}{result.mode:<8}{result.requests:>10}"
            f"{result.requests_per_second:>10.1f}"
            + "".join(
                f"{result.percentile_ms(p):>{10 if p == 99.9 else 9}.2f}" for p in _PERCENTILES
            )
            + f"{result.histogram.get_max_value() / 1000.0:>9.2f}"
            f"{result.error_count:>8}{result.wrong:>7}"
        )
    lines.append("")
    for result in results:
        floor = floors.get(result.mode)
        if floor is not None and floor.requests_per_second > 0:
            ratio = result.requests_per_second / floor.requests_per_second
            lines.append(
                f"{result.label} {result.mode}: {ratio:.1%} of the echo floor's throughput "
                f"({result.requests_per_second:.0f} vs {floor.requests_per_second:.0f} req/s); "
                f"p99 {result.percentile_ms(99):.2f} ms vs {floor.percentile_ms(99):.2f} ms"
            )
    for result in rows:
        versions = ", ".join(f"v{v}: {n}" for v, n in sorted(result.versions.items()))
        lines.append(
            f"{result.label} {result.mode}: list versions {versions or 'none'}; "
            f"version switches {result.switches} over {result.connections} connections "
            f"(at most {result.max_switches_per_connection} per connection or stream), "
            f"backwards {result.backwards}"
        )
        if result.errors:
            codes = ", ".join(f"{code} {n}" for code, n in sorted(result.errors.items()))
            lines.append(f"{result.label} {result.mode}: errors by status: {codes}")
            lines.extend(f"    {sample}" for sample in result.error_samples)
        if result.wrong:
            lines.append(f"{result.label} {result.mode}: {result.wrong} wrong verdicts, e.g.")
            lines.extend(f"    {sample}" for sample in result.wrong_samples)
    return "\n".join(lines)


def report_document(
    results: Sequence[LoadResult],
    *,
    floors: Mapping[str, LoadResult] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The report as plain JSON values: settings, runs, floors, ratios and ``ok``."""
    floors = floors or {}
    return {
        "settings": dict(settings or {}),
        "runs": [result.summary() for result in results],
        "echo_floor": {mode: floor.summary() for mode, floor in floors.items()},
        "ratio_to_floor": {
            result.mode: round(
                result.requests_per_second / floors[result.mode].requests_per_second, 4
            )
            for result in results
            if result.mode in floors and floors[result.mode].requests_per_second > 0
        },
        "ok": all(result.ok for result in [*results, *floors.values()]),
    }


def decode_histogram(encoded: str | bytes) -> HdrHistogram:
    """A histogram from its HDR (base64) encoding."""
    histogram = new_histogram()
    histogram.decode_and_add(encoded if isinstance(encoded, bytes) else encoded.encode())
    return histogram
