"""Policy files: TOML in exactly the shape the design fixes, and back.

::

    [categories.profanity]
    suggestions = "block"        # allow | block
    query = "block"              # allow | block | intervene

    [categories.exploitation]
    suggestions = "block"
    query = "intervene"

    [categories.exploitation.interventions.en]
    message = "Searching for this may be illegal. Confidential help is available."
    help_url = "https://example.org/help"

Each category is checked and normalised by :func:`._validate.check_category`,
the rules every way into a store shares: a category whose query action is
``intervene`` must define at least one intervention; a language is a 2-3
letter subtag, lower-cased. The order of the languages is kept (the first is
the last fallback). Unknown keys are errors, so a typo never silently weakens
a policy.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from suggestfilter._errors import InvalidInputError, PolicyError
from suggestfilter._model import Action, CategoryPolicy, Intervention, Policy
from suggestfilter.lists._validate import (
    ACTION_NAMES,
    PolicyFields,
    check_category,
    parse_action,
)

_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")

_CATEGORY_KEYS = frozenset({"suggestions", "query", "interventions"})
_INTERVENTION_KEYS = frozenset({"message", "help_url"})


def _table(value: Any, where: str, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PolicyError(f"{source}: {where} must be a table")
    return value


def _action(value: Any, where: str, source: str) -> Action:
    if not isinstance(value, str):
        raise PolicyError(f"{source}: {where} must be a string, not {value!r}")
    try:
        return parse_action(value, where)
    except InvalidInputError as error:
        raise PolicyError(f"{source}: {error}") from None


def _intervention(value: Any, where: str, source: str) -> Intervention:
    table = _table(value, where, source)
    unknown = sorted(set(table) - _INTERVENTION_KEYS)
    if unknown:
        raise PolicyError(f"{source}: {where}: unknown key {unknown[0]!r}")
    message = table.get("message")
    if not isinstance(message, str):
        raise PolicyError(f"{source}: {where}.message must be a non-empty string")
    help_url = table.get("help_url", "")
    if not isinstance(help_url, str):
        raise PolicyError(f"{source}: {where}.help_url must be a string")
    return Intervention(message=message, help_url=help_url)


def _category(name: str, value: Any, source: str) -> tuple[str, CategoryPolicy]:
    where = f"categories.{name}"
    table = _table(value, where, source)
    unknown = sorted(set(table) - _CATEGORY_KEYS)
    if unknown:
        raise PolicyError(f"{source}: {where}: unknown key {unknown[0]!r}")
    interventions = {
        language: _intervention(item, f"{where}.interventions.{language}", source)
        for language, item in _table(
            table.get("interventions", {}), f"{where}.interventions", source
        ).items()
    }
    category = CategoryPolicy(
        suggestions=_action(table.get("suggestions", "block"), f"{where}.suggestions", source),
        query=_action(table.get("query", "block"), f"{where}.query", source),
        interventions=interventions,
    )
    try:
        return check_category(name, category, PolicyFields.of_file(name))
    except InvalidInputError as error:
        raise PolicyError(f"{source}: {error}") from None


def parse_policy_toml(text: str, *, source: str = "policy") -> Policy:
    """Parse a policy file. Raises PolicyError naming the source, the key and what is wrong."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{source}: not valid TOML: {error}") from None
    unknown = sorted(set(document) - {"categories"})
    if unknown:
        raise PolicyError(f"{source}: unknown top-level key {unknown[0]!r}")
    categories: dict[str, CategoryPolicy] = {}
    for key, value in _table(document.get("categories", {}), "categories", source).items():
        name, category = _category(key, value, source)
        if name in categories:
            raise PolicyError(f"{source}: categories.{key}: category {name!r} given twice")
        categories[name] = category
    return Policy(categories=categories)


def _quote(value: str) -> str:
    # JSON string escapes are TOML basic-string escapes; TOML also forbids a raw DEL.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _key(name: str) -> str:
    # Checked names are bare keys; one stored before the checks is quoted, so
    # the file still parses and its import names what is wrong with it.
    return name if _BARE_KEY_RE.fullmatch(name) else _quote(name)


def format_policy_toml(policy: Policy) -> str:
    """The policy as a TOML file; ``parse_policy_toml(format_policy_toml(p)) == p``
    for every policy :func:`._validate.check_category` accepts."""
    lines: list[str] = []
    names = {action: word for word, action in ACTION_NAMES.items()}
    for name, category in policy.categories.items():
        table = f"categories.{_key(name)}"
        if lines:
            lines.append("")
        lines.append(f"[{table}]")
        lines.append(f"suggestions = {_quote(names[category.suggestions])}")
        lines.append(f"query = {_quote(names[category.query])}")
        for language, intervention in category.interventions.items():
            lines.append("")
            lines.append(f"[{table}.interventions.{_key(language)}]")
            lines.append(f"message = {_quote(intervention.message)}")
            lines.append(f"help_url = {_quote(intervention.help_url)}")
    return "\n".join(lines) + "\n" if lines else ""
