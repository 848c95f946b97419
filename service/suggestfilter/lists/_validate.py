"""What may enter a term store: the one validator for term entries and category policies.

Every way in goes through these functions -- term files and policy files
(:mod:`._termfile`, :mod:`._policyfile`), the admin API and the CLI on a
local store (``suggestfilter.admin._ops.AdminOps``) -- so what one accepts
the others accept, and a version written out by ``terms export`` and
``policy export`` imports back equal. The rules are what those files can
carry:

=================  ===========================================================
term entry field   rule
=================  ===========================================================
``term``           1-512 characters, no line break or other control character,
                   and at least one letter or digit left after folding
``category``       1-64 of ``A-Z a-z 0-9 _ -`` (a TOML bare key)
``match``          ``word`` | ``substring``
``locale``         empty (global) or a language subtag of 2-3 letters such as
                   ``fr``; a region (``fr-CA``) is refused, since an entry
                   applies to every region of its language
``kind``           ``block`` | ``allow``
``rule_id``        1-64 of ``A-Z a-z 0-9 . _ : -`` (nothing a CSV cell quotes);
                   empty means a fresh id
``note``           free text of at most 4096 characters, kept exactly
=================  ===========================================================

A category policy: the name as for an entry's category; ``suggestions`` is
allow | block; ``query`` is allow | block | intervene, and intervene needs at
least one intervention; each intervention's language is a 2-3 letter
subtag, given once; its ``message`` is not blank and at most 4096
characters; its ``help_url`` is empty (no link) or an absolute ``https:``,
``http:``, ``mailto:`` or ``tel:`` URL of at most 2048 characters with no
control character -- frontends show it as a link, so ``javascript:`` and
``data:`` are refused.

Normalisation, the same everywhere: surrounding whitespace is stripped from
the term, category, locale, rule id and language (never from a note,
message or help URL), and the locale and language are lower-cased (BCP 47
tags are case-insensitive: ``FR`` is ``fr``).

A value that breaks a rule raises :class:`~suggestfilter._errors.InvalidInputError`
whose ``field`` is the path the caller gives plus the field's name (for
example ``add[2].category``); the file parsers turn it into their own error
with the line or key.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from suggestfilter._errors import InvalidInputError
from suggestfilter._model import (
    Action,
    CategoryPolicy,
    EntryKind,
    Intervention,
    MatchMode,
    Policy,
    TermEntry,
    new_rule_id,
)
from suggestfilter.engine._fold import fold_chars

MAX_TERM_LENGTH = 512
MAX_NOTE_LENGTH = 4096
MAX_MESSAGE_LENGTH = 4096
MAX_HELP_URL_LENGTH = 2048

CATEGORY_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
LANGUAGE_RE = re.compile(r"[a-z]{2,3}")
RULE_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}")

_CATEGORY_RULE = "a category name is 1-64 of A-Z a-z 0-9 _ -"
# Control characters (Unicode Cc) and the line and paragraph separators.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Schemes a help link may use; the link is shown to people by frontends.
_HELP_URL_SCHEMES = frozenset({"https", "http", "mailto", "tel"})
_TOKEN_RE = re.compile(r"[^\W_]")

_E = TypeVar("_E", bound=enum.Enum)

ACTION_NAMES: Mapping[str, Action] = {a.name.lower(): a for a in Action}
"""The policy-file words of the actions: ``allow``, ``block``, ``intervene``."""

_SUGGESTION_ACTIONS = (Action.ALLOW, Action.BLOCK)


def _at(field: str, key: str) -> str:
    """The path of ``key`` inside ``field`` (either may be empty)."""
    return f"{field}.{key}" if field and key else field or key


def _member(kind: type[_E], value: _E | str, field: str, key: str, what: str) -> _E:
    if isinstance(value, kind):
        return value
    text = str(value).strip().lower()
    for member in kind:
        if member.value == text:
            return member
    choices = " | ".join(str(m.value) for m in kind)
    raise InvalidInputError(_at(field, key), f"unknown {what} {value!r} ({choices})")


def check_category_name(name: str, field: str, key: str = "") -> str:
    """A category name, stripped; InvalidInputError at ``field.key`` (or whichever is given)
    unless 1-64 of A-Z a-z 0-9 _ -."""
    stripped = name.strip()
    if not stripped:
        raise InvalidInputError(_at(field, key), "must not be empty")
    if not CATEGORY_NAME_RE.fullmatch(stripped):
        raise InvalidInputError(
            _at(field, key), f"bad category name {stripped!r}: {_CATEGORY_RULE}"
        )
    return stripped


def check_locale(locale: str, field: str, key: str = "") -> str:
    """An entry's locale: empty, or a 2-3 letter language subtag, lower-cased."""
    normal = locale.strip().lower()
    if normal and not LANGUAGE_RE.fullmatch(normal):
        raise InvalidInputError(
            _at(field, key),
            f"bad locale {locale.strip()!r}: give a language subtag such as fr "
            "(an entry applies to every region of its language)",
        )
    return normal


def _check_language(language: str, field: str) -> str:
    normal = language.strip().lower()
    if not LANGUAGE_RE.fullmatch(normal):
        raise InvalidInputError(
            field, f"bad language {language.strip()!r}: give a 2-3 letter subtag such as en"
        )
    return normal


def _check_term(term: str, field: str) -> str:
    stripped = term.strip()
    if not stripped:
        raise InvalidInputError(_at(field, "term"), "empty term")
    if len(stripped) > MAX_TERM_LENGTH:
        raise InvalidInputError(
            _at(field, "term"), f"term longer than {MAX_TERM_LENGTH} characters"
        )
    if _CONTROL_RE.search(stripped):
        raise InvalidInputError(
            _at(field, "term"), "a term has no line break or other control character"
        )
    # Leetspeak (the last step of folding) maps only inside tokens that have a
    # letter, so the cheaper steps before it tell whether a letter or digit is left.
    if not _TOKEN_RE.search(fold_chars(stripped)):
        raise InvalidInputError(
            _at(field, "term"), "the term folds to nothing (no letter or digit left)"
        )
    return stripped


def _check_rule_id(rule_id: str, field: str) -> str:
    stripped = rule_id.strip()
    if not stripped:
        return new_rule_id()
    if not RULE_ID_RE.fullmatch(stripped):
        raise InvalidInputError(
            _at(field, "rule_id"),
            f"bad rule id {stripped!r}: a rule id is 1-64 of A-Z a-z 0-9 . _ : -",
        )
    return stripped


def _check_help_url(url: str, field: str) -> None:
    if not url:
        return
    if _CONTROL_RE.search(url):
        raise InvalidInputError(field, "a URL has no control character")
    parts = urlsplit(url)
    if parts.scheme.lower() not in _HELP_URL_SCHEMES:
        raise InvalidInputError(field, "must be an https:, http:, mailto: or tel: URL")
    if parts.scheme.lower() in {"https", "http"} and not parts.netloc:
        raise InvalidInputError(field, "an http(s) URL needs a host")


def _check_length(value: str, limit: int, field: str, key: str = "") -> str:
    if len(value) > limit:
        raise InvalidInputError(_at(field, key), f"longer than {limit} characters")
    return value


def make_entry(
    *,
    term: str,
    category: str,
    match: MatchMode | str = MatchMode.WORD,
    locale: str = "",
    kind: EntryKind | str = EntryKind.BLOCK,
    rule_id: str = "",
    note: str = "",
    field: str = "",
) -> TermEntry:
    """The term entry of these fields, normalised (see the module docstring).

    ``match`` and ``kind`` may be given as their words, in any case. Raises
    InvalidInputError at ``field.<name>`` (``<name>`` alone when ``field`` is
    empty) for the first field that breaks a rule, in the order of the
    arguments.
    """
    return TermEntry(
        term=_check_term(term, field),
        category=check_category_name(category, field, "category"),
        match=_member(MatchMode, match, field, "match", "match mode"),
        locale=check_locale(locale, field, "locale"),
        kind=_member(EntryKind, kind, field, "kind", "kind"),
        rule_id=_check_rule_id(rule_id, field),
        note=_check_length(note, MAX_NOTE_LENGTH, field, "note"),
    )


def check_entry(entry: TermEntry, field: str = "") -> TermEntry:
    """``entry`` checked and normalised; InvalidInputError names ``field.<name>``."""
    checked = make_entry(
        term=entry.term,
        category=entry.category,
        match=entry.match,
        locale=entry.locale,
        kind=entry.kind,
        rule_id=entry.rule_id,
        note=entry.note,
        field=field,
    )
    return entry if checked == entry else checked


def check_entries(entries: Iterable[TermEntry], field: str) -> tuple[TermEntry, ...]:
    """Each entry checked as ``field[i]``."""
    return tuple(check_entry(entry, f"{field}[{i}]") for i, entry in enumerate(entries))


def parse_action(word: str, field: str) -> Action:
    """The action a policy-file word names (``allow`` | ``block`` | ``intervene``)."""
    action = ACTION_NAMES.get(word)
    if action is None:
        raise InvalidInputError(field, f"must be one of {' | '.join(ACTION_NAMES)}, not {word!r}")
    return action


@dataclass(frozen=True, slots=True)
class PolicyFields:
    """How errors name the fields of one category policy.

    A request names interventions by index (``set_policies[0].interventions[1].message``),
    a policy file by language (``categories.p.interventions.en.message``).
    """

    name: str
    prefix: str
    by_index: bool

    @classmethod
    def of_request(cls, field: str) -> PolicyFields:
        """The fields of an admin API ``CategoryPolicy`` message at ``field``."""
        return cls(name=f"{field}.category", prefix=field, by_index=True)

    @classmethod
    def of_file(cls, name: str) -> PolicyFields:
        """The keys of ``[categories.NAME]`` in a policy file."""
        where = f"categories.{name}"
        return cls(name=where, prefix=where, by_index=False)

    def intervention(self, index: int, language: str) -> str:
        """The path of the ``index``-th intervention, whose language is ``language``."""
        if self.by_index:
            return f"{self.prefix}.interventions[{index}]"
        return f"{self.prefix}.interventions.{language}"

    def language(self, index: int, language: str) -> str:
        """The path of that intervention's language."""
        where = self.intervention(index, language)
        return f"{where}.language" if self.by_index else where


def check_category(
    name: str, policy: CategoryPolicy, fields: PolicyFields
) -> tuple[str, CategoryPolicy]:
    """A category's name and policy, checked and normalised (see the module docstring)."""
    name = check_category_name(name, fields.name)
    if policy.suggestions not in _SUGGESTION_ACTIONS:
        raise InvalidInputError(f"{fields.prefix}.suggestions", "must be allow | block")
    if policy.query not in ACTION_NAMES.values():
        raise InvalidInputError(f"{fields.prefix}.query", "must be allow | block | intervene")
    interventions: dict[str, Intervention] = {}
    for index, (language, notice) in enumerate(policy.interventions.items()):
        normal = _check_language(language, fields.language(index, language))
        if normal in interventions:
            raise InvalidInputError(fields.language(index, language), f"{normal!r} given twice")
        where = fields.intervention(index, language)
        if not notice.message.strip():
            raise InvalidInputError(f"{where}.message", "must be a non-empty string")
        _check_length(notice.message, MAX_MESSAGE_LENGTH, f"{where}.message")
        _check_length(notice.help_url, MAX_HELP_URL_LENGTH, f"{where}.help_url")
        _check_help_url(notice.help_url, f"{where}.help_url")
        interventions[normal] = notice
    if policy.query is Action.INTERVENE and not interventions:
        raise InvalidInputError(
            f"{fields.prefix}.interventions",
            'query "intervene" needs at least one intervention with a message',
        )
    if list(interventions) != list(policy.interventions):
        policy = CategoryPolicy(policy.suggestions, policy.query, interventions)
    return name, policy


def check_policy(policy: Policy, field: str) -> Policy:
    """Every category of ``policy`` checked as ``field.categories[i]``."""
    categories: dict[str, CategoryPolicy] = {}
    for index, (name, category) in enumerate(policy.categories.items()):
        fields = PolicyFields.of_request(f"{field}.categories[{index}]")
        normal, checked = check_category(name, category, fields)
        if normal in categories:
            raise InvalidInputError(fields.name, f"{normal!r} given twice")
        categories[normal] = checked
    if list(categories.items()) == list(policy.categories.items()):
        return policy
    return Policy(categories=categories)
