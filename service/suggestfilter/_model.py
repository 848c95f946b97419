"""Plain value types shared by every layer: term entries, policies and verdicts.

Nothing here does I/O or matching; the matcher (`engine`), the store
(`store`) and the servers only exchange these immutable values.
"""

from __future__ import annotations

import enum
import secrets
import time
from collections.abc import Callable, Mapping
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
    """The decision on one text: action, deciding category and rule id.

    ``undecided`` is True when the work budget of the request ran out before
    the text was decided (:class:`WorkBudget`); such a text fails closed: it
    is BLOCK with no category and no rule id (:data:`UNDECIDED`).
    """

    action: Action
    category: str = ""
    rule_id: str = ""
    undecided: bool = False


ALLOWED = Verdict(Action.ALLOW)

UNDECIDED = Verdict(Action.BLOCK, undecided=True)
"""The verdict on a text left undecided when its request's work budget ran out."""


@dataclass(frozen=True, slots=True)
class WorkBudget:
    """The CPU time the deciding of one keystroke may take; what is left undecided fails closed.

    ``seconds`` of the deciding thread's CPU time (``cpu_clock``,
    ``time.thread_time`` by default, so time the thread spends preempted does
    not count), from the start of the decision. Texts are decided in request
    order, the typed query first; the budget is checked before each text, and
    once it is spent every text not yet decided gets :data:`UNDECIDED`
    (hidden, never allowed). A text already started is finished, so a
    decision overruns its budget by at most one text's cost.

    Reading the CPU clock costs about 0.6 us (a system call), the wall clock
    (``wall_clock``, ``time.perf_counter``) about 0.05 us; since a thread
    never spends more CPU time than wall time, the CPU clock is read only
    once the wall clock says the budget may be spent.

    >>> ticks = iter(range(100))
    >>> clock = lambda: next(ticks) / 1000  # one millisecond per reading
    >>> spent = WorkBudget(0.0025, cpu_clock=clock, wall_clock=clock).start()
    >>> [spent() for _ in range(3)]
    [False, True, True]
    """

    seconds: float
    cpu_clock: Callable[[], float] = time.thread_time
    wall_clock: Callable[[], float] = time.perf_counter

    def __post_init__(self) -> None:
        if not self.seconds > 0:
            raise ValueError("WorkBudget.seconds must be positive")

    def start(self) -> Callable[[], bool]:
        """Start spending now; the result tells, each time it is called, whether all is spent."""
        seconds = self.seconds
        cpu_clock = self.cpu_clock
        wall_clock = self.wall_clock
        wall_end = wall_clock() + seconds
        cpu_end = cpu_clock() + seconds

        def spent() -> bool:
            return wall_clock() > wall_end and cpu_clock() > cpu_end

        return spent


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
