"""The processes that ``suggestfilter serve`` forks: public workers and the admin server.

Most users can ignore this module: :mod:`suggestfilter.runtime._supervisor` forks
these and talks to them over two pipes.

- A **public worker** starts with the list the supervisor compiled (or
  none: then it fails closed, NOT_SERVING and UNAVAILABLE). It inherits the
  compiled matcher from the supervisor copy-on-write, installs it before its
  server starts (so it never reports SERVING without a list), binds the shared
  public port with SO_REUSEPORT, and reports ``ready``. It serves that list
  until it drains, unless the supervisor tells it to switch a small list in
  place (``switch``). Reports (the public
  ``Report`` call) go through the worker's own store connection, opened on the
  first report, after the fork.
- The **admin child** runs the admin gRPC API on its own port.

Control protocol (one line per message, supervisor → child on the control
pipe): ``stop`` drains and exits; ``store-reachable`` / ``store-unreachable``
set the health of :data:`STORE_HEALTH_SERVICE`; ``switch <version>
<checksum>`` switches a public worker to that list version in place (see
:class:`InPlaceSwitcher`). End of file on the control pipe (the supervisor
died) also drains and exits; so does SIGTERM. SIGINT is ignored: a terminal's
Ctrl-C reaches the supervisor, which drains everyone.

Status protocol (child → supervisor on the status pipe): ``ready`` once the
server listens, or ``failed: <reason>`` before exiting 1. After ``ready``, a
public worker answers each ``switch`` with ``switched <version>`` once it
serves that version, or ``switch-failed <version>: <reason>`` while it keeps
serving the list it had.

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
import select
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from suggestfilter._errors import ChecksumError, StoreUnavailableError
from suggestfilter._model import SuggestionKind
from suggestfilter.rpc._tls import TlsFiles

if TYPE_CHECKING:
    import grpc

    from suggestfilter.admin._auth import TokenRegistry
    from suggestfilter.rpc._limits import Limits
    from suggestfilter.serving._state import LoadedList, ServingState
    from suggestfilter.store import Store

_LOGGER = logging.getLogger(__name__)

STORE_HEALTH_SERVICE = "suggestfilter.store"
"""Health service name that reports whether the term store is reachable.

SERVING while the supervisor reaches the store, NOT_SERVING while it does not
(the filter keeps serving its last good list meanwhile, so the filter's own
health stays SERVING)."""

MESSAGE_STOP = "stop"
MESSAGE_STORE_REACHABLE = "store-reachable"
MESSAGE_STORE_UNREACHABLE = "store-unreachable"
MESSAGE_SWITCH = "switch"
STATUS_READY = "ready"
STATUS_FAILED = "failed"
STATUS_SWITCHED = "switched"
STATUS_SWITCH_FAILED = "switch-failed"


def switch_message(version: int, checksum: str) -> str:
    """The control line that asks a public worker to serve ``version`` in place."""
    return f"{MESSAGE_SWITCH} {version} {checksum}"


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
        from suggestfilter.store import open_store

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
    one background thread (never a gRPC handler thread): it loads the version
    through this process's own store connection (opened on first use, after
    the fork; the store verifies the checksum), checks that the checksum is
    the one the supervisor expects, compiles the matcher and installs it with
    :meth:`ServingState.swap`, one reference assignment. Every call decided
    afterwards, including the next keystroke of an open FilterSession stream,
    uses the new list; a call never mixes two lists. The list served just
    before stays compiled, so switching back to it (a rollback) skips the load
    and the compile. The outcome goes to ``report`` as one status line.
    """

    def __init__(
        self, store_location: str, state: ServingState, report: Callable[[str], None]
    ) -> None:
        self._location = store_location
        self._state = state
        self._report = report
        self._store: Store | None = None
        self._previous: LoadedList | None = None
        self._requests: queue.SimpleQueue[tuple[int, str] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="list-switch", daemon=True)
        self._thread.start()

    def request(self, version: int, checksum: str) -> None:
        """Queue a switch to ``version`` (expected ``checksum``); returns at once."""
        self._requests.put((version, checksum))

    def close(self) -> None:
        """Finish the queued switches, stop the thread and close the store connection."""
        self._requests.put(None)
        self._thread.join(timeout=30.0)

    def _run(self) -> None:
        while True:
            item = self._requests.get()
            if item is None:
                break
            version, checksum = item
            try:
                self._switch(version, checksum)
            except Exception as error:  # any failure: keep serving what we have
                self._close_store()
                _LOGGER.error(
                    "worker %d: list version %d not switched in place (%s: %s)",
                    os.getpid(),
                    version,
                    type(error).__name__,
                    error,
                )
                reason = " ".join(f"{type(error).__name__}: {error}".split())
                self._report(f"{STATUS_SWITCH_FAILED} {version}: {reason}")
            else:
                self._report(f"{STATUS_SWITCHED} {version}")
        self._close_store()

    def _switch(self, version: int, checksum: str) -> None:
        from suggestfilter.engine._matcher import Matcher
        from suggestfilter.serving._state import LoadedList
        from suggestfilter.store import open_store

        started = time.perf_counter()
        current = self._state.current
        if current is not None and current.version == version and current.checksum == checksum:
            return
        previous = self._previous
        if previous is not None and previous.version == version and previous.checksum == checksum:
            loaded = previous
        else:
            if self._store is None:
                self._store = open_store(self._location)
            snapshot = self._store.load_version(version)
            if snapshot.info.checksum != checksum:
                raise ChecksumError(
                    f"list version {version} has checksum {snapshot.info.checksum[:12]}, "
                    f"expected {checksum[:12]}"
                )
            matcher = Matcher.compile(snapshot.entries, snapshot.policy)
            loaded = LoadedList(matcher, version, snapshot.info.checksum)
            del snapshot
        self._previous = self._state.swap(loaded)
        _LOGGER.info(
            "worker %d: list version %d (%d terms) serving in place after %.3f s",
            os.getpid(),
            version,
            loaded.matcher.term_count,
            time.perf_counter() - started,
        )

    def _close_store(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            with contextlib.suppress(Exception):
                store.close()


class _StopSignal:
    """SIGTERM handling of a child: a flag plus a wakeup pipe that select() watches."""

    def __init__(self) -> None:
        self.read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        self.received = False
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, self._handle)
        signal.set_wakeup_fd(self._write_fd)

    def _handle(self, signum: int, frame: Any) -> None:
        self.received = True


def _send_status(status_fd: int, line: str) -> None:
    with contextlib.suppress(OSError):
        os.write(status_fd, (line + "\n").encode("utf-8"))


def _wait_for_stop(control_fd: int, stop: _StopSignal, on_message: Callable[[str], None]) -> str:
    """Block until ``stop``, EOF on the control pipe, or SIGTERM; return which."""
    pending = b""
    while True:
        if stop.received:
            return "SIGTERM"
        readable, _, _ = select.select([control_fd, stop.read_fd], [], [], 1.0)
        if stop.read_fd in readable:
            with contextlib.suppress(OSError):
                os.read(stop.read_fd, 512)
        if control_fd in readable:
            chunk = os.read(control_fd, 4096)
            if not chunk:
                return "supervisor gone"
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                message = raw.decode("utf-8", "replace").strip()
                if message == MESSAGE_STOP:
                    return "stop"
                on_message(message)


def _drain(server: grpc.Server, grace: float, before: Callable[[], None]) -> None:
    before()
    server.stop(grace).wait()


def run_public_worker(
    settings: WorkerSettings,
    loaded: LoadedList | None,
    *,
    control_fd: int,
    status_fd: int,
    store_reachable: bool,
) -> int:
    """Serve ``loaded`` (or fail closed) on the shared port until told to stop; return 0.

    Runs in a freshly forked child that has created no gRPC object yet.
    """
    from grpc_health.v1 import health_pb2

    from suggestfilter.serving._server import create_public_server
    from suggestfilter.serving._state import ServingState

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
        _send_status(status_fd, f"{STATUS_FAILED}: {error}")
        return 1
    version = loaded.version if loaded is not None else None
    _LOGGER.info("worker %d serving list version %s", os.getpid(), version)
    _send_status(status_fd, STATUS_READY)

    switcher = InPlaceSwitcher(
        settings.store_location, state, lambda line: _send_status(status_fd, line)
    )

    def on_message(message: str) -> None:
        if message == MESSAGE_STORE_REACHABLE:
            set_store_health(True)
        elif message == MESSAGE_STORE_UNREACHABLE:
            set_store_health(False)
        elif message.startswith(MESSAGE_SWITCH + " "):
            _, version, checksum = message.split(" ", 2)
            switcher.request(int(version), checksum)

    reason = _wait_for_stop(control_fd, stop, on_message)
    _LOGGER.info("worker %d draining (%s), grace %.1f s", os.getpid(), reason, settings.grace)
    _drain(server, settings.grace, state.enter_graceful_shutdown)
    switcher.close()
    sink.close()
    _LOGGER.info("worker %d stopped", os.getpid())
    return 0


def run_admin_child(settings: AdminSettings, *, control_fd: int, status_fd: int) -> int:
    """Serve the admin API on its own port until told to stop; return 0."""
    stop = _StopSignal()
    try:
        from suggestfilter.admin._server import create_admin_server

        server, _ = create_admin_server(
            settings.address,
            settings.store_location,
            tokens=settings.tokens,
            credentials=None if settings.tls is None else settings.tls.server_credentials(),
        )
        server.start()
    except Exception as error:
        _send_status(status_fd, f"{STATUS_FAILED}: {error}")
        return 1
    _send_status(status_fd, STATUS_READY)
    reason = _wait_for_stop(control_fd, stop, lambda message: None)
    _LOGGER.info("admin server draining (%s)", reason)
    server.stop(settings.grace).wait()
    return 0


def run_metrics_child(host: str, port: int, *, control_fd: int, status_fd: int) -> int:
    """Serve ``/metrics`` (the sum over every process) until told to stop; return 0."""
    from suggestfilter.serving._metrics_http import create_metrics_http_server

    stop = _StopSignal()
    try:
        server = create_metrics_http_server(host, port)
    except OSError as error:
        _send_status(status_fd, f"{STATUS_FAILED}: cannot listen on {host}:{port}: {error}")
        return 1
    thread = threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True)
    thread.start()
    _send_status(status_fd, STATUS_READY)
    _wait_for_stop(control_fd, stop, lambda message: None)
    server.shutdown()
    server.server_close()
    return 0
