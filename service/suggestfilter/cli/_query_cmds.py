"""``suggestfilter query``: ask a running filter service about one keystroke.

::

    suggestfilter query --target 127.0.0.1:50051 --locale fr-FR "typed text" "suggestion one" "#tag"

prints the list version, the query verdict, the intervention (if any) and
one line per suggestion with its action, category and rule id. A suggestion
starting with ``#`` is sent as a HASHTAG, the others as ``--kind`` (default
QUERY). ``--json`` prints one JSON object instead; ``--stream`` sends the
keystroke over FilterSession. A failed call (UNAVAILABLE, INVALID_ARGUMENT,
DEADLINE_EXCEEDED...) prints one line and exits 1.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, cast

import grpc

from suggestfilter._errors import SuggestFilterError
from suggestfilter._model import Action, SuggestionKind
from suggestfilter.v1 import filter_pb2, filter_pb2_grpc

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


def build_request(query: str, suggestions: list[str], locale: str, kind: SuggestionKind) -> Any:
    """The FilterRequest: suggestions starting with '#' are HASHTAG, the others ``kind``."""
    return filter_pb2.FilterRequest(
        query=query,
        suggestions=[
            filter_pb2.Suggestion(
                text=text,
                kind=cast(
                    "filter_pb2.SuggestionKind",
                    int(SuggestionKind.HASHTAG if text.startswith("#") else kind),
                ),
            )
            for text in suggestions
        ],
        locale=locale,
    )


def _call(args: argparse.Namespace, request: Any) -> filter_pb2.FilterResponse:
    timeout = args.deadline_ms / 1000.0
    with grpc.insecure_channel(args.target) as channel:
        stub = filter_pb2_grpc.SuggestionFilterServiceStub(channel)  # type: ignore[no-untyped-call]
        try:
            if args.stream:
                responses = stub.FilterSession(iter([request]), timeout=timeout)
                response: filter_pb2.FilterResponse = next(iter(responses))
                return response
            return cast(filter_pb2.FilterResponse, stub.Filter(request, timeout=timeout))
        except grpc.RpcError as error:
            code: grpc.StatusCode = error.code()  # type: ignore[attr-defined]
            details = error.details()  # type: ignore[attr-defined]
            message = f"{code.name}: {details}" if details else code.name
            raise SuggestFilterError(f"{args.target}: {message}") from None


def _verdict_dict(verdict: filter_pb2.Verdict) -> dict[str, str]:
    return {
        "action": _action_name(verdict.action),
        "category": verdict.category,
        "rule_id": verdict.rule_id,
    }


def _action_name(value: int) -> str:
    try:
        return Action(value).name
    except ValueError:
        return "UNSPECIFIED"


def response_dict(request: Any, response: filter_pb2.FilterResponse) -> dict[str, Any]:
    """A JSON-ready view of a response beside the request's suggestions."""
    intervention = None
    if response.HasField("intervention"):
        intervention = {
            "category": response.intervention.category,
            "message": response.intervention.message,
            "help_url": response.intervention.help_url,
        }
    allowed = list(response.allowed)
    suggestions = []
    for suggestion, verdict in zip(request.suggestions, response.verdicts, strict=False):
        entry: dict[str, Any] = {
            "text": suggestion.text,
            "kind": SuggestionKind(suggestion.kind).name,
            **_verdict_dict(verdict),
            "shown": suggestion in allowed,
        }
        suggestions.append(entry)
    return {
        "list_version": response.list_version,
        "query_verdict": _verdict_dict(response.query_verdict),
        "intervention": intervention,
        "suggestions": suggestions,
        "allowed": [suggestion.text for suggestion in allowed],
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
    request = build_request(args.query, args.suggestions, args.locale, _KIND_NAMES[args.kind])
    response = _call(args, request)
    view = response_dict(request, response)
    if args.json:
        print(json.dumps(view, ensure_ascii=False, indent=2))
    else:
        print(format_text(view))
    return 0
