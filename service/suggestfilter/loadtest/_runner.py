"""The load test's runner: warm-up, duration, client processes, progress and actions.

:func:`run_load` drives a target with a :class:`~suggestfilter.loadtest._corpus.LoadPlan`
for a duration, after a warm-up whose calls are checked but not timed: in this
process, or spread over several spawned client processes (two give more
calls per second than one on 2 cores). It prints a progress line a second,
runs timed actions (e.g. a publish under load) and returns one merged
:class:`~suggestfilter.loadtest._report.LoadResult`.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.synchronize
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import IO, Any

from suggestfilter.loadtest._corpus import LoadPlan
from suggestfilter.loadtest._drivers import (
    CALL_TIMEOUT,
    CLIENT_APIS,
    DRIVERS,
    MODES,
    Lane,
    LoadSettings,
)
from suggestfilter.loadtest._report import LoadResult

_LOGGER = logging.getLogger(__name__)


def _lanes_for(plan: LoadPlan, first: int, count: int, settings: LoadSettings) -> list[Lane]:
    stride = max(1, len(plan.sessions) // 97)
    lanes = [
        Lane(plan, (first + index) * stride, allow_all=settings.allow_all) for index in range(count)
    ]
    for lane in lanes:
        lane.wait_for_ready = settings.retry
    return lanes


def _split(total: int, parts: int) -> list[tuple[int, int]]:
    """(first, count) of each part of ``total`` items split as evenly as possible."""
    base, extra = divmod(total, parts)
    spans, first = [], 0
    for part in range(parts):
        count = base + (1 if part < extra else 0)
        spans.append((first, count))
        first += count
    return spans


def _progress_line(label: str, elapsed: float, requests: int, errors: int, wrong: int) -> str:
    if elapsed <= 0:
        return f"loadtest {label}: warming up  {errors} errors  {wrong} wrong"
    rate = requests / elapsed
    return (
        f"loadtest {label}: {elapsed:5.1f}s  {requests} requests  {rate:8.1f} req/s  "
        f"{errors} errors  {wrong} wrong"
    )


def _report_progress(
    settings: LoadSettings,
    counts: Callable[[], tuple[int, int, int]],
    began: Callable[[], float | None],
    done: threading.Event,
    stream: IO[str] | None,
) -> None:
    while not done.wait(1.0):
        started = began()
        if stream is None or started is None:
            continue
        requests, errors, wrong = counts()
        print(
            _progress_line(
                settings.label,
                time.perf_counter() - started - settings.warmup,
                requests,
                errors,
                wrong,
            ),
            file=stream,
            flush=True,
        )


def _client_process(
    target: str,
    plan: LoadPlan,
    settings: LoadSettings,
    first: int,
    count: int,
    counters: Any,
    ready: multiprocessing.synchronize.Barrier,
    results: Any,
    stop_requested: multiprocessing.synchronize.Event,
) -> None:
    """A spawned client process: drive ``count`` lanes, publish counts, send the result."""
    try:
        lanes = _lanes_for(plan, first, count, settings)
        done = threading.Event()

        def publish() -> None:
            while not done.wait(0.25):
                counters[0] = sum(lane.requests for lane in lanes)
                counters[1] = sum(sum(lane.errors.values()) for lane in lanes)
                counters[2] = sum(lane.wrong for lane in lanes)

        publisher = threading.Thread(target=publish, daemon=True)
        publisher.start()

        def start() -> None:
            ready.wait(60)

        elapsed = DRIVERS[settings.api](target, lanes, settings, start, stop_requested)
        done.set()
        merged = _merge_lanes(lanes, settings, elapsed)
        results.put(("ok", merged.to_transport()))
    except BaseException as error:  # reported to the parent, which raises
        with contextlib.suppress(Exception):
            ready.abort()
        results.put(("error", f"{type(error).__name__}: {error}"))


def _merge_lanes(lanes: Sequence[Lane], settings: LoadSettings, elapsed: float) -> LoadResult:
    merged = LoadResult(label=settings.label, mode=settings.mode, elapsed=elapsed)
    for lane in lanes:
        merged.merge(lane.result(settings.label, settings.mode, elapsed))
    return merged


def run_load(
    target: str,
    plan: LoadPlan,
    settings: LoadSettings,
    *,
    progress: IO[str] | None = sys.stderr,
    actions: Sequence[tuple[float, Callable[[], None]]] = (),
    stop: threading.Event | None = None,
) -> LoadResult:
    """Drive ``target`` with ``plan`` for ``settings.duration`` seconds; return what happened.

    Every lane connects and waits until its channel is ready before the
    clock starts. Progress goes to ``progress`` once a second (None: quiet).
    ``actions`` are ``(seconds, callable)``: each callable runs in a thread of
    this process that many seconds after the clock starts (e.g. a publish
    under load). Setting ``stop`` ends the run before ``settings.duration``.
    Raises RuntimeError when a client process or an action fails, or the
    target never becomes ready.
    """
    if settings.mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    if settings.api not in DRIVERS:
        raise ValueError(f"client api must be one of {', '.join(CLIENT_APIS)}")
    if not plan.sessions:
        raise ValueError("the load plan has no sessions")
    began: list[float] = []
    done = threading.Event()
    failures: list[str] = []
    runner = threading.Thread(
        target=_run_actions, args=(actions, began, settings.warmup, done, failures), daemon=True
    )
    runner.start()
    try:
        result = _run(target, plan, settings, progress, began, done, stop)
    finally:
        done.set()
        runner.join()
    if failures:
        raise RuntimeError("an action under load failed: " + failures[0])
    return result


def _run_actions(
    actions: Sequence[tuple[float, Callable[[], None]]],
    began: list[float],
    warmup: float,
    done: threading.Event,
    failures: list[str],
) -> None:
    """Run each action at its offset after the clock starts (stop early when ``done``)."""
    while not began:
        if done.wait(0.01):
            return
    for offset, action in sorted(actions, key=lambda pair: pair[0]):
        delay = began[0] + warmup + offset - time.perf_counter()
        if delay > 0 and done.wait(delay):
            return
        try:
            action()
        except Exception as error:
            _LOGGER.exception("action under load failed")
            failures.append(f"{type(error).__name__}: {error}")


def _run(
    target: str,
    plan: LoadPlan,
    settings: LoadSettings,
    progress: IO[str] | None,
    began: list[float],
    done: threading.Event,
    stop: threading.Event | None,
) -> LoadResult:
    if settings.client_processes <= 0:
        lanes = _lanes_for(plan, 0, settings.concurrency, settings)
        reporter = threading.Thread(
            target=_report_progress,
            args=(
                settings,
                lambda: (
                    sum(lane.requests for lane in lanes),
                    sum(sum(lane.errors.values()) for lane in lanes),
                    sum(lane.wrong for lane in lanes),
                ),
                lambda: began[0] if began else None,
                done,
                progress,
            ),
            daemon=True,
        )
        reporter.start()
        try:
            elapsed = DRIVERS[settings.api](
                target,
                lanes,
                settings,
                lambda: began.append(time.perf_counter()),
                stop if stop is not None else threading.Event(),
            )
        finally:
            done.set()
        return _merge_lanes(lanes, settings, elapsed)
    return _run_in_processes(target, plan, settings, progress, began, done, stop)


def _run_in_processes(
    target: str,
    plan: LoadPlan,
    settings: LoadSettings,
    progress: IO[str] | None,
    began: list[float],
    done: threading.Event,
    stop: threading.Event | None,
) -> LoadResult:
    context = multiprocessing.get_context("spawn")
    stop_requested = context.Event()
    if stop is not None:

        def forward() -> None:
            while not done.wait(0.05):
                if stop.is_set():
                    stop_requested.set()
                    return

        threading.Thread(target=forward, daemon=True).start()
    processes = min(settings.client_processes, settings.concurrency)
    ready = context.Barrier(processes + 1)
    results = context.Queue()
    counters = [context.RawArray("q", 3) for _ in range(processes)]
    children = [
        context.Process(
            target=_client_process,
            args=(
                target,
                plan,
                settings,
                first,
                count,
                counters[index],
                ready,
                results,
                stop_requested,
            ),
            daemon=True,
        )
        for index, (first, count) in enumerate(_split(settings.concurrency, processes))
    ]
    for child in children:
        child.start()
    reporter = threading.Thread(
        target=_report_progress,
        args=(
            settings,
            lambda: tuple(sum(counter[i] for counter in counters) for i in range(3)),
            lambda: began[0] if began else None,
            done,
            progress,
        ),
        daemon=True,
    )
    reporter.start()
    try:
        with contextlib.suppress(threading.BrokenBarrierError):
            ready.wait(120)
        began.append(time.perf_counter())
        merged = LoadResult(label=settings.label, mode=settings.mode)
        failures = []
        deadline = time.monotonic() + settings.warmup + settings.duration + CALL_TIMEOUT * 4 + 120
        for _ in children:
            status, payload = results.get(timeout=max(1.0, deadline - time.monotonic()))
            if status == "ok":
                merged.merge(LoadResult.from_transport(payload))
            else:
                failures.append(payload)
        if failures:
            raise RuntimeError("a client process failed: " + failures[0])
        return merged
    finally:
        done.set()
        for child in children:
            child.join(10)
            if child.is_alive():
                child.kill()
                child.join()
