"""Plain value types shared by every layer: term entries, policies and verdicts.

Nothing here does I/O or matching; the matcher (`engine`), the store
(`store`) and the servers only exchange these immutable values.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field


class MatchMode(enum.StrEnum):
    """How a term is matched against folded text.

    - ``WORD`` (the default): the match must start and end on token
      boundaries. ``badword`` matches ``bad word!`` only where separators are
      disguise (``b.a.d.w.o.r.d``, ``bad-word``), and never inside a longer
      word (``badwords``, ``Scunthorpe``-style).
    - ``SUBSTRING``: the term matches anywhere, even inside a longer word. Meant
      for coded terms that never occur inside innocent words.

    >>> from suggestfilter import CategoryPolicy, Matcher, Policy, SuggestionKind, TermEntry
    >>> matcher = Matcher.compile(
    ...     [
    ...         TermEntry("zorb", "demo", rule_id="word"),
    ...         TermEntry("qqvx", "demo", match=MatchMode.SUBSTRING, rule_id="substring"),
    ...     ],
    ...     Policy({"demo": CategoryPolicy()}),
    ...     load_dictionary=False,
    ... )
    >>> def rule(text):
    ...     return matcher.suggestion_verdict(text, SuggestionKind.QUERY, "en").rule_id

    A WORD term matches whole tokens, joined through disguising separators,
    but not inside a longer word nor across a space between real words:

    >>> rule("zorb it"), rule("z.o.r.b"), rule("zor-b")
    ('word', 'word', 'word')
    >>> rule("zorbing"), rule("unzorb"), rule("zo rb")
    ('', '', '')

    A SUBSTRING term matches inside words too:

    >>> rule("qqvx"), rule("xqqvxz"), rule("x-q-q-v-x")
    ('substring', 'substring', 'substring')
    """

    WORD = "word"
    SUBSTRING = "substring"


class EntryKind(enum.StrEnum):
    """Whether an entry blocks text, or allows text that a block would cover."""

    BLOCK = "block"
    ALLOW = "allow"


class Action(enum.IntEnum):
    """What the filter does with a text. Values equal the proto `Action` numbers."""

    ALLOW = 1
    BLOCK = 2
    INTERVENE = 3


class SuggestionKind(enum.IntEnum):
    """What a suggestion is. Values equal the proto `SuggestionKind` numbers."""

    UNSPECIFIED = 0
    QUERY = 1
    HASHTAG = 2
    ACCOUNT = 3


def new_rule_id() -> str:
    """A fresh opaque rule id. It carries nothing of the term it names."""
    return "r-" + secrets.token_hex(6)


@dataclass(frozen=True, slots=True)
class TermEntry:
    """One entry of a term list.

    ``locale`` is empty for a global entry, else a lowercase language subtag
    such as ``fr`` (applies to ``fr-FR`` and ``fr-CA``). ``rule_id`` is opaque
    and stable across versions: it is what the public API returns instead of
    the term.
    """

    term: str
    category: str
    match: MatchMode = MatchMode.WORD
    locale: str = ""
    kind: EntryKind = EntryKind.BLOCK
    rule_id: str = field(default_factory=new_rule_id)
    note: str = ""


@dataclass(frozen=True, slots=True)
class Intervention:
    """A deterrence message in one language."""

    message: str
    help_url: str = ""


@dataclass(frozen=True, slots=True)
class CategoryPolicy:
    """What a match of a category does.

    ``suggestions`` is the action on a matching suggestion (ALLOW or BLOCK);
    ``query`` the action on a matching typed query (ALLOW, BLOCK or
    INTERVENE). ``interventions`` maps a language subtag to its message, in
    the order the policy file defines them (the first is the last fallback).
    """

    suggestions: Action = Action.BLOCK
    query: Action = Action.BLOCK
    interventions: Mapping[str, Intervention] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Policy:
    """The policy of every category, by category name."""

    categories: Mapping[str, CategoryPolicy] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision on one text: action, deciding category and rule id."""

    action: Action
    category: str = ""
    rule_id: str = ""


ALLOWED = Verdict(Action.ALLOW)


@dataclass(frozen=True, slots=True)
class InterventionNotice:
    """The intervention to show for a keystroke, already in the right language."""

    category: str
    message: str
    help_url: str


@dataclass(frozen=True, slots=True)
class KeystrokeDecision:
    """The decision on one keystroke.

    ``suggestion_verdicts`` has one verdict per candidate, in request order.
    ``allowed_indexes`` are the indexes of candidates that may be shown, in
    request order; empty when the query verdict is BLOCK or INTERVENE.
    ``intervention`` is set exactly when the query verdict is INTERVENE.
    """

    suggestion_verdicts: tuple[Verdict, ...]
    query_verdict: Verdict
    allowed_indexes: tuple[int, ...]
    intervention: InterventionNotice | None = None
