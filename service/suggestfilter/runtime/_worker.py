"""The processes that ``suggestfilter serve`` forks: public workers, admin and metrics.

Most users can ignore this module: :mod:`suggestfilter.runtime._supervisor` forks
these (:mod:`suggestfilter.runtime._children`) and talks to each over one
pipe of :mod:`suggestfilter.runtime._protocol` messages.

- A **public worker** starts with the list the supervisor compiled (or
  none: then it fails closed, NOT_SERVING and UNAVAILABLE). It inherits the
  compiled matcher from the supervisor copy-on-write, installs it before its
  server starts (so it never reports SERVING without a list), binds the shared
  public port with SO_REUSEPORT, and reports :class:`Ready`. It serves that
  list until it drains, unless the supervisor tells it to switch a small list
  in place (:class:`Switch`, see :class:`InPlaceSwitcher`), which it answers
  with :class:`Switched` or :class:`SwitchFailed`. :class:`StoreReachable`
  sets the health of :data:`STORE_HEALTH_SERVICE`. Reports (the public
  ``Report`` call) go through the worker's own store connection, opened on
  the first report, after the fork.
- The **admin child** runs the admin gRPC API on its own port.
- The **metrics child** serves ``/metrics`` over HTTP.

A child that cannot start sends :class:`Failed` and exits 1. :class:`Stop`,
the end of the pipe (the supervisor died) and SIGTERM each make it drain and
exit 0; SIGINT is ignored (a terminal's Ctrl-C reaches the supervisor, which
drains everyone).

Draining: health turns NOT_SERVING for good, then ``server.stop(grace)``
refuses new calls (GOAWAY, so clients move to the other workers), lets
in-flight calls and open streams finish for up to ``grace`` seconds, and
cancels what is still running after that. The child then exits 0.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from suggestfilter._errors import StoreUnavailableError
from suggestfilter._model import SuggestionKind
from suggestfilter.rpc._tls import TlsFiles
from suggestfilter.runtime._loader import ListLoader, ListRefused
from suggestfilter.runtime._protocol import (
    ControlMessage,
    Failed,
    Ready,
    Stop,
    StoreReachable,
    Switch,
    Switched,
    SwitchFailed,
    send,
)
from suggestfilter.serving._metrics_http import create_metrics_http_server
from suggestfilter.serving._state import LoadedList, ServingState
from suggestfilter.store import Store, open_store

if TYPE_CHECKING:
    from suggestfilter.admin._auth import TokenRegistry
    from suggestfilter.rpc._limits import Limits

_LOGGER = logging.getLogger(__name__)

STORE_HEALTH_SERVICE = "suggestfilter.store"
"""Health service name that reports whether the term store is reachable.

SERVING while the supervisor reaches the store, NOT_SERVING while it does not
(the filter keeps serving its last good list meanwhile, so the filter's own
health stays SERVING)."""


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """What every public worker of one ``serve`` needs besides its list.

    ``address`` is ``host:port`` of the shared public port; ``grace`` the
    drain time in seconds; ``threads`` the gRPC threads per worker (each open
    FilterSession stream holds one).
    """

    address: str
    store_location: str
    grace: float = 5.0
    threads: int = 8
    limits: Limits | None = None
    tls: TlsFiles | None = None


@dataclass(frozen=True, slots=True)
class AdminSettings:
    """What the admin child needs: its address, the store, the token registry and TLS."""

    address: str
    store_location: str
    tokens: TokenRegistry
    grace: float = 5.0
    tls: TlsFiles | None = None


class StoreReportSink:
    """Writes user reports through this process's own store connection.

    The connection is opened on the first report (after the fork: SQLite and
    PostgreSQL connections must not cross a fork), used by one thread at a
    time, and reopened after the store was unreachable.
    """

    def __init__(self, store_location: str) -> None:
        self._location = store_location
        self._store: Store | None = None
        self._lock = threading.Lock()

    def __call__(
        self, text: str, kind: SuggestionKind, locale: str, reason: str, reporter: str
    ) -> str:
        """Store one report; return its id (errors as the store raises them)."""
        with self._lock:
            if self._store is None:
                self._store = open_store(self._location)
            try:
                return self._store.add_report(text, kind, locale, reason, reporter)
            except StoreUnavailableError:
                self._close_locked()
                raise

    def _close_locked(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            with contextlib.suppress(Exception):
                store.close()

    def close(self) -> None:
        """Close the connection if one is open."""
        with self._lock:
            self._close_locked()


class InPlaceSwitcher:
    """Switches a worker's :class:`ServingState` to another list version, in place.

    Each request (:meth:`request`) is handled, one at a time and in order, by
    one background thread (never a gRPC handler thread): a
    :class:`~suggestfilter.runtime._loader.ListLoader` loads the version
    through this process's own store connection (opened on first use, after
    the fork), verifies that its checksum is the one the supervisor expects,
    and compiles the matcher; :meth:`ServingState.swap` installs it with one
    reference assignment. Every call decided afterwards, including the next
    keystroke of an open FilterSession stream, uses the new list; a call never
    mixes two lists. The list served just before stays compiled, so switching
    back to it (a rollback) skips the load and the compile. The outcome goes
    to ``report``: :class:`Switched` or :class:`SwitchFailed`.
    """

    def __init__(
        self,
        store_location: str,
        state: ServingState,
        report: Callable[[Switched | SwitchFailed], None],
    ) -> None:
        self._location = store_location
        self._state = state
        self._report = report
        self._store: Store | None = None
        self._loader = ListLoader(state.current)
        self._requests: queue.SimpleQueue[Switch | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="list-switch", daemon=True)
        self._thread.start()

    def request(self, switch: Switch) -> None:
        """Queue a switch; returns at once."""
        self._requests.put(switch)

    def close(self) -> None:
        """Finish the queued switches, stop the thread and close the store connection."""
        self._requests.put(None)
        self._thread.join(timeout=30.0)

    def _run(self) -> None:
        while True:
            switch = self._requests.get()
            if switch is None:
                break
            try:
                self._switch(switch)
            except Exception as error:  # any failure: keep serving what we have
                cause = error.cause if isinstance(error, ListRefused) else error
                self._close_store()
                _LOGGER.error(
                    "worker %d: list version %d not switched in place (%s: %s)",
                    os.getpid(),
                    switch.version,
                    type(cause).__name__,
                    cause,
                )
                reason = " ".join(f"{type(cause).__name__}: {cause}".split())
                self._report(SwitchFailed(switch.version, reason))
            else:
                self._report(Switched(switch.version))
        self._close_store()

    def _switch(self, switch: Switch) -> None:
        started = time.perf_counter()
        current = self._state.current
        if current is not None and (current.version, current.checksum) == (
            switch.version,
            switch.checksum,
        ):
            return
        if self._store is None:
            self._store = open_store(self._location)
        loaded = self._loader.load(self._store, switch.version, switch.checksum)
        self._state.swap(loaded)
        self._loader.accept(loaded)
        _LOGGER.info(
            "worker %d: list version %d (%d terms) serving in place after %.3f s",
            os.getpid(),
            switch.version,
            loaded.matcher.term_count,
            time.perf_counter() - started,
        )

    def _close_store(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            with contextlib.suppress(Exception):
                store.close()


class _StopSignal:
    """SIGTERM handling of a child: a flag plus a wakeup pipe that the wait watches."""

    def __init__(self) -> None:
        self.read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        self.received = False
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, self._handle)
        signal.set_wakeup_fd(self._write_fd)

    def _handle(self, signum: int, frame: Any) -> None:
        self.received = True


def _wait_for_stop(
    connection: Connection, stop: _StopSignal, on_message: Callable[[ControlMessage], None]
) -> str:
    """Block until :class:`Stop`, the end of the pipe, or SIGTERM; return which."""
    while True:
        if stop.received:
            return "SIGTERM"
        readable = wait([connection, stop.read_fd], 1.0)
        if stop.read_fd in readable:
            with contextlib.suppress(OSError):
                os.read(stop.read_fd, 512)
        if connection in readable:
            try:
                message = connection.recv()
            except (EOFError, OSError):
                return "supervisor gone"
            if isinstance(message, Stop):
                return "stop"
            on_message(message)


def _ignore(message: ControlMessage) -> None:
    """The control messages of a child that only knows :class:`Stop`."""


def run_public_worker(
    settings: WorkerSettings,
    loaded: LoadedList | None,
    connection: Connection,
    *,
    store_reachable: bool,
) -> int:
    """Serve ``loaded`` (or fail closed) on the shared port until told to stop; return 0.

    Runs in a freshly forked child that has created no gRPC object yet;
    ``connection`` is its end of the pipe to the supervisor.
    """
    # The servers import the metrics, which must follow serve's switch to multiprocess mode.
    from grpc_health.v1 import health_pb2

    from suggestfilter.serving._server import create_public_server

    stop = _StopSignal()
    state = ServingState()
    if loaded is not None:
        state.swap(loaded)

    def set_store_health(reachable: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if reachable
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        state.health.set(STORE_HEALTH_SERVICE, status)

    set_store_health(store_reachable)
    sink = StoreReportSink(settings.store_location)
    try:
        server, _ = create_public_server(
            settings.address,
            state,
            limits=settings.limits,
            report_sink=sink,
            reuse_port=True,
            max_workers=settings.threads,
            credentials=None if settings.tls is None else settings.tls.server_credentials(),
        )
        server.start()
    except Exception as error:
        send(connection, Failed(str(error)))
        return 1
    version = loaded.version if loaded is not None else None
    _LOGGER.info("worker %d serving list version %s", os.getpid(), version)
    send(connection, Ready(version))

    switcher = InPlaceSwitcher(
        settings.store_location, state, lambda answer: send(connection, answer)
    )

    def on_message(message: ControlMessage) -> None:
        if isinstance(message, StoreReachable):
            set_store_health(message.reachable)
        elif isinstance(message, Switch):
            switcher.request(message)

    reason = _wait_for_stop(connection, stop, on_message)
    _LOGGER.info("worker %d draining (%s), grace %.1f s", os.getpid(), reason, settings.grace)
    state.enter_graceful_shutdown()
    server.stop(settings.grace).wait()
    switcher.close()
    sink.close()
    _LOGGER.info("worker %d stopped", os.getpid())
    return 0


def run_admin_child(settings: AdminSettings, connection: Connection) -> int:
    """Serve the admin API on its own port until told to stop; return 0."""
    stop = _StopSignal()
    try:
        from suggestfilter.admin._server import create_admin_server  # see run_public_worker

        server, _ = create_admin_server(
            settings.address,
            settings.store_location,
            tokens=settings.tokens,
            credentials=None if settings.tls is None else settings.tls.server_credentials(),
        )
        server.start()
    except Exception as error:
        send(connection, Failed(str(error)))
        return 1
    send(connection, Ready())
    reason = _wait_for_stop(connection, stop, _ignore)
    _LOGGER.info("admin server draining (%s)", reason)
    server.stop(settings.grace).wait()
    return 0


def run_metrics_child(host: str, port: int, connection: Connection) -> int:
    """Serve ``/metrics`` (the sum over every process) until told to stop; return 0."""
    stop = _StopSignal()
    try:
        server = create_metrics_http_server(host, port)
    except OSError as error:
        send(connection, Failed(f"cannot listen on {host}:{port}: {error}"))
        return 1
    thread = threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True)
    thread.start()
    send(connection, Ready())
    _wait_for_stop(connection, stop, _ignore)
    server.shutdown()
    server.server_close()
    return 0
