"""The supervisor of ``suggestfilter serve``: builds each list version, rotates worker generations.

The process model, in the style of nginx reloads and of grpc's
``examples/python/multiprocessing``:

- The **supervisor** (this module) never serves and never creates a gRPC
  object. It watches the store's published version (PostgreSQL: LISTEN/NOTIFY
  through ``Store.wait_for_change``, with a poll every ``poll_interval`` as
  the fallback; SQLite: the poll alone;
  :mod:`~suggestfilter.runtime._store_watch`), loads and checksum-verifies a
  new version, and compiles its matcher
  (:class:`~suggestfilter.runtime._loader.ListLoader`). A compile holds the GIL for as long as
  it takes (1M terms: seconds), which is why it happens here and never in a
  process that answers calls.
- A **small** version (at most ``inplace_max_terms`` entries; 0 turns this
  off) is switched **in place**: the supervisor sends every current worker
  ``Switch(version, checksum)`` on its pipe
  (:mod:`~suggestfilter.runtime._protocol`). Each worker loads the version
  through its own store connection (checksum verified), compiles it in a
  background thread and installs it with one reference assignment
  (:class:`suggestfilter.runtime._worker.InPlaceSwitcher`), then answers
  ``Switched(version)``.
  Open FilterSession streams and every later call move to the new version at
  once; nothing is drained or cancelled. The build holds the worker's GIL
  (20,000 entries: 0.2-0.3 s to load and compile), which is why only small
  lists take this path. When a worker does not switch (a failed
  load, compile or checksum, or no answer within ``READY_TIMEOUT``), the
  supervisor falls back to a generation rotation.
- A **large** version: the supervisor forks a new **generation** of
  ``workers`` public workers (:mod:`suggestfilter.runtime._worker`; which path
  a version takes: :mod:`~suggestfilter.runtime._reload`). They inherit the
  matcher copy-on-write (one automaton in memory for all of them), install
  it before their server starts, bind the shared port with SO_REUSEPORT and
  report ``Ready``. Only when
  every new worker is ready is the old generation told to drain: its health
  turns NOT_SERVING, ``server.stop(grace)`` sends GOAWAY, in-flight calls
  finish (streams still open after ``grace`` are cancelled), and it exits.
  Either way a response is decided wholly by one list, never a mix, and
  every response names its version. Workers forked later (a replacement, a
  new generation) start with the version the supervisor serves now.
- The list served before the current one stays compiled in the supervisor:
  a rollback to it skips the load and the compile (one more automaton in
  the supervisor's memory).
- A version that does not verify (ChecksumError) or does not compile is
  refused: it is logged by number (never its terms), counted in
  ``suggestfilter_reload_failures_total``, and the current generation keeps
  serving. It is not retried until the published version changes again.
- When the store cannot be reached, the current generation keeps serving its
  last good list; ``suggestfilter_store_unreachable`` is 1 and the health
  service ``suggestfilter.store`` reports NOT_SERVING (the filter's own health
  stays SERVING) until the store answers again.
- Before a version is published (or while the first one cannot be loaded),
  the generation serves no list: NOT_SERVING, and Filter answers UNAVAILABLE.
- Every child (public worker, admin, metrics) is a ``multiprocessing``
  process of a fork context with one pipe to the supervisor
  (:mod:`~suggestfilter.runtime._children`). The admin API and the
  ``/metrics`` endpoint each run in one child process.
- SIGTERM or SIGINT: every child drains within ``grace`` seconds, then the
  supervisor exits 0. A worker that dies unexpectedly is replaced (at most
  once a second).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from suggestfilter._errors import SuggestFilterError
from suggestfilter.admin._auth import TokenRegistry
from suggestfilter.rpc._limits import Limits
from suggestfilter.rpc._tls import TlsFiles
from suggestfilter.runtime._children import KILL_MARGIN, Child, ChildProcesses, StopRequest
from suggestfilter.runtime._reload import READY_TIMEOUT, WorkerGenerations, start_failure
from suggestfilter.runtime._store_watch import StoreWatch
from suggestfilter.runtime._worker import (
    AdminSettings,
    WorkerSettings,
    run_admin_child,
    run_metrics_child,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT = 50051
DEFAULT_ADMIN_PORT = 50052
DEFAULT_METRICS_PORT = 9464
DEFAULT_GRACE = 5.0
DEFAULT_POLL_INTERVAL = 0.5
DEFAULT_INPLACE_MAX_TERMS = 20000
"""Largest version (term entries) the workers switch to in place instead of a rotation."""
HELPER_RESTART_INTERVAL = 1.0
"""Seconds between two restarts of an admin or metrics child that died."""
_TICK = 0.25
"""Longest sleep of the main loop: how soon a signal, a dead child or a NOTIFY is handled."""


def default_worker_count() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class ServeSettings:
    """Everything ``suggestfilter serve`` is configured with.

    ``host`` is the interface of all three ports (``[::]``: every
    interface). ``admin_port`` or ``metrics_port`` None turns that endpoint
    off. ``tokens`` are the admin API's bearer tokens. ``threads`` is the gRPC
    thread pool of each worker. A version with at most ``inplace_max_terms``
    entries is switched in place in the running workers; a larger one (or any,
    with 0) rotates a new worker generation.
    """

    store_location: str
    host: str = "[::]"
    port: int = DEFAULT_PORT
    admin_port: int | None = DEFAULT_ADMIN_PORT
    metrics_port: int | None = DEFAULT_METRICS_PORT
    workers: int = field(default_factory=default_worker_count)
    grace: float = DEFAULT_GRACE
    poll_interval: float = DEFAULT_POLL_INTERVAL
    threads: int = 8
    inplace_max_terms: int = DEFAULT_INPLACE_MAX_TERMS
    limits: Limits | None = None
    tokens: TokenRegistry | None = None
    metrics_dir: str | None = None
    """The prometheus multiprocess directory to remove on exit (None: keep)."""
    public_tls: TlsFiles | None = None
    """TLS (or mutual TLS) of the public port; None: plaintext."""
    admin_tls: TlsFiles | None = None
    """TLS (or mutual TLS) of the admin port; None: plaintext."""

    def address(self, port: int) -> str:
        """``host:port`` for one of the ports."""
        return f"{self.host}:{port}"


class Supervisor:
    """Runs ``serve``: the admin and metrics children, the workers, and shutdown.

    ``on_ready`` is called once, when the first generation listens (e.g. to
    print where each port is).
    """

    def __init__(
        self, settings: ServeSettings, *, on_ready: Callable[[Supervisor], None] | None = None
    ) -> None:
        if settings.workers < 1:
            raise ValueError("at least one worker is needed")
        self.settings = settings
        self._on_ready = on_ready
        self._stop = StopRequest()
        self._children = ChildProcesses(
            self._stop,
            grace=settings.grace,
            metrics_dir=settings.metrics_dir,
            on_exit=self._child_exited,
        )
        self._watch = StoreWatch(
            settings.store_location,
            self._stop,
            on_reachable=self._tell_store_reachable,
            serving_version=lambda: self.serving_version,
        )
        self._generations = WorkerGenerations(
            self._children,
            self._stop,
            self._watch,
            WorkerSettings(
                address=settings.address(settings.port),
                store_location=settings.store_location,
                grace=settings.grace,
                threads=settings.threads,
                limits=settings.limits,
                tls=settings.public_tls,
            ),
            workers=settings.workers,
            inplace_max_terms=settings.inplace_max_terms,
        )
        self._admin: Child | None = None
        self._metrics: Child | None = None
        self._lost_helpers: set[str] = set()
        self._next_helper_restart = 0.0

    @property
    def serving_version(self) -> int | None:
        """The version the current generation serves (None: none yet)."""
        return self._generations.serving_version

    @property
    def admin_serving(self) -> bool:
        """Whether the admin API child runs."""
        return self._admin is not None

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT; return the exit status (0 after a clean drain).

        Raises SuggestFilterError when a port cannot be bound at start.
        """
        _refuse_a_taken_port(self.settings.host, self.settings.port)
        self._stop.install()
        try:
            if self.settings.metrics_port is not None:
                self._metrics = self._start_metrics(self.settings.metrics_port)
            if self.settings.admin_port is not None:
                self._admin = self._start_admin(self.settings.admin_port)
            started = self._generations.start_first()
            if not started and self._stop.requested:
                return self._shutdown()
            if not started:
                raise SuggestFilterError(
                    f"cannot serve on {self.settings.address(self.settings.port)}: "
                    + (self._generations.last_failure or "the workers did not start")
                )
            if self._on_ready is not None:
                self._on_ready(self)
            next_poll = time.monotonic() + self.settings.poll_interval
            while not self._stop.requested:
                self._children.reap()
                self._children.kill_overdue()
                self._restart_lost_helpers()
                self._generations.replace_missing()
                now = time.monotonic()
                if now >= next_poll and not self._stop.requested:
                    next_poll = now + self.settings.poll_interval
                    self._generations.reload_if_changed()
                    continue
                if self._watch.wait_for_change(min(_TICK, next_poll - now)):
                    next_poll = time.monotonic()
            return self._shutdown()
        finally:
            self._children.kill_all()
            self._watch.close()
            self._stop.restore()
            if self.settings.metrics_dir:
                shutil.rmtree(self.settings.metrics_dir, ignore_errors=True)

    def _tell_store_reachable(self, reachable: bool) -> None:
        self._generations.tell_store_reachable(reachable)

    # --- the admin and metrics children ------------------------------------------

    def _start_helper(self, role: str, main: Callable[[Connection], int]) -> Child:
        """Start the admin or metrics child; SuggestFilterError when it does not get ready."""
        child = self._children.start(role, 0, main)
        why = self._children.wait([child], lambda c: c.ready, READY_TIMEOUT, failed=start_failure)
        if why:
            self._children.stop(child)
            what = "the admin server" if role == "admin" else "the metrics endpoint"
            raise SuggestFilterError(f"{what} did not start: {child.failure}")
        return child

    def _start_metrics(self, port: int) -> Child:
        host = self.settings.host
        child = self._start_helper(
            "metrics", lambda connection: run_metrics_child(host, port, connection)
        )
        _LOGGER.info("metrics %d serving /metrics on %s", child.pid, self.settings.address(port))
        return child

    def _start_admin(self, port: int) -> Child:
        settings = AdminSettings(
            address=self.settings.address(port),
            store_location=self.settings.store_location,
            tokens=(
                self.settings.tokens
                if self.settings.tokens is not None
                else TokenRegistry.from_env_or_file()
            ),
            grace=self.settings.grace,
            tls=self.settings.admin_tls,
        )
        child = self._start_helper(
            "admin", lambda connection: run_admin_child(settings, connection)
        )
        _LOGGER.info("admin %d serving the admin API on %s", child.pid, settings.address)
        return child

    def _child_exited(self, child: Child) -> None:
        """Log an exited child; a worker or helper that died is replaced later."""
        expected = child.stop_deadline is not None or self._stop.requested
        log = _LOGGER.info if expected and child.exit_status == 0 else _LOGGER.warning
        log("%s exited with status %s", child.describe(), child.exit_status)
        self._generations.worker_exited(child, expected=expected)
        if child is self._admin:
            self._admin = None
            self._lost_helpers.add("admin")
        if child is self._metrics:
            self._metrics = None
            self._lost_helpers.add("metrics")

    def _restart_lost_helpers(self) -> None:
        """Start the admin or metrics child again after it died (retried every second)."""
        now = time.monotonic()
        if not self._lost_helpers or self._stop.requested or now < self._next_helper_restart:
            return
        self._next_helper_restart = now + HELPER_RESTART_INTERVAL
        for role in sorted(self._lost_helpers):
            _LOGGER.info("restarting the %s child", role)
            try:
                if role == "admin" and self.settings.admin_port is not None:
                    self._admin = self._start_admin(self.settings.admin_port)
                elif role == "metrics" and self.settings.metrics_port is not None:
                    self._metrics = self._start_metrics(self.settings.metrics_port)
            except SuggestFilterError as error:
                _LOGGER.warning("the %s child did not restart: %s", role, error)
                continue
            self._lost_helpers.discard(role)

    # --- shutdown -------------------------------------------------------------

    def _shutdown(self) -> int:
        """Drain every worker and the admin server, then stop the metrics endpoint."""
        workers = len(self._generations.workers)
        _LOGGER.info("draining %d workers (grace %.1f s)", workers, self.settings.grace)
        self._generations.stop_all()
        servers = [child for child in self._children.running if child is not self._metrics]
        for child in servers:
            self._children.stop(child)
        status = self._wait_exit(servers, self.settings.grace + KILL_MARGIN)
        if self._metrics is not None:
            metrics = self._metrics
            self._children.stop(metrics)
            self._wait_exit([metrics], KILL_MARGIN)
        _LOGGER.info("stopped")
        return status

    def _wait_exit(self, children: list[Child], timeout: float) -> int:
        """Wait up to ``timeout`` for ``children`` to exit; 0 when each exited with 0."""
        self._children.wait(children, lambda c: c.exited, timeout, interruptible=False)
        return 0 if all(child.exited and child.exit_status == 0 for child in children) else 1


def _refuse_a_taken_port(host: str, port: int) -> None:
    """Raise SuggestFilterError when another process listens on the public port.

    The workers bind the public port with SO_REUSEPORT, which would let them
    join an unrelated server's port and silently share its traffic. A probe
    bound without SO_REUSEPORT fails while anything listens there, so a
    second server refuses to start instead. The probe is closed at once.
    """
    bare_host = host.strip("[]") or "::"
    try:
        infos = socket.getaddrinfo(
            bare_host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as error:
        raise SuggestFilterError(f"cannot serve on {host}:{port}: {error.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine
        if family == socket.AF_INET6:
            probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # as gRPC binds [::]
        try:
            probe.bind(address)
            probe.listen(1)
        except OSError as error:
            raise SuggestFilterError(
                f"cannot serve on {host}:{port}: the port is in use ({error.strerror})"
            ) from None
