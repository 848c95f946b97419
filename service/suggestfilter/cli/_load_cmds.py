"""``suggestfilter loadtest``: drive a filter service with realistic keystrokes and report.

See :mod:`suggestfilter.loadtest` for the corpus, the oracle, the drivers, the
runner, the report and the echo floor.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from suggestfilter._errors import InvalidInputError, SuggestFilterError
from suggestfilter._model import Policy, TermEntry
from suggestfilter.loadtest import require_bench_extra
from suggestfilter.loadtest._oracle import CorpusTerm

if TYPE_CHECKING:
    from suggestfilter.loadtest._drivers import LoadSettings
    from suggestfilter.loadtest._report import LoadResult

DEFAULT_CONCURRENCY = 8
DEFAULT_DURATION = 10.0
DEFAULT_CLIENT_PROCESSES = 2
DEFAULT_WARMUP = 1.0
# Measured on 2 cores against the echo floor: sync stubs in threads give more
# unary calls per second than grpc.aio, grpc.aio gives more stream messages.
DEFAULT_API = {"unary": "sync", "stream": "aio"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``loadtest``."""
    parser = subparsers.add_parser(
        "loadtest",
        help="drive a filter service with typed keystrokes; check verdicts; report latency",
        description=(
            "Type queries character by character against a SuggestionFilterService, 10 "
            "candidate suggestions per keystroke (some of them disguised blocked terms), "
            "check every response against the verdict the term list and policy imply, and "
            "report requests/s, latency percentiles (HDR histogram), errors by status code "
            "and wrong verdicts. With --echo-floor, the same load also runs against a "
            "built-in echo service with the same server settings, and the service's "
            "throughput is reported as a share of that floor. Exit status 1 when any call "
            "failed, any verdict was wrong or a connection saw the list version go back."
        ),
    )
    parser.add_argument("--target", help="HOST:PORT of the service under test")
    parser.add_argument(
        "--mode",
        choices=("unary", "stream", "both"),
        default="unary",
        help="unary Filter calls, one FilterSession stream per typed query, or both (unary)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help="connections, each with one call or stream in flight "
        f"({DEFAULT_CONCURRENCY}; for streams at most workers x threads of the server)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=DEFAULT_DURATION,
        help=f"seconds of load per run ({DEFAULT_DURATION:g})",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat every run this many times, alternating service and echo floor, "
        "and report the sum (1)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=DEFAULT_WARMUP,
        help="seconds of load before each run's clock starts; checked, not timed "
        f"({DEFAULT_WARMUP:g})",
    )
    parser.add_argument(
        "--terms",
        type=Path,
        help="term file the service serves (CSV, or plain with --category); default: the demo list",
    )
    parser.add_argument(
        "--policy",
        type=Path,
        help="policy TOML the service serves; default: the demo policy",
    )
    parser.add_argument("--category", help="category of a plain --terms file")
    parser.add_argument(
        "--canary",
        action="append",
        default=[],
        metavar="TERM:CATEGORY:VERSION",
        help="a term that list version VERSION adds: allowed before it, blocked from it "
        "(repeatable)",
    )
    parser.add_argument("--locale", default="en-US", help="locale of every request (en-US)")
    parser.add_argument(
        "--blocked-share",
        type=float,
        default=0.1,
        help="share of candidates that are disguised blocked terms (0.1)",
    )
    parser.add_argument(
        "--blocked-query-share",
        type=float,
        default=0.05,
        help="share of typed queries that type a blocked term (0.05)",
    )
    parser.add_argument(
        "--sessions", type=int, default=400, help="distinct typing sessions to cycle (400)"
    )
    parser.add_argument("--seed", type=int, default=1, help="corpus random seed (1)")
    parser.add_argument(
        "--api",
        choices=("auto", "sync", "aio"),
        default="auto",
        help="client: grpc sync stubs in threads, or grpc.aio; auto: sync for unary, "
        "aio for stream (the faster of each, measured)",
    )
    parser.add_argument(
        "--client-processes",
        type=int,
        default=DEFAULT_CLIENT_PROCESSES,
        help="client processes the connections are spread over; 0 runs them in this "
        f"process ({DEFAULT_CLIENT_PROCESSES})",
    )
    parser.add_argument(
        "--echo-floor",
        action="store_true",
        help="also run the same load against a built-in echo service and report the ratio",
    )
    parser.add_argument(
        "--echo-workers",
        type=int,
        default=0,
        help="worker processes of the echo floor; give the service's --workers "
        "(default: serve's default, one per CPU)",
    )
    parser.add_argument(
        "--echo-threads",
        type=int,
        default=8,
        help="gRPC threads per echo worker; give the service's --threads (8)",
    )
    parser.add_argument(
        "--retry",
        action="store_true",
        help="client settings a frontend should use: retry Filter/FilterSession up to 3 "
        "attempts on UNAVAILABLE or CANCELLED, reconnect within 50 ms, wait for a connection "
        "within the deadline (default: a plain client; every failure counts as an error)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON (- : stdout)")
    parser.add_argument(
        "--quiet", action="store_true", help="no progress lines on stderr while running"
    )
    parser.set_defaults(func=run_loadtest)


def _load_list(args: argparse.Namespace) -> tuple[list[TermEntry], Policy]:
    from suggestfilter.runtime import _demo as _demo

    if args.policy is not None:
        from suggestfilter.lists._policyfile import parse_policy_toml

        try:
            text = args.policy.read_text(encoding="utf-8")
        except OSError as error:
            raise InvalidInputError("--policy", f"cannot read {args.policy}: {error}") from error
        policy = parse_policy_toml(text, source=str(args.policy))
    else:
        policy = _demo.demo_policy()
    if args.terms is not None:
        from suggestfilter.lists._termfile import parse_term_file

        if not args.terms.is_file():
            raise InvalidInputError("--terms", f"no such file: {args.terms}")
        entries = parse_term_file(
            args.terms, category=args.category, known_categories=policy.categories
        )
    else:
        entries = _demo.demo_entries(policy)
    return entries, policy


def _canaries(values: list[str], policy: Policy) -> list[CorpusTerm]:
    canaries = []
    for value in values:
        parts = value.rsplit(":", 2)
        if len(parts) != 3 or not parts[2].isdigit() or int(parts[2]) < 1:
            raise InvalidInputError("--canary", "expected TERM:CATEGORY:VERSION")
        if parts[1] not in policy.categories:
            raise InvalidInputError("--canary", f"unknown category {parts[1]!r}")
        canaries.append(CorpusTerm(parts[0], parts[1], int(parts[2])))
    return canaries


def _validate(args: argparse.Namespace) -> None:
    if not args.target and not args.echo_floor:
        raise InvalidInputError("--target", "give a target, or --echo-floor, or both")
    if args.concurrency < 1:
        raise InvalidInputError("--concurrency", "must be at least 1")
    if args.duration <= 0:
        raise InvalidInputError("--duration", "must be positive")
    if args.rounds < 1:
        raise InvalidInputError("--rounds", "must be at least 1")
    if args.warmup < 0:
        raise InvalidInputError("--warmup", "must be 0 or more")
    if args.client_processes < 0:
        raise InvalidInputError("--client-processes", "must be 0 or more")
    if args.sessions < 1:
        raise InvalidInputError("--sessions", "must be at least 1")
    for name in ("blocked_share", "blocked_query_share"):
        if not 0.0 <= getattr(args, name) <= 1.0:
            raise InvalidInputError("--" + name.replace("_", "-"), "must be between 0 and 1")
    if args.echo_workers < 0 or args.echo_threads < 1:
        raise InvalidInputError("--echo-workers", "workers must be 0 or more, threads 1 or more")


def run_loadtest(args: argparse.Namespace) -> int:
    """Build the corpus, run each mode against the target (and the echo floor), report."""
    require_bench_extra("loadtest")
    # Imported here: they need the bench extra, which a service install leaves out.
    from suggestfilter.loadtest._corpus import LoadPlan, build_corpus
    from suggestfilter.loadtest._drivers import LoadSettings
    from suggestfilter.loadtest._echo import EchoWorkers
    from suggestfilter.loadtest._report import format_report, report_document
    from suggestfilter.loadtest._runner import run_load

    _validate(args)
    entries, policy = _load_list(args)
    corpus = build_corpus(
        entries,
        policy,
        canaries=_canaries(args.canary, policy),
        locale=args.locale,
        sessions=args.sessions,
        blocked_share=args.blocked_share,
        blocked_query_share=args.blocked_query_share,
        seed=args.seed,
    )
    plan = LoadPlan.from_corpus(corpus, locale=args.locale)
    modes = ("unary", "stream") if args.mode == "both" else (args.mode,)
    progress = None if args.quiet else sys.stderr
    echo_workers = args.echo_workers or _serve_default_workers()
    settings_doc: dict[str, Any] = {
        "target": args.target,
        "modes": list(modes),
        "concurrency": args.concurrency,
        "duration": args.duration,
        "rounds": args.rounds,
        "warmup": args.warmup,
        "retry": args.retry,
        "client_processes": args.client_processes,
        "api": {mode: _api(args, mode) for mode in modes},
        "locale": args.locale,
        "terms": corpus.term_count,
        "disguised_terms": corpus.disguised_terms,
        "blocked_candidates": corpus.blocked_candidates,
        "blocked_share": args.blocked_share,
        "blocked_query_share": args.blocked_query_share,
        "keystrokes": corpus.keystrokes,
        "echo_workers": echo_workers if args.echo_floor else None,
        "echo_threads": args.echo_threads if args.echo_floor else None,
        "cpus": os.cpu_count(),
    }
    print(
        f"loadtest: {corpus.keystrokes} keystrokes in {len(corpus.sessions)} sessions; "
        f"{corpus.disguised_terms} terms in {corpus.blocked_candidates} disguises; "
        f"{corpus.innocent_words} innocent words",
        file=sys.stderr,
    )
    results: dict[str, LoadResult] = {}
    floors: dict[str, LoadResult] = {}
    with contextlib.ExitStack() as stack:
        echo = None
        if args.echo_floor:
            echo = stack.enter_context(EchoWorkers(echo_workers, max_workers=args.echo_threads))
        for round_index in range(args.rounds):
            for mode in modes:
                settings = LoadSettings(
                    mode=mode,
                    concurrency=args.concurrency,
                    duration=args.duration,
                    api=_api(args, mode),
                    client_processes=args.client_processes,
                    warmup=args.warmup,
                    retry=args.retry,
                )
                runs: list[tuple[dict[str, LoadResult], str, LoadSettings]] = []
                if args.target:
                    runs.append((results, args.target, settings))
                if echo is not None:
                    floor_settings = dataclasses.replace(
                        settings, allow_all=True, label="echo-floor"
                    )
                    runs.append((floors, echo.target, floor_settings))
                if round_index % 2:
                    runs.reverse()  # alternate who goes first, so drift hits both alike
                for into, target, run_settings in runs:
                    try:
                        result = run_load(target, plan, run_settings, progress=progress)
                    except RuntimeError as error:
                        raise SuggestFilterError(str(error)) from error
                    if mode in into:
                        into[mode].merge(result, sequential=True)
                    else:
                        into[mode] = result
    document = report_document(list(results.values()), floors=floors, settings=settings_doc)
    table = format_report(
        list(results.values()),
        floors=floors,
        title=(
            f"suggestfilter loadtest: target {args.target or '-'}, concurrency "
            f"{args.concurrency}, {args.rounds} x {args.duration:g} s per run, "
            f"{args.client_processes} client "
            f"processes, {os.cpu_count()} CPUs"
        ),
    )
    print(table, file=sys.stderr if args.json == "-" else sys.stdout)
    if args.json == "-":
        print(json.dumps(document, indent=2))
    elif args.json:
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if not document["ok"]:
        print("loadtest: FAILED (errors, wrong verdicts or versions going back)", file=sys.stderr)
        return 1
    return 0


def _api(args: argparse.Namespace, mode: str) -> str:
    return DEFAULT_API[mode] if args.api == "auto" else str(args.api)


def _serve_default_workers() -> int:
    """``suggestfilter serve``'s default worker count: one per usable core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)
