"""Engine commands: ``check`` (explain one text) and ``bench`` (core matching figures)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from suggestfilter._errors import InvalidInputError
from suggestfilter._model import Action, CategoryPolicy, Policy, SuggestionKind, TermEntry, Verdict
from suggestfilter.engine import Explanation, Matcher
from suggestfilter.lists._policyfile import parse_policy_toml
from suggestfilter.lists._termfile import parse_term_file
from suggestfilter.loadtest import _bench as _bench
from suggestfilter.loadtest import _bench_memory as _bench_memory
from suggestfilter.loadtest import _bench_service as _bench_service
from suggestfilter.loadtest import require_bench_extra

_KINDS = {kind.name.lower(): kind for kind in SuggestionKind}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``check`` and ``bench``."""
    check = subparsers.add_parser(
        "check",
        help="explain how one text is folded and matched against a term file",
        description=(
            "Fold TEXT, match it against the term files and print every match with its "
            "span, rule and category, and the verdicts. Without --policy every category "
            "of the term files blocks suggestions and queries."
        ),
    )
    check.add_argument("text", metavar="TEXT", help="the text to check")
    check.add_argument(
        "--terms",
        metavar="FILE",
        type=Path,
        action="append",
        required=True,
        help="term file (CSV when named *.csv, else one term per line); repeatable",
    )
    check.add_argument("--policy", metavar="FILE", type=Path, help="policy TOML file")
    check.add_argument(
        "--category",
        default="default",
        help="category of the terms of plain term files (default: default)",
    )
    check.add_argument(
        "--kind",
        choices=sorted(_KINDS),
        default="unspecified",
        help="what the text is (default: unspecified; hashtag and account split words)",
    )
    check.add_argument("--locale", default="", help="request locale such as fr-CA (default: none)")
    check.set_defaults(func=run_check)

    bench = subparsers.add_parser(
        "bench",
        help="measure build time, memory and per-suggestion matching time",
        description=(
            "Build synthetic term lists and measure build time, memory, and the median and "
            "p99 time to fold and match one suggestion (uncached, one per call), beside "
            "Python's re alternation and flashtext on the same inputs; then the worst case "
            "(and median and p99) of CPU time per text over an adversarial corpus and per "
            "50-suggestion request, against the targets (reported, not enforced). With "
            "--memory: the resident memory of a real server's worker flooded with distinct "
            "maximal inputs."
        ),
    )
    bench.add_argument(
        "--sizes",
        default="1000,100000,1000000",
        help="comma-separated term list sizes (default: 1000,100000,1000000)",
    )
    bench.add_argument(
        "--samples",
        type=int,
        default=20_000,
        help="suggestions timed per engine and size (default: 20000)",
    )
    bench.add_argument(
        "--engines",
        default="suggestfilter,re,flashtext",
        help="comma-separated engines (default: suggestfilter,re,flashtext)",
    )
    bench.add_argument(
        "--adversarial",
        type=int,
        default=600,
        help="adversarial texts timed per engine and size for the worst case; 0 skips "
        "the worst case (default: 600)",
    )
    bench.add_argument(
        "--requests",
        type=int,
        default=20,
        help="50-suggestion requests of adversarial texts timed per engine and size (default: 20)",
    )
    bench.add_argument("--json", action="store_true", help="print JSON rows instead of a table")
    _bench_service.add_arguments(bench)
    _bench_memory.add_arguments(bench)
    bench.set_defaults(func=run_bench)


def _load_policy(args: argparse.Namespace, entries: list[TermEntry]) -> Policy:
    if args.policy is not None:
        try:
            text = args.policy.read_text(encoding="utf-8")
        except OSError as error:
            raise InvalidInputError("--policy", f"cannot read: {error.strerror}") from None
        return parse_policy_toml(text, source=str(args.policy))
    categories = dict.fromkeys(
        (entry.category for entry in entries),
        CategoryPolicy(suggestions=Action.BLOCK, query=Action.BLOCK),
    )
    return Policy(categories=categories)


def _verdict_text(verdict: Verdict) -> str:
    if verdict.action is Action.ALLOW:
        return "ALLOW"
    return f"{verdict.action.name}  category={verdict.category}  rule={verdict.rule_id}"


def format_explanation(text: str, explanation: Explanation, kind: str, locale: str) -> str:
    """A readable report of an explanation."""
    lines = [
        f"text:       {text!r}",
        f"folded:     {explanation.folded!r}",
        f"kind:       {kind}    locale: {locale or '(none: global entries only)'}",
        f"suggestion: {_verdict_text(explanation.suggestion_verdict)}",
        f"query:      {_verdict_text(explanation.query_verdict)}",
    ]
    if not explanation.matches:
        lines.append("matches:    none")
        return "\n".join(lines)
    lines.append(f"matches:    {len(explanation.matches)}")
    for match in explanation.matches:
        state = "  (suppressed by an allow entry)" if match.suppressed else ""
        lines.append(
            f"  [{match.start}, {match.end})  {text[match.start : match.end]!r}  "
            f"{match.kind.value} {match.match.value}  category={match.category}  "
            f"rule={match.rule_id}{state}"
        )
    return "\n".join(lines)


def run_check(args: argparse.Namespace) -> int:
    """``suggestfilter check TEXT --terms FILE``: print the explanation of one text."""
    known = None
    policy = None
    if args.policy is not None:
        policy = _load_policy(args, [])
        known = set(policy.categories)
    entries: list[TermEntry] = []
    for path in args.terms:
        entries.extend(parse_term_file(path, category=args.category, known_categories=known))
    if policy is None:
        policy = _load_policy(args, entries)
    matcher = Matcher.compile(entries, policy)
    kind = _KINDS[args.kind]
    explanation = matcher.explain(args.text, kind, args.locale)
    print(format_explanation(args.text, explanation, args.kind, args.locale))
    if explanation.query_verdict.action is Action.INTERVENE:
        notice = matcher.decide(args.text, [], args.locale).intervention
        if notice is not None:
            print(f"intervention: {notice.message}  {notice.help_url}".rstrip())
    return 0


def run_bench(args: argparse.Namespace) -> int:
    """``suggestfilter bench``: the core matching table, or with ``--service`` the service's."""
    require_bench_extra("bench")
    if args.service:
        return _bench_service.run_from_args(args)
    if args.memory:
        return _bench_memory.run_from_args(args)
    try:
        sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size]
    except ValueError:
        raise InvalidInputError("--sizes", "comma-separated whole numbers") from None
    if not sizes or any(size < 1 for size in sizes):
        raise InvalidInputError("--sizes", "sizes must be at least 1")
    if args.samples < 1:
        raise InvalidInputError("--samples", "must be at least 1")
    if args.adversarial < 0:
        raise InvalidInputError("--adversarial", "must be 0 or more")
    if args.requests < 0:
        raise InvalidInputError("--requests", "must be 0 or more")
    engines = [engine.strip() for engine in args.engines.split(",") if engine.strip()]
    unknown = sorted(set(engines) - set(_bench.ENGINES))
    if unknown:
        raise InvalidInputError("--engines", f"unknown engine {unknown[0]!r}")
    rows = _bench.run_core_bench(
        sizes,
        samples=args.samples,
        engines=engines,
        adversarial=args.adversarial,
        requests=args.requests if args.adversarial else 0,
        log=sys.stderr,
    )
    if args.json:
        print(json.dumps([row.as_dict() for row in rows], indent=2))
        return 0
    print(_bench.format_table(rows))
    print()
    print(_bench.method_note(args.samples))
    if args.adversarial:
        print()
        print(_bench.format_adversarial_table(rows))
        print()
        print(_bench.adversarial_note(args.adversarial, args.requests))
    return 0
