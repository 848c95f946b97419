"""Service-scale benchmarks: a 1M-term build, and a publish under load (``bench --service``).

Two figures the core benchmark (:mod:`suggestfilter.loadtest._bench`) cannot give:

- :func:`measure_build_scale` builds a :class:`~suggestfilter.engine._matcher.Matcher`
  over N synthetic terms (default 1,000,000; the core benchmark's
  pseudo-words) in a fresh spawned process and reports the build time, the
  process's peak resident set (``ru_maxrss``, so it includes the term list
  and every transient of the build) and the resident set the build added.
- :func:`measure_reload_under_load` runs the real ``suggestfilter serve``
  (subprocess, N workers, SQLite store seeded through the CLI with a
  100,000-term synthetic list), drives it with the load generator for a
  steady-state window, then again while ``suggestfilter terms publish``
  publishes a new 100,001-term version (the list plus a canary term), and
  reports p50/p99/p99.9/max of the calls started in the window after the
  publish beside the steady-state figures, with errors and wrong verdicts
  (the oracle knows the canary is blocked only from the new version on) and
  when the new version was first and the old one last seen.

:func:`run_service_bench` runs both and returns the rows;
:func:`format_service_table` prints them; :func:`add_arguments` and
:func:`run_from_args` are ``bench --service``. Most users want
``suggestfilter bench --service``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

DEFAULT_BUILD_TERMS = 1_000_000
DEFAULT_RELOAD_TERMS = 100_000
SYNTHETIC_CATEGORY = "synthetic"
CANARY = "flumbrix"  # synthetic, checked not to be in the generated list
_SERVE_READY_TIMEOUT = 300.0


@dataclass(frozen=True, slots=True)
class ServiceBenchRow:
    """One line of the service benchmark table. Empty numbers print as ``-``."""

    figure: str
    terms: int
    build_seconds: float | None = None
    peak_mib: float | None = None
    memory_mib: float | None = None
    requests_per_second: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    p999_ms: float | None = None
    max_ms: float | None = None
    errors: int | None = None
    wrong: int | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The row as plain JSON-friendly values."""
        return dataclasses.asdict(self)


SERVICE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("figure", "figure"),
    ("terms", "terms"),
    ("build_seconds", "build s"),
    ("peak_mib", "peak MiB"),
    ("memory_mib", "added MiB"),
    ("requests_per_second", "req/s"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("p999_ms", "p99.9 ms"),
    ("max_ms", "max ms"),
    ("errors", "errors"),
    ("wrong", "wrong"),
    ("note", "note"),
)


def format_service_table(rows: Sequence[ServiceBenchRow]) -> str:
    """The rows as an aligned table (the core benchmark's table format)."""
    from suggestfilter.loadtest._bench import format_table

    return format_table([row.as_dict() for row in rows], SERVICE_COLUMNS)


def _log(log: IO[str] | None, message: str) -> None:
    if log is not None:
        print(f"bench --service: {message}", file=log, flush=True)


# ---------------------------------------------------------------------------
# 1M-term build
# ---------------------------------------------------------------------------


def _rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _build_in_child(term_count: int, results: Any) -> None:
    """Spawned: generate ``term_count`` terms, build a Matcher, report time and memory."""
    try:
        from suggestfilter._model import CategoryPolicy, Policy, TermEntry
        from suggestfilter.engine import Matcher
        from suggestfilter.loadtest._bench import synthetic_terms

        terms = synthetic_terms(term_count)
        entries = [
            TermEntry(term, SYNTHETIC_CATEGORY, rule_id=f"r-{index:x}")
            for index, term in enumerate(terms)
        ]
        del terms
        policy = Policy({SYNTHETIC_CATEGORY: CategoryPolicy()})
        rss_before = _rss_bytes()
        started = time.perf_counter()
        matcher = Matcher.compile(entries, policy)
        build_seconds = time.perf_counter() - started
        rss_after = _rss_bytes()
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        results.put(
            {
                "terms": matcher.term_count,
                "build_seconds": build_seconds,
                "peak_mib": peak_kib / 1024,
                "memory_mib": max(0, rss_after - rss_before) / 2**20,
            }
        )
    except BaseException as error:
        results.put({"error": f"{type(error).__name__}: {error}"})


def measure_build_scale(
    term_count: int = DEFAULT_BUILD_TERMS, *, log: IO[str] | None = None
) -> list[ServiceBenchRow]:
    """Build a matcher over ``term_count`` synthetic terms in a fresh process; one row.

    ``build_seconds`` is ``Matcher.compile`` alone (wall clock); ``peak_mib``
    the process's peak resident set (term list, entries and build
    transients included); ``memory_mib`` the resident set the build added
    and kept (the matcher).
    """
    _log(log, f"building a matcher over {term_count:,} terms in a fresh process")
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_build_in_child, args=(term_count, results))
    child.start()
    try:
        outcome = results.get(timeout=1800)
    finally:
        child.join(60)
        if child.is_alive():
            child.kill()
            child.join()
    if "error" in outcome:
        raise RuntimeError(f"the build process failed: {outcome['error']}")
    row = ServiceBenchRow(
        figure="build",
        terms=int(outcome["terms"]),
        build_seconds=float(outcome["build_seconds"]),
        peak_mib=float(outcome["peak_mib"]),
        memory_mib=float(outcome["memory_mib"]),
        note="Matcher.compile in a fresh process; peak = ru_maxrss",
    )
    _log(log, f"built in {row.build_seconds:.2f} s, peak {row.peak_mib:.0f} MiB")
    return [row]


# ---------------------------------------------------------------------------
# Publish under load
# ---------------------------------------------------------------------------


def _cli(*args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "suggestfilter", *args],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"suggestfilter {args[0]} {args[1]} failed: {completed.stderr.strip()[-500:]}"
        )
    return completed.stdout + completed.stderr


def _free_port() -> int:
    from suggestfilter.loadtest._echo import free_loopback_port

    return free_loopback_port()


def _stop_server(server: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM a ``suggestfilter serve`` child and wait for its drain (kill after 60 s)."""
    if server is None or server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _wait_serving(target: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"suggestfilter serve exited with {server.returncode}")
            try:
                answer = stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
            except grpc.RpcError:
                answer = None
            if answer is not None and answer.status == health_pb2.HealthCheckResponse.SERVING:
                return
            time.sleep(0.1)
    raise RuntimeError(f"suggestfilter serve was not SERVING after {timeout:.0f} s")


def _seed_store(
    directory: Path, term_count: int, log: IO[str] | None
) -> tuple[str, list[str], int, int]:
    """A SQLite store with ``term_count`` synthetic terms published and a canary drafted.

    Returns (store path, terms, published version, canary's draft version).
    """
    from suggestfilter.loadtest._bench import synthetic_terms

    terms = [term for term in synthetic_terms(term_count) if CANARY not in term]
    db = str(directory / "bench.db")
    policy = directory / "policy.toml"
    policy.write_text(
        f'[categories.{SYNTHETIC_CATEGORY}]\nsuggestions = "block"\nquery = "block"\n',
        encoding="utf-8",
    )
    listing = directory / "terms.txt"
    listing.write_text("\n".join(terms) + "\n", encoding="utf-8")
    canary = directory / "canary.txt"
    canary.write_text(CANARY + "\n", encoding="utf-8")
    _log(log, f"seeding a store with {len(terms):,} terms through the CLI")
    _cli("policy", "import", "--db", db, str(policy))
    _cli("terms", "import", "--db", db, "--category", SYNTHETIC_CATEGORY, str(listing))
    published = int(re.findall(r"published version (\d+)", _cli("terms", "publish", "--db", db))[0])
    drafted = _cli("terms", "import", "--db", db, "--category", SYNTHETIC_CATEGORY, str(canary))
    return db, terms, published, int(re.findall(r"draft version (\d+)", drafted)[0])


def _served_version(target: str) -> int:
    """The list version a Filter call on ``target`` names now (0 when the call fails)."""
    import grpc

    from suggestfilter.v1 import filter_pb2, filter_pb2_grpc

    with grpc.insecure_channel(target) as channel:
        stub = filter_pb2_grpc.SuggestionFilterServiceStub(channel)  # type: ignore[no-untyped-call]
        try:
            return int(stub.Filter(filter_pb2.FilterRequest(query="a"), timeout=5).list_version)
        except grpc.RpcError:
            return 0


def measure_reload_under_load(
    term_count: int = DEFAULT_RELOAD_TERMS,
    *,
    workers: int = 2,
    mode: str = "unary",
    concurrency: int = 8,
    client_processes: int = 2,
    steady_seconds: float = 10.0,
    publish_at: float = 3.0,
    settle_seconds: float = 3.0,
    retry: bool = True,
    log: IO[str] | None = None,
) -> list[ServiceBenchRow]:
    """p99 of calls while a ``term_count``-term version is published, beside steady state.

    Rows: ``steady`` (a ``steady_seconds`` run before any publish); ``during
    publish`` (the calls of a second run started from ``terms publish``
    at ``publish_at`` seconds until the last response naming the old
    version, i.e. store publish, detection, build and worker rotation); and
    ``publish run`` (that whole second run, which ends ``settle_seconds``
    after every worker serves the new version). Errors and wrong verdicts
    are counted over each whole run. ``retry`` drives the service with the
    client settings a frontend should use (``loadtest --retry``: retry policy,
    fast reconnect, wait for a connection); False: a plain gRPC client.
    """
    # The load generator needs the bench extra; the CLI imports this module at start-up.
    from suggestfilter._model import CategoryPolicy, Policy, TermEntry
    from suggestfilter.loadtest._corpus import LoadPlan, build_corpus
    from suggestfilter.loadtest._drivers import LoadSettings
    from suggestfilter.loadtest._oracle import CorpusTerm
    from suggestfilter.loadtest._runner import run_load

    directory = Path(tempfile.mkdtemp(prefix="suggestfilter-bench-"))
    server: subprocess.Popen[bytes] | None = None
    try:
        db, terms, old_version, new_version = _seed_store(directory, term_count, log)
        port = _free_port()
        target = f"127.0.0.1:{port}"
        stderr_path = directory / "serve.stderr"
        with stderr_path.open("wb") as stderr:
            server = subprocess.Popen(
                [
                    sys.executable, "-m", "suggestfilter", "serve", "--db", db,
                    "--host", "127.0.0.1", "--port", str(port), "--no-admin", "--no-metrics",
                    "--workers", str(workers),
                ],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
            )  # fmt: skip
        _log(log, f"serving {len(terms):,} terms with {workers} workers on {target}")
        _wait_serving(target, server, _SERVE_READY_TIMEOUT)

        policy = Policy({SYNTHETIC_CATEGORY: CategoryPolicy()})
        entries = [TermEntry(term, SYNTHETIC_CATEGORY) for term in terms]
        canary = CorpusTerm(CANARY, SYNTHETIC_CATEGORY, new_version)
        corpus = build_corpus(entries, policy, canaries=[canary], sessions=300)
        plan = LoadPlan.from_corpus(corpus)
        base = LoadSettings(
            mode=mode,
            concurrency=concurrency,
            api="sync" if mode == "unary" else "aio",
            client_processes=client_processes,
            warmup=1.0,
            retry=retry,
        )
        _log(log, f"steady state: {steady_seconds:g} s of {mode} load")
        steady = run_load(
            target, plan, dataclasses.replace(base, duration=steady_seconds), progress=log
        )
        stop = threading.Event()
        timings: dict[str, float] = {}

        def publish() -> None:
            began = time.perf_counter()
            _log(log, f"publishing version {new_version} ({len(terms) + 1:,} terms)")
            _cli("terms", "publish", "--db", db)
            timings["store"] = time.perf_counter() - began
            _log(log, f"store published in {timings['store']:.2f} s; waiting for the workers")
            deadline = time.monotonic() + _SERVE_READY_TIMEOUT
            while _served_version(target) != new_version and time.monotonic() < deadline:
                time.sleep(0.1)
            timings["served"] = time.perf_counter() - began
            time.sleep(settle_seconds)
            stop.set()

        _log(log, f"publish under load: {mode} load, publishing at {publish_at:g} s")
        during = run_load(
            target,
            plan,
            dataclasses.replace(base, duration=_SERVE_READY_TIMEOUT + publish_at + 60),
            progress=log,
            actions=[(publish_at, publish)],
            stop=stop,
        )
        if during.errors or steady.errors:
            _log(log, "errors under load; the server's log ends with:")
            _log(log, stderr_path.read_text(encoding="utf-8", errors="replace")[-4000:])
    finally:
        _stop_server(server)
        shutil.rmtree(directory, ignore_errors=True)

    first_new = during.version_first_seen.get(new_version)
    last_old = during.version_last_seen.get(old_version, publish_at)
    window_end = max(last_old, publish_at + 0.001)
    window = during.histogram_between(publish_at, window_end)
    switch_note = (
        f"from publish to the last v{old_version} response, {window_end - publish_at:.2f} s"
        f" (store publish {timings.get('store', float('nan')):.2f} s; v{new_version} first seen "
        + (f"+{first_new - publish_at:.2f} s" if first_new is not None else "never")
        + ")"
    )
    return [
        _load_row(
            "steady",
            len(terms),
            steady,
            note=f"{mode}, {concurrency} connections, "
            + ("frontend client settings (retry)" if retry else "plain client (no retry)")
            + _error_note(steady),
        ),
        ServiceBenchRow(
            figure="during publish",
            terms=len(terms) + 1,
            requests_per_second=window.get_total_count() / (window_end - publish_at),
            p50_ms=_percentile_ms(window, 50),
            p99_ms=_percentile_ms(window, 99),
            p999_ms=_percentile_ms(window, 99.9),
            max_ms=window.get_max_value() / 1000.0,
            errors=during.error_count,
            wrong=during.wrong,
            note=switch_note,
        ),
        _load_row(
            "publish run",
            len(terms) + 1,
            during,
            note=f"whole run; version switches {during.switches}, backwards {during.backwards}"
            + _error_note(during),
        ),
    ]


def _percentile_ms(histogram: Any, percentile: float) -> float | None:
    if histogram.get_total_count() == 0:
        return None
    return float(histogram.get_value_at_percentile(percentile)) / 1000.0


def _error_note(result: Any) -> str:
    if not result.errors:
        return ""
    codes = ", ".join(f"{code} {count}" for code, count in sorted(result.errors.items()))
    return f"; errors: {codes} (first: {result.error_samples[0]})"


def _load_row(figure: str, terms: int, result: Any, *, note: str) -> ServiceBenchRow:
    return ServiceBenchRow(
        figure=figure,
        terms=terms,
        requests_per_second=result.requests_per_second,
        p50_ms=result.percentile_ms(50),
        p99_ms=result.percentile_ms(99),
        p999_ms=result.percentile_ms(99.9),
        max_ms=result.histogram.get_max_value() / 1000.0,
        errors=result.error_count,
        wrong=result.wrong,
        note=note,
    )


def run_service_bench(
    *,
    build_terms: int = DEFAULT_BUILD_TERMS,
    reload_terms: int = DEFAULT_RELOAD_TERMS,
    workers: int = 2,
    mode: str = "unary",
    steady_seconds: float = 10.0,
    retry: bool = True,
    log: IO[str] | None = None,
) -> list[ServiceBenchRow]:
    """The scale figures: a ``build_terms`` build, then a ``reload_terms`` publish under load.

    ``build_terms`` 0 skips the build; ``reload_terms`` 0 skips the reload;
    ``retry`` as for :func:`measure_reload_under_load`.
    """
    rows: list[ServiceBenchRow] = []
    if build_terms:
        rows.extend(measure_build_scale(build_terms, log=log))
    if reload_terms:
        rows.extend(
            measure_reload_under_load(
                reload_terms,
                workers=workers,
                mode=mode,
                steady_seconds=steady_seconds,
                retry=retry,
                log=log,
            )
        )
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--service`` and its options to the ``bench`` parser."""
    parser.add_argument(
        "--service",
        action="store_true",
        help="measure the service-scale figures instead: a --build-terms build in a fresh "
        "process, and p99 while a --reload-terms version is published under load "
        "(runs 'suggestfilter serve' on a temporary store)",
    )
    parser.add_argument(
        "--build-terms",
        type=int,
        default=DEFAULT_BUILD_TERMS,
        help=f"--service: terms of the build figure; 0 skips it ({DEFAULT_BUILD_TERMS:,})",
    )
    parser.add_argument(
        "--reload-terms",
        type=int,
        default=DEFAULT_RELOAD_TERMS,
        help=f"--service: terms of the published version; 0 skips it ({DEFAULT_RELOAD_TERMS:,})",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="--service: worker processes of the server (2)"
    )
    parser.add_argument(
        "--steady-seconds",
        type=float,
        default=10.0,
        help="--service: seconds of steady-state load before the publish (10)",
    )
    parser.add_argument(
        "--plain-client",
        action="store_true",
        help="--service: drive with a plain gRPC client (no retry policy, default reconnect "
        "backoff) instead of the frontend client settings",
    )


def run_from_args(args: argparse.Namespace) -> int:
    """Run ``bench --service`` from parsed arguments; print a table, or JSON with ``--json``."""
    from suggestfilter._errors import InvalidInputError

    if args.build_terms < 0:
        raise InvalidInputError("--build-terms", "must be 0 or more")
    if args.reload_terms < 0:
        raise InvalidInputError("--reload-terms", "must be 0 or more")
    if args.workers < 1:
        raise InvalidInputError("--workers", "must be at least 1")
    if args.steady_seconds <= 0:
        raise InvalidInputError("--steady-seconds", "must be positive")
    rows = run_service_bench(
        build_terms=args.build_terms,
        reload_terms=args.reload_terms,
        workers=args.workers,
        steady_seconds=args.steady_seconds,
        retry=not args.plain_client,
        log=sys.stderr,
    )
    if getattr(args, "json", False):
        print(json.dumps([row.as_dict() for row in rows], indent=2))
    else:
        print(format_service_table(rows))
        print()
        print(method_note(os.cpu_count() or 0))
    return 0


def method_note(cpus: int) -> str:
    """How the service figures were measured, to print under the table."""
    return (
        f"Measured on {cpus} CPUs shared by the server, the load generator and the publish. "
        "build: Matcher.compile over synthetic pseudo-word terms in a fresh process (peak = "
        "ru_maxrss, added = resident set growth). steady / during publish / publish run: "
        "'suggestfilter serve' on SQLite, unary Filter calls of 10 suggestions from the load "
        "generator (every response checked; latency from an HDR histogram); 'during publish' "
        "covers the calls started from 'terms publish' until the last response of the old "
        "version (store publish, detection, build, worker rotation)."
    )
