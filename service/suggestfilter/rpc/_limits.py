"""Request limits and the validator of public requests.

A request that breaks a limit is refused with :class:`InvalidInputError`
naming the offending field by its path (``query``, ``locale``,
``suggestions``, ``suggestions[3].text``, ``suggestions[0].kind``,
``suggestion.text``, ``reason``, ``reporter``). Descriptions state the rule
that was broken and never quote the request's text.

Defaults (all configurable through :class:`Limits`):

- at most 50 suggestions per keystroke;
- at most 512 characters (code points) in any text, the query included;
- a locale is empty or a well-formed BCP 47 tag (RFC 5646 syntax, e.g.
  ``fr``, ``fr-FR``, ``zh-Hant-TW``, ``es-419``) of at most 35 characters;
  ``fr_FR`` is not well-formed;
- a suggestion kind is one the proto defines (``UNSPECIFIED`` included);
- a report's reason is at most 1000 characters, its reporter at most 256;
- deciding one keystroke may take 20 ms of CPU time (``work_budget_ms``, a
  :class:`~suggestfilter._model.WorkBudget`); the texts not decided when it
  runs out fail closed (BLOCK, marked undecided). 20 ms is below the
  frontends' 25 ms deadline, so a worker stops deciding a request whose
  answer would come too late anyway and moves on to the next; it is ten
  times the stated worst case of one adversarial text (2 ms), and an
  ordinary keystroke takes well under a millisecond.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from suggestfilter._errors import InvalidInputError
from suggestfilter._model import SuggestionKind, WorkBudget

_KINDS: dict[int, SuggestionKind] = {int(kind): kind for kind in SuggestionKind}

# RFC 5646 section 2.1 (well-formed language tags), case-insensitive.
_ALNUM = "[a-z0-9]"
_LANGTAG = (
    r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})"  # language (with extlang)
    r"(?:-[a-z]{4})?"  # script
    r"(?:-(?:[a-z]{2}|[0-9]{3}))?"  # region
    rf"(?:-(?:{_ALNUM}{{5,8}}|[0-9]{_ALNUM}{{3}}))*"  # variants
    rf"(?:-[0-9a-wy-z](?:-{_ALNUM}{{2,8}})+)*"  # extensions
    rf"(?:-x(?:-{_ALNUM}{{1,8}})+)?"  # private use
)
_PRIVATEUSE = rf"x(?:-{_ALNUM}{{1,8}})+"
_IRREGULAR = (
    "en-gb-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo"
    "|i-pwn|i-tao|i-tay|i-tsu|sgn-be-fr|sgn-be-nl|sgn-ch-de"
)
_BCP47 = re.compile(f"(?:{_LANGTAG}|{_PRIVATEUSE}|{_IRREGULAR})", re.ASCII | re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def is_well_formed_locale(tag: str) -> bool:
    """Whether ``tag`` is a well-formed BCP 47 language tag (syntax only, any length)."""
    return _BCP47.fullmatch(tag) is not None


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits of public requests; a request beyond any of them is refused."""

    max_suggestions: int = 50
    max_text_chars: int = 512
    max_locale_chars: int = 35
    max_reason_chars: int = 1000
    max_reporter_chars: int = 256
    work_budget_ms: float = 20.0

    def __post_init__(self) -> None:
        for name in (
            "max_suggestions",
            "max_text_chars",
            "max_locale_chars",
            "max_reason_chars",
            "max_reporter_chars",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Limits.{name} must be a positive integer")
        if not isinstance(self.work_budget_ms, int | float) or not self.work_budget_ms > 0:
            raise ValueError("Limits.work_budget_ms must be a positive number")

    @property
    def work_budget(self) -> WorkBudget:
        """The work budget of one keystroke (``work_budget_ms`` of thread CPU time)."""
        return WorkBudget(self.work_budget_ms / 1000)

    @property
    def max_message_bytes(self) -> int:
        """The largest encoded request the limits allow, doubled for headroom.

        A code point is at most 4 bytes of UTF-8; each field costs at most a
        1-byte tag and a varint length (an enum at most 10 bytes). Servers
        set their maximum receive size to this, so every valid request fits
        and an oversized one is refused before it is parsed.
        """

        def field(payload: int) -> int:
            return 1 + _varint_size(payload) + payload

        text = field(4 * self.max_text_chars)
        suggestion = field(text + 11)
        filter_request = text + self.max_suggestions * suggestion + field(4 * self.max_locale_chars)
        report_request = (
            field(suggestion)
            + field(4 * self.max_locale_chars)
            + field(4 * self.max_reason_chars)
            + field(4 * self.max_reporter_chars)
        )
        return 2 * max(filter_request, report_request) + 4096


def _varint_size(value: int) -> int:
    size = 1
    while value >= 0x80:
        value >>= 7
        size += 1
    return size


class SuggestionLike(Protocol):
    """Anything with a suggestion's ``text`` and ``kind`` (a proto message or a value)."""

    @property
    def text(self) -> str: ...

    @property
    def kind(self) -> int: ...


def check_locale(locale: str, limits: Limits, field: str = "locale") -> None:
    """Refuse a locale that is too long or not a well-formed BCP 47 tag (empty is fine)."""
    if not locale:
        return
    if len(locale) > limits.max_locale_chars:
        raise InvalidInputError(field, f"at most {limits.max_locale_chars} characters")
    if not is_well_formed_locale(locale):
        raise InvalidInputError(field, "not a well-formed BCP 47 language tag")


def suggestion_kind(value: int, field: str) -> SuggestionKind:
    """The kind numbered ``value``; InvalidInputError naming ``field`` when unknown."""
    try:
        return _KINDS[value]
    except KeyError:
        raise InvalidInputError(field, "unknown suggestion kind") from None


def validate_keystroke(
    query: str,
    suggestions: Sequence[SuggestionLike],
    locale: str,
    limits: Limits,
) -> list[tuple[str, SuggestionKind]]:
    """Check one keystroke against ``limits``; return its ``(text, kind)`` pairs in order.

    Raises InvalidInputError naming the first offending field: ``query``,
    ``locale``, ``suggestions`` (too many), ``suggestions[i].text`` or
    ``suggestions[i].kind``. Empty texts are allowed.
    """
    max_chars = limits.max_text_chars
    if len(query) > max_chars:
        raise InvalidInputError("query", f"at most {max_chars} characters")
    if locale:
        check_locale(locale, limits)
    if len(suggestions) > limits.max_suggestions:
        raise InvalidInputError("suggestions", f"at most {limits.max_suggestions} suggestions")
    pairs: list[tuple[str, SuggestionKind]] = []
    append = pairs.append
    kinds = _KINDS
    for index, suggestion in enumerate(suggestions):
        text = suggestion.text
        if len(text) > max_chars:
            raise InvalidInputError(f"suggestions[{index}].text", f"at most {max_chars} characters")
        kind = kinds.get(suggestion.kind)
        if kind is None:
            raise InvalidInputError(f"suggestions[{index}].kind", "unknown suggestion kind")
        append((text, kind))
    return pairs


def validate_report(
    text: str, kind: int, locale: str, reason: str, reporter: str, limits: Limits
) -> SuggestionKind:
    """Check a report against ``limits``; return the suggestion's kind.

    The suggestion text is required. Raises InvalidInputError naming
    ``suggestion.text``, ``suggestion.kind``, ``locale``, ``reason`` or
    ``reporter``.
    """
    if not text:
        raise InvalidInputError("suggestion.text", "required")
    if len(text) > limits.max_text_chars:
        raise InvalidInputError("suggestion.text", f"at most {limits.max_text_chars} characters")
    checked_kind = suggestion_kind(kind, "suggestion.kind")
    check_locale(locale, limits)
    if len(reason) > limits.max_reason_chars:
        raise InvalidInputError("reason", f"at most {limits.max_reason_chars} characters")
    if len(reporter) > limits.max_reporter_chars:
        raise InvalidInputError("reporter", f"at most {limits.max_reporter_chars} characters")
    return checked_kind
