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

A category whose query action is ``intervene`` must define at least one
intervention; the order of its languages is kept (the first is the last
fallback). Unknown keys are errors, so a typo never silently weakens a policy.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from suggestfilter._errors import PolicyError
from suggestfilter._model import Action, CategoryPolicy, Intervention, Policy

CATEGORY_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
LANGUAGE_RE = re.compile(r"[a-z]{2,3}")

_SUGGESTION_ACTIONS = {"allow": Action.ALLOW, "block": Action.BLOCK}
_QUERY_ACTIONS = {"allow": Action.ALLOW, "block": Action.BLOCK, "intervene": Action.INTERVENE}
_CATEGORY_KEYS = frozenset({"suggestions", "query", "interventions"})
_INTERVENTION_KEYS = frozenset({"message", "help_url"})


def _table(value: Any, where: str, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PolicyError(f"{source}: {where} must be a table")
    return value


def _action(value: Any, allowed: dict[str, Action], where: str, source: str) -> Action:
    if not isinstance(value, str) or value not in allowed:
        choices = " | ".join(allowed)
        raise PolicyError(f"{source}: {where} must be one of {choices}, not {value!r}")
    return allowed[value]


def _intervention(value: Any, where: str, source: str) -> Intervention:
    table = _table(value, where, source)
    unknown = sorted(set(table) - _INTERVENTION_KEYS)
    if unknown:
        raise PolicyError(f"{source}: {where}: unknown key {unknown[0]!r}")
    message = table.get("message")
    if not isinstance(message, str) or not message.strip():
        raise PolicyError(f"{source}: {where}.message must be a non-empty string")
    help_url = table.get("help_url", "")
    if not isinstance(help_url, str):
        raise PolicyError(f"{source}: {where}.help_url must be a string")
    return Intervention(message=message, help_url=help_url)


def parse_policy_toml(text: str, *, source: str = "policy") -> Policy:
    """Parse a policy file. Raises PolicyError naming the source and what is wrong."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{source}: not valid TOML: {error}") from None
    unknown = sorted(set(document) - {"categories"})
    if unknown:
        raise PolicyError(f"{source}: unknown top-level key {unknown[0]!r}")
    categories_table = _table(document.get("categories", {}), "categories", source)
    categories: dict[str, CategoryPolicy] = {}
    for name, value in categories_table.items():
        where = f"categories.{name}"
        if not CATEGORY_NAME_RE.fullmatch(name):
            raise PolicyError(f"{source}: {where}: a category name is 1-64 of A-Z a-z 0-9 _ -")
        table = _table(value, where, source)
        unknown = sorted(set(table) - _CATEGORY_KEYS)
        if unknown:
            raise PolicyError(f"{source}: {where}: unknown key {unknown[0]!r}")
        suggestions = _action(
            table.get("suggestions", "block"), _SUGGESTION_ACTIONS, f"{where}.suggestions", source
        )
        query = _action(table.get("query", "block"), _QUERY_ACTIONS, f"{where}.query", source)
        interventions: dict[str, Intervention] = {}
        for language, item in _table(
            table.get("interventions", {}), f"{where}.interventions", source
        ).items():
            item_where = f"{where}.interventions.{language}"
            if not LANGUAGE_RE.fullmatch(language):
                raise PolicyError(f"{source}: {item_where}: a language is a lowercase subtag")
            interventions[language] = _intervention(item, item_where, source)
        if query is Action.INTERVENE and not interventions:
            raise PolicyError(
                f'{source}: {where}: query = "intervene" needs at least one '
                f"[{where}.interventions.LANGUAGE] with a message"
            )
        categories[name] = CategoryPolicy(
            suggestions=suggestions, query=query, interventions=interventions
        )
    return Policy(categories=categories)


def _quote(value: str) -> str:
    # JSON string escapes are TOML basic-string escapes; TOML also forbids a raw DEL.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def format_policy_toml(policy: Policy) -> str:
    """The policy as a TOML file; ``parse_policy_toml(format_policy_toml(p)) == p``."""
    lines: list[str] = []
    names = {Action.ALLOW: "allow", Action.BLOCK: "block", Action.INTERVENE: "intervene"}
    for name, category in policy.categories.items():
        if lines:
            lines.append("")
        lines.append(f"[categories.{name}]")
        lines.append(f"suggestions = {_quote(names[category.suggestions])}")
        lines.append(f"query = {_quote(names[category.query])}")
        for language, intervention in category.interventions.items():
            lines.append("")
            lines.append(f"[categories.{name}.interventions.{language}]")
            lines.append(f"message = {_quote(intervention.message)}")
            lines.append(f"help_url = {_quote(intervention.help_url)}")
    return "\n".join(lines) + "\n" if lines else ""
