"""Memory benchmark (``bench --memory``): a worker flooded with distinct maximal inputs.

Most users want ``suggestfilter bench --memory``. :func:`measure_memory`
starts the real ``suggestfilter serve`` (one worker, loopback, a temporary
SQLite store seeded with a synthetic list), finds the worker in the server's
process tree, reads its resident set (``VmRSS`` of ``/proc/<pid>/status``),
then sends Filter requests of ``suggestions`` suggestions of ``chars``
characters each, every text distinct and at the request limit: words of
astral-plane letters (CJK extension B, mathematical letters that fold to
ASCII), every kind in turn, so that every per-text cache of the worker
(fold table, squeezed words, verdicts, segmentation) sees only new keys. It
stops after ``requests`` requests or ``seconds`` seconds, whichever comes
first, and reports the resident set before, at its peak, after, and the
growth, beside :data:`GROWTH_LIMIT_MIB`, the figure the growth should stay
within once every cache is bounded in bytes (reported, not enforced).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from suggestfilter.loadtest import _bench_service as _bench_service

GROWTH_LIMIT_MIB = 64.0
"""The resident-set growth of a flooded worker should stay within this (not enforced)."""
DEFAULT_REQUESTS = 4_000
DEFAULT_SECONDS = 120.0
DEFAULT_TERMS = 1_000
_ASTRAL_LETTERS = ((0x20000, 0x2A6DF), (0x1D41A, 0x1D433))  # CJK ext B; math bold a-z
_KIND_NUMBERS = (0, 1, 2, 3)

MEMORY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("figure", "figure"),
    ("terms", "terms"),
    ("requests", "requests"),
    ("texts", "texts"),
    ("errors", "errors"),
    ("before_mib", "before MiB"),
    ("peak_mib", "peak MiB"),
    ("after_mib", "after MiB"),
    ("growth_mib", "growth MiB"),
    ("limit_mib", "limit MiB"),
    ("note", "note"),
)


@dataclass(frozen=True, slots=True)
class MemoryRow:
    """The outcome of one flood: the worker's resident set before, at peak and after."""

    figure: str
    terms: int
    requests: int
    texts: int
    errors: int
    before_mib: float
    peak_mib: float
    after_mib: float
    growth_mib: float
    limit_mib: float = GROWTH_LIMIT_MIB
    seconds: float = 0.0
    worker_pid: int = 0
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The row as plain JSON-friendly values."""
        return dataclasses.asdict(self)


def format_memory_table(rows: list[MemoryRow]) -> str:
    """The rows as an aligned table (the core benchmark's table format)."""
    from suggestfilter.loadtest._bench import format_table

    return format_table([row.as_dict() for row in rows], MEMORY_COLUMNS)


def _log(log: IO[str] | None, message: str) -> None:
    if log is not None:
        print(f"bench --memory: {message}", file=log, flush=True)


def rss_mib(pid: int) -> float:
    """The resident set of process ``pid`` (``VmRSS``), in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text(encoding="ascii")
        children.extend(int(child) for child in text.split())
    return children


def find_worker(server_pid: int, timeout: float = 30.0) -> int:
    """The pid of the serving worker under ``server_pid``: the largest child process.

    With one worker the supervisor's largest child is the worker (it holds
    the matcher and serves); helper children are small.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = _children(server_pid)
        if children:
            return max(children, key=rss_mib)
        time.sleep(0.1)
    raise RuntimeError(f"no worker process under {server_pid} after {timeout:.0f} s")


def maximal_texts(chars: int, *, seed: int = 2026) -> Iterator[tuple[str, int]]:
    """Endless distinct ``(text, kind number)`` pairs: one word of ``chars`` astral letters."""
    rng = random.Random(seed)
    index = 0
    while True:
        low, high = _ASTRAL_LETTERS[index % 2]
        word = "".join(chr(rng.randint(low, high)) for _ in range(chars - 8))
        yield word + format(index, "08x"), _KIND_NUMBERS[index % len(_KIND_NUMBERS)]
        index += 1


def measure_memory(
    *,
    terms: int = DEFAULT_TERMS,
    requests: int = DEFAULT_REQUESTS,
    seconds: float = DEFAULT_SECONDS,
    suggestions: int = 50,
    chars: int = 512,
    log: IO[str] | None = None,
) -> MemoryRow:
    """Flood a one-worker server with distinct maximal inputs; its worker's memory."""
    import grpc

    from suggestfilter.v1 import filter_pb2, filter_pb2_grpc

    directory = Path(tempfile.mkdtemp(prefix="suggestfilter-bench-memory-"))
    server: subprocess.Popen[bytes] | None = None
    try:
        db, listed, _, _ = _bench_service._seed_store(directory, terms, log)
        port = _bench_service._free_port()
        target = f"127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                sys.executable, "-m", "suggestfilter", "serve", "--db", db,
                "--host", "127.0.0.1", "--port", str(port), "--no-admin", "--no-metrics",
                "--workers", "1",
            ],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _bench_service._wait_serving(target, server, 300.0)
        worker = find_worker(server.pid)
        texts = maximal_texts(chars)
        sent = errors = 0
        with grpc.insecure_channel(target) as channel:
            stub = filter_pb2_grpc.SuggestionFilterServiceStub(channel)  # type: ignore[no-untyped-call]
            stub.Filter(filter_pb2.FilterRequest(query="warm up"), timeout=30)
            time.sleep(0.5)
            before = peak = rss_mib(worker)
            _log(log, f"worker {worker}: {before:.1f} MiB before; flooding {target}")
            started = time.monotonic()
            while sent < requests and time.monotonic() - started < seconds:
                query, _ = next(texts)
                request = filter_pb2.FilterRequest(query=query, locale="en")
                for _ in range(suggestions):
                    text, kind = next(texts)
                    request.suggestions.add(text=text, kind=kind)  # type: ignore[arg-type]
                try:
                    stub.Filter(request, timeout=30)
                except grpc.RpcError:
                    errors += 1
                sent += 1
                if sent % 10 == 0:
                    peak = max(peak, rss_mib(worker))
                if log is not None and sent % 500 == 0:
                    _log(log, f"{sent:,} requests, worker at {rss_mib(worker):.1f} MiB")
            elapsed = time.monotonic() - started
        time.sleep(0.5)
        after = rss_mib(worker)
        peak = max(peak, after)
    finally:
        _bench_service._stop_server(server)
        shutil.rmtree(directory, ignore_errors=True)
    growth = peak - before
    note = "within the limit" if growth <= GROWTH_LIMIT_MIB else "over the limit"
    if sent < requests:
        note += f"; stopped after {elapsed:.0f} s"
    return MemoryRow(
        figure="flooded worker",
        terms=len(listed),
        requests=sent,
        texts=sent * (suggestions + 1),
        errors=errors,
        before_mib=before,
        peak_mib=peak,
        after_mib=after,
        growth_mib=growth,
        seconds=elapsed,
        worker_pid=worker,
        note=note,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--memory`` and its options to the ``bench`` parser."""
    parser.add_argument(
        "--memory",
        action="store_true",
        help="measure instead the resident memory of a one-worker 'suggestfilter serve' "
        "flooded with distinct maximal inputs (before, peak, after, growth)",
    )
    parser.add_argument(
        "--memory-requests",
        type=int,
        default=DEFAULT_REQUESTS,
        help=f"--memory: requests of 50 suggestions to send at most ({DEFAULT_REQUESTS:,})",
    )
    parser.add_argument(
        "--memory-seconds",
        type=float,
        default=DEFAULT_SECONDS,
        help=f"--memory: seconds of flooding at most ({DEFAULT_SECONDS:g})",
    )
    parser.add_argument(
        "--memory-terms",
        type=int,
        default=DEFAULT_TERMS,
        help=f"--memory: synthetic terms in the served list ({DEFAULT_TERMS:,})",
    )


def method_note() -> str:
    """How the memory figures were measured, to print under the table."""
    return (
        "One-worker 'suggestfilter serve' on a temporary SQLite store with a synthetic list; "
        "unary Filter calls over loopback, each a query and 50 suggestions of 512 code points "
        "(one word of astral-plane letters, every text distinct, every kind in turn); "
        "resident set = VmRSS of the worker from /proc/<pid>/status, before the flood, its "
        f"peak (sampled every 10 requests) and after. Growth = peak - before; it should stay "
        f"within {GROWTH_LIMIT_MIB:.0f} MiB once every cache is bounded in bytes (reported, "
        "not enforced)."
    )


def run_from_args(args: argparse.Namespace) -> int:
    """Run ``bench --memory`` from parsed arguments; print a table, or JSON with ``--json``."""
    from suggestfilter._errors import InvalidInputError

    if args.memory_requests < 1:
        raise InvalidInputError("--memory-requests", "must be at least 1")
    if args.memory_seconds <= 0:
        raise InvalidInputError("--memory-seconds", "must be positive")
    if args.memory_terms < 1:
        raise InvalidInputError("--memory-terms", "must be at least 1")
    row = measure_memory(
        terms=args.memory_terms,
        requests=args.memory_requests,
        seconds=args.memory_seconds,
        log=sys.stderr,
    )
    if getattr(args, "json", False):
        print(json.dumps([row.as_dict()], indent=2))
    else:
        print(format_memory_table([row]))
        print()
        print(method_note())
    return 0
