"""The load test's drivers: lanes of unary calls or typing-session streams.

A :class:`Lane` is one connection's share of the load: it cycles the plan's
sessions with one call (unary ``Filter``) or one typing session's stream
(``FilterSession``) in flight, checks every response with the oracle and
times it. The lanes of one process run from threads (grpc's sync stubs) or an
asyncio loop (``grpc.aio``); :data:`DRIVERS` names both. Measured on 2 cores
against the echo floor: sync stubs give more unary calls per second (about
2,500 vs 2,060), ``grpc.aio`` more stream messages (about 3,480 vs 2,070).
:mod:`suggestfilter.loadtest._runner` runs the lanes in this process or in
client processes.

A response names the list version that decided it; every connection's and
stream's versions are tracked (:class:`VersionTrack`) and must never go back.
"""

from __future__ import annotations

import array
import asyncio
import collections
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

import grpc
import grpc.aio

from suggestfilter.client import FRONTEND_CHANNEL_OPTIONS
from suggestfilter.loadtest._corpus import LoadPlan, PlannedKeystroke
from suggestfilter.loadtest._oracle import check_response
from suggestfilter.loadtest._report import MAX_SAMPLES, LoadResult, new_histogram
from suggestfilter.v1 import filter_pb2

_LOGGER = logging.getLogger(__name__)

FILTER_METHOD: Final = "/suggestfilter.v1.SuggestionFilterService/Filter"
SESSION_METHOD: Final = "/suggestfilter.v1.SuggestionFilterService/FilterSession"
CALL_TIMEOUT: Final = 10.0
MODES: Final = ("unary", "stream")


@dataclass(frozen=True, slots=True)
class LoadSettings:
    """How to drive a target.

    ``concurrency`` is the number of connections, each with one call (unary)
    or one typing session's stream in flight. ``client_processes`` spreads
    them over that many spawned processes (0 runs them in this process).
    ``allow_all`` checks responses as the echo floor answers them.
    ``warmup`` seconds of load run first, checked but neither timed nor
    counted in the throughput. ``window`` (start, end), in seconds after the
    clock starts, selects calls for the result's window histogram. ``retry``
    makes the client resilient as a frontend should be: every channel gets
    :data:`suggestfilter.client.FRONTEND_CHANNEL_OPTIONS` (retry policy, 50 ms
    reconnect backoff), and calls wait for a connection (``wait_for_ready``)
    within their deadline. Off, every failure counts. A lane whose channel is not ready within
    ``connect_timeout`` seconds fails the run.
    """

    mode: str = "unary"
    concurrency: int = 8
    duration: float = 10.0
    api: str = "sync"
    client_processes: int = 1
    allow_all: bool = False
    label: str = "service"
    warmup: float = 0.0
    window: tuple[float, float] | None = None
    retry: bool = False
    connect_timeout: float = CALL_TIMEOUT


# ---------------------------------------------------------------------------
# Lanes: one connection each, one call in flight
# ---------------------------------------------------------------------------


class VersionTrack:
    """The list versions one connection or stream has seen, in order."""

    __slots__ = ("backwards", "last", "switches")

    def __init__(self) -> None:
        self.last = 0
        self.switches = 0
        self.backwards = 0

    def see(self, version: int) -> None:
        if version != self.last:
            if self.last:
                self.switches += 1
                if version < self.last:
                    self.backwards += 1
            self.last = version


class _StatusError(Exception):
    """A call that ended with a non-OK status without raising (a stream's trailing status)."""

    def __init__(self, code: grpc.StatusCode, details: str | None) -> None:
        super().__init__(f"{code.name}: {details}")
        self._code = code
        self._details = details or ""

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


def _guarded(driver: Callable[..., None]) -> Callable[..., None]:
    """``driver`` with any unexpected exception counted on its lane instead of lost."""

    def run(lane: Lane, *args: Any) -> None:
        try:
            driver(lane, *args)
        except Exception as error:
            _LOGGER.exception("load lane failed")
            lane.failed(error)

    return run


class Lane:
    """One connection's share of the load: its sessions, counts and histogram."""

    def __init__(self, plan: LoadPlan, offset: int, *, allow_all: bool) -> None:
        self.plan = plan
        self.offset = offset
        self.allow_all = allow_all
        # With the frontend retry settings, calls wait for a connection instead of failing fast.
        self.wait_for_ready = False
        self.requests = 0
        self.wrong = 0
        self.errors: collections.Counter[str] = collections.Counter()
        self.wrong_samples: list[str] = []
        self.error_samples: list[str] = []
        self.versions: collections.Counter[int] = collections.Counter()
        self.connection = VersionTrack()
        self.max_stream_switches = 0
        self.histogram = new_histogram()
        # Calls started before this (the warm-up) are checked but not timed or counted.
        self.record_from_ns = 0
        # Calls started in [window_from_ns, window_to_ns) also go to the window histogram.
        self.window_from_ns = 0
        self.window_to_ns = 0
        self.window_histogram = new_histogram()
        self.timeline_ms = array.array("I")
        self.timeline_us = array.array("I")
        self.version_first_ns: dict[int, int] = {}
        self.version_last_ns: dict[int, int] = {}

    def sessions(self) -> Iterable[tuple[PlannedKeystroke, ...]]:
        """The plan's sessions, endlessly, starting at this lane's offset."""
        sessions = self.plan.sessions
        position = self.offset % len(sessions)
        while True:
            yield sessions[position]
            position = (position + 1) % len(sessions)

    def answered(
        self,
        planned: PlannedKeystroke,
        payload: bytes,
        started_ns: int,
        stream: VersionTrack | None,
    ) -> None:
        now_ns = time.perf_counter_ns()
        if started_ns >= self.record_from_ns:
            latency_us = max(1, (now_ns - started_ns) // 1000)
            self.histogram.record_value(latency_us)
            self.requests += 1
            self.timeline_ms.append((started_ns - self.record_from_ns) // 1_000_000)
            self.timeline_us.append(min(latency_us, 0xFFFFFFFF))
            if self.window_from_ns <= started_ns < self.window_to_ns:
                self.window_histogram.record_value(latency_us)
        try:
            response = filter_pb2.FilterResponse.FromString(payload)
        except Exception as error:  # a malformed response is a wrong answer
            problem: str | None = f"unparseable response: {type(error).__name__}"
        else:
            version = int(response.list_version)
            if version not in self.versions:
                self.version_first_ns[version] = now_ns
            self.version_last_ns[version] = now_ns
            self.versions[version] += 1
            self.connection.see(version)
            if stream is not None:
                stream.see(version)
            problem = check_response(planned.keystroke, response, allow_all=self.allow_all)
        if problem is not None:
            self.wrong += 1
            if len(self.wrong_samples) < MAX_SAMPLES:
                self.wrong_samples.append(problem)

    def failed(self, error: BaseException) -> None:
        if isinstance(error, grpc.RpcError | _StatusError):
            code, details = error.code(), error.details()  # type: ignore[union-attr]
            name = code.name if isinstance(code, grpc.StatusCode) else str(code)
        else:
            name, details = type(error).__name__, str(error)
        self.errors[name] += 1
        if len(self.error_samples) < MAX_SAMPLES:
            self.error_samples.append(f"{name}: {details}")

    def stream_done(self, stream: VersionTrack) -> None:
        self.max_stream_switches = max(self.max_stream_switches, stream.switches)
        # A stream's own reversal is also counted on its connection's track.

    def result(self, label: str, mode: str, elapsed: float) -> LoadResult:
        return LoadResult(
            label=label,
            mode=mode,
            elapsed=elapsed,
            requests=self.requests,
            wrong=self.wrong,
            errors=self.errors,
            wrong_samples=self.wrong_samples,
            error_samples=self.error_samples,
            versions=self.versions,
            connections=1,
            switches=self.connection.switches,
            max_switches_per_connection=max(self.connection.switches, self.max_stream_switches),
            backwards=self.connection.backwards,
            histogram=self.histogram,
            window_histogram=self.window_histogram,
            timeline_ms=self.timeline_ms,
            timeline_us=self.timeline_us,
            version_first_seen={
                v: (ns - self.record_from_ns) / 1e9 for v, ns in self.version_first_ns.items()
            },
            version_last_seen={
                v: (ns - self.record_from_ns) / 1e9 for v, ns in self.version_last_ns.items()
            },
        )


def _channel_options(*, retry: bool = False) -> list[tuple[str, Any]]:
    # A local subchannel pool gives every channel its own TCP connection, so
    # SO_REUSEPORT spreads the lanes over the server's worker processes.
    return [
        *(FRONTEND_CHANNEL_OPTIONS if retry else ()),
        ("grpc.use_local_subchannel_pool", 1),
        ("grpc.max_receive_message_length", 16 * 1024 * 1024),
    ]


# ---------------------------------------------------------------------------
# Drivers: the lanes of one process
# ---------------------------------------------------------------------------

# --- sync stubs in threads ---------------------------------------------------


def _sync_unary_lane(lane: Lane, channel: grpc.Channel, stop: threading.Event) -> None:
    call = channel.unary_unary(FILTER_METHOD, None, None)
    for session in lane.sessions():
        for planned in session:
            if stop.is_set():
                return
            started = time.perf_counter_ns()
            try:
                payload = call(
                    planned.request, timeout=CALL_TIMEOUT, wait_for_ready=lane.wait_for_ready
                )
            except grpc.RpcError as error:
                lane.failed(error)
                continue
            lane.answered(planned, payload, started, None)


def _sync_stream_lane(lane: Lane, channel: grpc.Channel, stop: threading.Event) -> None:
    call = channel.stream_stream(SESSION_METHOD, None, None)
    for session in lane.sessions():
        if stop.is_set():
            return
        track = VersionTrack()
        turn = threading.Semaphore(0)
        sent: list[tuple[PlannedKeystroke, int]] = []

        def requests(
            session: tuple[PlannedKeystroke, ...] = session,
            turn: threading.Semaphore = turn,
            sent: list[tuple[PlannedKeystroke, int]] = sent,
        ) -> Iterator[bytes]:
            for planned in session:
                if stop.is_set():
                    return
                sent.append((planned, time.perf_counter_ns()))
                yield planned.request
                # Type the next key only once this one is answered.
                if not turn.acquire(timeout=CALL_TIMEOUT):
                    return

        answered = 0
        try:
            responses = call(
                requests(), timeout=CALL_TIMEOUT * 3, wait_for_ready=lane.wait_for_ready
            )
            for payload in responses:
                planned, started = sent[answered]
                lane.answered(planned, payload, started, track)
                answered += 1
                turn.release()
        except grpc.RpcError as error:
            lane.failed(error)
        finally:
            turn.release()
        lane.stream_done(track)


class _StopSignal(Protocol):
    """A threading or multiprocessing Event: asks a run to stop before its duration."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = ...) -> bool: ...


def _unreachable(target: str, settings: LoadSettings) -> RuntimeError:
    return RuntimeError(f"cannot connect to {target} within {settings.connect_timeout:g} s")


def _begin(lanes: Sequence[Lane], warmup: float, window: tuple[float, float] | None) -> float:
    """Start the clock: calls started within ``warmup`` seconds from now are not timed."""
    began = time.perf_counter()
    record_from_ns = time.perf_counter_ns() + int(warmup * 1e9)
    for lane in lanes:
        lane.record_from_ns = record_from_ns
        if window is not None:
            lane.window_from_ns = record_from_ns + int(window[0] * 1e9)
            lane.window_to_ns = record_from_ns + int(window[1] * 1e9)
    return began


def _run_sync_lanes(
    target: str,
    lanes: Sequence[Lane],
    settings: LoadSettings,
    start: Callable[[], None],
    stop_requested: _StopSignal,
) -> float:
    driver = _guarded(_sync_unary_lane if settings.mode == "unary" else _sync_stream_lane)
    options = _channel_options(retry=settings.retry)
    channels = [grpc.insecure_channel(target, options=options) for _ in lanes]
    try:
        for channel in channels:
            try:
                grpc.channel_ready_future(channel).result(timeout=settings.connect_timeout)
            except grpc.FutureTimeoutError:
                raise _unreachable(target, settings) from None
        stop = threading.Event()
        threads = [
            threading.Thread(target=driver, args=(lane, channel, stop), daemon=True)
            for lane, channel in zip(lanes, channels, strict=True)
        ]
        start()
        began = _begin(lanes, settings.warmup, settings.window)
        for thread in threads:
            thread.start()
        stop_requested.wait(settings.warmup + settings.duration)
        stop.set()
        elapsed = time.perf_counter() - began - settings.warmup
        for thread in threads:
            thread.join(CALL_TIMEOUT * 3)
        return elapsed
    finally:
        for channel in channels:
            channel.close()


# --- grpc.aio ----------------------------------------------------------------


async def _aio_unary_lane(lane: Lane, channel: Any, stop: asyncio.Event) -> None:
    call = channel.unary_unary(FILTER_METHOD, None, None)
    for session in lane.sessions():
        for planned in session:
            if stop.is_set():
                return
            started = time.perf_counter_ns()
            try:
                payload = await call(
                    planned.request, timeout=CALL_TIMEOUT, wait_for_ready=lane.wait_for_ready
                )
            except grpc.RpcError as error:
                lane.failed(error)
                continue
            lane.answered(planned, payload, started, None)


async def _aio_stream_lane(lane: Lane, channel: Any, stop: asyncio.Event) -> None:
    method = channel.stream_stream(SESSION_METHOD, None, None)
    end_of_stream = grpc.aio.EOF  # type: ignore[attr-defined]
    for session in lane.sessions():
        if stop.is_set():
            return
        track = VersionTrack()
        call = method(timeout=CALL_TIMEOUT * 3, wait_for_ready=lane.wait_for_ready)
        try:
            for planned in session:
                if stop.is_set():
                    break
                started = time.perf_counter_ns()
                await call.write(planned.request)
                payload = await call.read()
                if payload is end_of_stream:
                    break
                lane.answered(planned, payload, started, track)
            await call.done_writing()
            while await call.read() is not end_of_stream:
                lane.failed(RuntimeError("a response beyond the requests"))
            code = await call.code()
            if code is not grpc.StatusCode.OK:
                lane.failed(_StatusError(code, await call.details()))
        except grpc.RpcError as error:
            lane.failed(error)
        lane.stream_done(track)


def _run_aio_lanes(
    target: str,
    lanes: Sequence[Lane],
    settings: LoadSettings,
    start: Callable[[], None],
    stop_requested: _StopSignal,
) -> float:
    lane_driver = _aio_unary_lane if settings.mode == "unary" else _aio_stream_lane
    options = _channel_options(retry=settings.retry)

    async def driver(lane: Lane, channel: Any, stop: asyncio.Event) -> None:
        try:
            await lane_driver(lane, channel, stop)
        except Exception as error:
            _LOGGER.exception("load lane failed")
            lane.failed(error)

    async def main() -> float:
        channels = [grpc.aio.insecure_channel(target, options=options) for _ in lanes]
        try:
            for channel in channels:
                try:
                    await asyncio.wait_for(channel.channel_ready(), settings.connect_timeout)
                except TimeoutError:
                    raise _unreachable(target, settings) from None
            stop = asyncio.Event()
            start()
            began = _begin(lanes, settings.warmup, settings.window)
            tasks = [
                asyncio.create_task(driver(lane, channel, stop))
                for lane, channel in zip(lanes, channels, strict=True)
            ]
            ends = time.perf_counter() + settings.warmup + settings.duration
            while not stop_requested.is_set() and time.perf_counter() < ends:
                await asyncio.sleep(min(0.05, max(0.0, ends - time.perf_counter())))
            stop.set()
            elapsed = time.perf_counter() - began - settings.warmup
            await asyncio.wait(tasks, timeout=CALL_TIMEOUT * 3)
            return elapsed
        finally:
            for channel in channels:
                await channel.close(None)

    return asyncio.run(main())


DRIVERS: Final = {"sync": _run_sync_lanes, "aio": _run_aio_lanes}
CLIENT_APIS: Final = tuple(DRIVERS)
