"""``suggestfilter query``: ask a running filter service about one keystroke.

::

    suggestfilter query --target 127.0.0.1:50051 --locale fr-FR "typed text" "suggestion one" "#tag"

prints the list version, the query verdict, the intervention (if any) and
one line per suggestion with its action, category and rule id. A suggestion
starting with ``#`` is sent as a HASHTAG, the others as ``--kind`` (default
QUERY). ``--json`` prints one JSON object instead; ``--stream`` sends the
keystroke over FilterSession. The call goes through
:class:`~suggestfilter.client.FilterClient`, as a frontend's would; a failed
call (UNAVAILABLE, INVALID_ARGUMENT, DEADLINE_EXCEEDED...) prints one line
naming the target, the status code and the server's message, and exits 1.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from suggestfilter._errors import SuggestFilterError
from suggestfilter._model import SuggestionKind, Verdict
from suggestfilter.client import FilterClient, FilterResult, Suggestion

DEFAULT_TARGET = "127.0.0.1:50051"

_KIND_NAMES = {kind.name.lower(): kind for kind in SuggestionKind}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``query``."""
    parser = subparsers.add_parser(
        "query",
        help="ask a running filter service which suggestions may be shown",
        description=(
            "Send one keystroke (the typed query and candidate suggestions) to the public "
            "API and print the verdicts. Suggestions starting with '#' are hashtags."
        ),
    )
    parser.add_argument(
        "--target",
        default=DEFAULT_TARGET,
        help=f"HOST:PORT of the service (default {DEFAULT_TARGET})",
    )
    parser.add_argument("--locale", default="", help="BCP 47 locale such as fr-FR (default none)")
    parser.add_argument(
        "--kind",
        choices=sorted(_KIND_NAMES),
        default="query",
        help="kind of suggestions not starting with '#' (default query)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--stream", action="store_true", help="send the keystroke over a FilterSession stream"
    )
    parser.add_argument(
        "--deadline-ms",
        type=float,
        default=2000.0,
        help="deadline of the call in milliseconds (default 2000)",
    )
    parser.add_argument("query", help='what the user has typed (may be empty: "")')
    parser.add_argument("suggestions", nargs="*", help="candidate suggestions in display order")
    parser.set_defaults(func=run_query)


def _suggestions(texts: list[str], kind: SuggestionKind) -> list[Suggestion]:
    """The candidates: texts starting with '#' are HASHTAG, the others ``kind``."""
    return [
        Suggestion(text, SuggestionKind.HASHTAG if text.startswith("#") else kind) for text in texts
    ]


def _ask(args: argparse.Namespace, suggestions: list[Suggestion]) -> FilterResult:
    """The service's answer; SuggestFilterError naming target and status when the call fails."""
    with FilterClient(args.target, deadline=args.deadline_ms / 1000.0) as client:
        if args.stream:
            with client.session() as session:
                result = session.filter(args.query, suggestions, args.locale)
        else:
            result = client.filter(args.query, suggestions, args.locale)
    if not result.ok:
        raise SuggestFilterError(f"{args.target}: {result.reason}: {result.error}")
    return result


def _verdict_dict(verdict: Verdict) -> dict[str, str]:
    return {
        "action": verdict.action.name,
        "category": verdict.category,
        "rule_id": verdict.rule_id,
    }


def result_dict(suggestions: list[Suggestion], result: FilterResult) -> dict[str, Any]:
    """A JSON-ready view of an answered call beside the suggestions that were asked about."""
    assert result.query_verdict is not None  # every answered call has one
    intervention = None
    if result.intervention is not None:
        intervention = {
            "category": result.intervention.category,
            "message": result.intervention.message,
            "help_url": result.intervention.help_url,
        }
    entries = [
        {
            "text": suggestion.text,
            "kind": suggestion.kind.name,
            **_verdict_dict(verdict),
            "shown": suggestion in result.allowed,
        }
        for suggestion, verdict in zip(suggestions, result.verdicts, strict=True)
    ]
    return {
        "list_version": result.list_version,
        "query_verdict": _verdict_dict(result.query_verdict),
        "intervention": intervention,
        "suggestions": entries,
        "allowed": [suggestion.text for suggestion in result.allowed],
    }


def format_text(view: dict[str, Any]) -> str:
    """The readable report of a response view."""
    query = view["query_verdict"]
    lines = [
        f"list version: {view['list_version']}",
        "query: "
        + " ".join(part for part in (query["action"], query["category"], query["rule_id"]) if part),
    ]
    intervention = view["intervention"]
    if intervention is not None:
        lines.append(f"intervention [{intervention['category']}]: {intervention['message']}")
        if intervention["help_url"]:
            lines.append(f"  help: {intervention['help_url']}")
    if view["suggestions"]:
        lines.append("suggestions:")
    for entry in view["suggestions"]:
        shown = "shown " if entry["shown"] else "hidden"
        lines.append(
            f"  {shown} {entry['action']:<9} {entry['category'] or '-':<16} "
            f"{entry['rule_id'] or '-':<16} {entry['text']}"
        )
    return "\n".join(lines)


def run_query(args: argparse.Namespace) -> int:
    """Send the keystroke, print the verdicts; raise SuggestFilterError on failure."""
    if args.deadline_ms <= 0:
        raise SuggestFilterError("--deadline-ms must be positive")
    suggestions = _suggestions(args.suggestions, _KIND_NAMES[args.kind])
    view = result_dict(suggestions, _ask(args, suggestions))
    if args.json:
        print(json.dumps(view, ensure_ascii=False, indent=2))
    else:
        print(format_text(view))
    return 0
