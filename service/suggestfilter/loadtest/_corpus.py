"""The load test's corpus: realistic typing sessions, each keystroke with its verdicts.

:func:`build_corpus` turns a term list and a policy into typing sessions.
Innocent text is made of common English words (``wordfreq``) that contain no
term; blocked candidates are disguises of the terms (case, leetspeak inside
letter tokens, separators, repeated letters, fullwidth, diacritics, CamelCase
hashtags). Every keystroke carries the verdicts it expects, decided by the
oracle (:mod:`suggestfilter.loadtest._oracle`), which never calls the engine:
text whose verdict the oracle cannot settle is left out.

:class:`LoadPlan` holds the sessions pre-serialised, so a driver spends its
CPU on gRPC and checking, not on building requests.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import wordfreq

from suggestfilter._model import Action, EntryKind, Policy, SuggestionKind, TermEntry
from suggestfilter.loadtest._oracle import (
    ALLOW_EXPECTED,
    Candidate,
    CorpusTerm,
    Expected,
    Keystroke,
    TermIndex,
)
from suggestfilter.v1 import filter_pb2

SUGGESTIONS_PER_KEYSTROKE: Final = 10


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
