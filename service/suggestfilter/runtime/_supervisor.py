"""The supervisor of ``suggestfilter serve``: builds each list version, rotates worker generations.

The process model, in the style of nginx reloads and of grpc's
``examples/python/multiprocessing``:

- The **supervisor** (this module) never serves and never creates a gRPC
  object. It watches the store's published version (PostgreSQL: LISTEN/NOTIFY
  through ``Store.wait_for_change``, with a poll every ``poll_interval`` as
  the fallback; SQLite: the poll alone), loads and checksum-verifies a new
  version, and compiles its matcher. A compile holds the GIL for as long as
  it takes (1M terms: seconds), which is why it happens here and never in a
  process that answers calls.
- A **small** version (at most ``inplace_max_terms`` entries; 0 turns this
  off) is switched **in place**: the supervisor tells every current worker
  ``switch <version> <checksum>`` on its control pipe. Each worker loads the
  version through its own store connection (checksum verified), compiles it
  in a background thread and installs it with one reference assignment
  (:class:`suggestfilter.runtime._worker.InPlaceSwitcher`), then answers ``switched``.
  Open FilterSession streams and every later call move to the new version at
  once; nothing is drained or cancelled. The build holds the worker's GIL
  (20,000 entries: 0.2-0.3 s to load and compile), which is why only small
  lists take this path. When a worker does not switch (a failed
  load, compile or checksum, or no answer within ``READY_TIMEOUT``), the
  supervisor falls back to a generation rotation.
- A **large** version: the supervisor forks a new **generation** of ``workers`` public workers
  (:mod:`suggestfilter.runtime._worker`). They inherit the matcher copy-on-write (one
  automaton in memory for all of them), install it before their server
  starts, bind the shared port with SO_REUSEPORT and report ready. Only when
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
- The admin API and the ``/metrics`` endpoint each run in one child process.
- SIGTERM or SIGINT: every child drains within ``grace`` seconds, then the
  supervisor exits 0. A worker that dies unexpectedly is replaced (at most
  once a second).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import select
import shutil
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from suggestfilter._errors import (
    ChecksumError,
    StoreError,
    StoreUnavailableError,
    SuggestFilterError,
)
from suggestfilter.rpc._tls import TlsFiles
from suggestfilter.runtime._worker import (
    MESSAGE_STOP,
    MESSAGE_STORE_REACHABLE,
    MESSAGE_STORE_UNREACHABLE,
    STATUS_FAILED,
    STATUS_READY,
    STATUS_SWITCH_FAILED,
    STATUS_SWITCHED,
    AdminSettings,
    WorkerSettings,
    run_admin_child,
    run_metrics_child,
    run_public_worker,
    switch_message,
)

if TYPE_CHECKING:
    from suggestfilter.admin._auth import TokenRegistry
    from suggestfilter.rpc._limits import Limits
    from suggestfilter.serving._state import LoadedList
    from suggestfilter.store import Store

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT = 50051
DEFAULT_ADMIN_PORT = 50052
DEFAULT_METRICS_PORT = 9464
DEFAULT_GRACE = 5.0
DEFAULT_POLL_INTERVAL = 0.5
DEFAULT_INPLACE_MAX_TERMS = 20000
"""Largest version (term entries) the workers switch to in place instead of a rotation."""
READY_TIMEOUT = 60.0
"""Seconds a new generation has to report ready before the rotation is abandoned."""
KILL_MARGIN = 5.0
"""Seconds past the grace after which a draining child is killed."""
RESPAWN_INTERVAL = 1.0
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


@dataclass(eq=False)
class _Child:
    """One forked child and the supervisor's ends of its pipes."""

    pid: int
    role: str
    generation: int
    control_fd: int
    status_fd: int
    ready: bool = False
    failure: str = ""
    exited: bool = False
    exit_status: int | None = None
    stop_deadline: float | None = None
    pending: bytes = b""
    status_closed: bool = False
    switch_version: int | None = None
    """The version this worker was last asked to switch to in place."""
    switched: bool = False
    switch_failure: str = ""

    def describe(self) -> str:
        if self.role == "worker":
            return f"worker {self.pid} (generation {self.generation})"
        return f"{self.role} {self.pid}"


class Supervisor:
    """Runs ``serve``: children, version watching, generation rotation, shutdown.

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
        self._worker_settings = WorkerSettings(
            address=settings.address(settings.port),
            store_location=settings.store_location,
            grace=settings.grace,
            threads=settings.threads,
            limits=settings.limits,
            tls=settings.public_tls,
        )
        self._store: Store | None = None
        self._store_reachable = True
        self._loaded: LoadedList | None = None
        self._previous: LoadedList | None = None
        self._seen_version: int | None = None
        self._generation = 0
        self._workers: list[_Child] = []
        self._draining: list[_Child] = []
        self._admin: _Child | None = None
        self._metrics: _Child | None = None
        self._children: dict[int, _Child] = {}
        self._missing_workers = 0
        self._next_respawn = 0.0
        self._lost_helpers: set[str] = set()
        self._next_helper_restart = 0.0
        self._stop_requested = False
        self._last_failure = ""
        self._load_started = 0.0
        self._wakeup_r = -1
        self._wakeup_w = -1

    # --- public -------------------------------------------------------------

    @property
    def serving_version(self) -> int | None:
        """The version the current generation serves (None: none yet)."""
        return self._loaded.version if self._loaded is not None else None

    @property
    def admin_serving(self) -> bool:
        """Whether the admin API child runs."""
        return self._admin is not None

    def request_stop(self) -> None:
        """Ask the main loop to drain every child and return (as SIGTERM does)."""
        self._stop_requested = True

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT; return the exit status (0 after a clean drain).

        Raises SuggestFilterError when a port cannot be bound at start.
        """
        _refuse_a_taken_port(self.settings.host, self.settings.port)
        self._install_signal_handlers()
        try:
            if self.settings.metrics_port is not None:
                self._metrics = self._start_metrics(self.settings.metrics_port)
            if self.settings.admin_port is not None:
                self._admin = self._start_admin()
            first = self._poll_published(initial=True)
            self._observe_reload(first)
            started = self._start_generation(first)
            if not started and self._stop_requested:
                return self._shutdown()
            if not started:
                raise SuggestFilterError(
                    f"cannot serve on {self.settings.address(self.settings.port)}: "
                    + (self._last_failure or "the workers did not start")
                )
            if self._on_ready is not None:
                self._on_ready(self)
            next_poll = time.monotonic() + self.settings.poll_interval
            while not self._stop_requested:
                self._reap()
                self._replace_missing_workers()
                now = time.monotonic()
                if now >= next_poll and not self._stop_requested:
                    next_poll = now + self.settings.poll_interval
                    self._reload_if_changed()
                    continue
                if self._wait_for_change(min(_TICK, next_poll - now)):
                    next_poll = time.monotonic()
            return self._shutdown()
        finally:
            self._kill_everyone()
            self._close_store()
            self._restore_signal_handlers()
            if self.settings.metrics_dir:
                shutil.rmtree(self.settings.metrics_dir, ignore_errors=True)

    # --- signals ------------------------------------------------------------

    def _install_signal_handlers(self) -> None:
        self._wakeup_r, self._wakeup_w = os.pipe()
        os.set_blocking(self._wakeup_w, False)
        os.set_blocking(self._wakeup_r, False)
        self._previous_handlers = {
            signum: signal.signal(signum, self._handle_stop_signal)
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        self._previous_wakeup = signal.set_wakeup_fd(self._wakeup_w)

    def _restore_signal_handlers(self) -> None:
        signal.set_wakeup_fd(self._previous_wakeup)
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
        for fd in (self._wakeup_r, self._wakeup_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _handle_stop_signal(self, signum: int, frame: Any) -> None:
        if not self._stop_requested:
            _LOGGER.info("%s received: draining", signal.Signals(signum).name)
        self._stop_requested = True

    def _drain_wakeup(self) -> None:
        with contextlib.suppress(OSError):
            while os.read(self._wakeup_r, 512):
                pass

    # --- children -----------------------------------------------------------

    def _start_child(self, role: str, target: Callable[[int, int], int]) -> _Child:
        control_r, control_w = os.pipe()
        status_r, status_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 1
            try:
                os.close(control_w)
                os.close(status_r)
                self._close_inherited_fds()
                code = target(control_r, status_w)
            except BaseException:
                _LOGGER.exception("%s %d failed", role, os.getpid())
            finally:
                logging.shutdown()
                os._exit(code)
        os.close(control_r)
        os.close(status_w)
        os.set_blocking(status_r, False)
        child = _Child(pid, role, self._generation, control_w, status_r)
        self._children[pid] = child
        return child

    def _close_inherited_fds(self) -> None:
        """In a fresh child: drop the supervisor's signal wiring and other children's pipes."""
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for fd in (self._wakeup_r, self._wakeup_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        for other in self._children.values():
            for fd in (other.control_fd, other.status_fd):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def _start_metrics(self, port: int) -> _Child:
        host = self.settings.host
        child = self._start_child(
            "metrics",
            lambda control, status: run_metrics_child(
                host, port, control_fd=control, status_fd=status
            ),
        )
        if not self._wait_ready([child], READY_TIMEOUT):
            self._stop_child(child)
            self._draining.append(child)
            raise SuggestFilterError(f"the metrics endpoint did not start: {child.failure}")
        _LOGGER.info("metrics %d serving /metrics on %s", child.pid, self.settings.address(port))
        return child

    def _start_admin(self) -> _Child | None:
        try:
            import suggestfilter.admin._server  # noqa: F401
        except ImportError:
            _LOGGER.warning("the admin API is not available in this build: admin port not served")
            return None
        from suggestfilter.admin._auth import TokenRegistry

        settings = AdminSettings(
            address=self.settings.address(self.settings.admin_port or 0),
            store_location=self.settings.store_location,
            tokens=(
                self.settings.tokens
                if self.settings.tokens is not None
                else TokenRegistry.from_env_or_file()
            ),
            grace=self.settings.grace,
            tls=self.settings.admin_tls,
        )
        child = self._start_child(
            "admin",
            lambda control, status: run_admin_child(settings, control_fd=control, status_fd=status),
        )
        if not self._wait_ready([child], READY_TIMEOUT):
            self._stop_child(child)
            self._draining.append(child)
            raise SuggestFilterError(f"the admin server did not start: {child.failure}")
        _LOGGER.info("admin %d serving the admin API on %s", child.pid, settings.address)
        return child

    def _start_worker(self, loaded: LoadedList | None) -> _Child:
        reachable = self._store_reachable
        return self._start_child(
            "worker",
            lambda control, status: run_public_worker(
                self._worker_settings,
                loaded,
                control_fd=control,
                status_fd=status,
                store_reachable=reachable,
            ),
        )

    def _wait_ready(self, children: list[_Child], timeout: float) -> bool:
        """Wait until every child in ``children`` is ready; False when one fails or time runs out.

        Returns at once with False when a stop is requested meanwhile.
        ``timeout`` 0 only reads what is already there.
        """
        deadline = time.monotonic() + timeout
        while True:
            waiting = [child for child in children if not child.ready]
            if not waiting:
                return True
            for child in waiting:
                if child.failure or child.exited:
                    self._last_failure = child.failure or f"{child.describe()} exited"
                    return False
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stop_requested:
                return False
            self._read_statuses(waiting, min(remaining, 0.5))

    def _read_statuses(self, waiting: list[_Child], timeout: float) -> None:
        """Wait up to ``timeout`` seconds for status lines (or a signal) and read them."""
        fds = [child.status_fd for child in waiting]
        readable, _, _ = select.select([*fds, self._wakeup_r], [], [], timeout)
        if self._wakeup_r in readable:
            self._drain_wakeup()
        for child in waiting:
            if child.status_fd in readable:
                self._read_status(child)

    def _read_status(self, child: _Child) -> None:
        try:
            chunk = os.read(child.status_fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            child.status_closed = True
            if not child.ready and not child.failure:
                child.failure = f"{child.describe()} exited before it was ready"
            return
        child.pending += chunk
        *lines, child.pending = child.pending.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace").strip()
            if line == STATUS_READY:
                child.ready = True
            elif line.startswith((STATUS_SWITCHED + " ", STATUS_SWITCH_FAILED + " ")):
                self._read_switch_status(child, line)
            elif line:
                child.failure = line.removeprefix(f"{STATUS_FAILED}: ")

    def _read_switch_status(self, child: _Child, line: str) -> None:
        """Record a worker's answer to ``switch`` (answers about another version are stale)."""
        head, _, reason = line.partition(": ")
        word, _, number = head.partition(" ")
        try:
            version = int(number)
        except ValueError:
            return
        if version != child.switch_version:
            return
        if word == STATUS_SWITCHED:
            child.switched = True
        else:
            child.switch_failure = reason or "switch failed"

    def _send(self, child: _Child, message: str) -> None:
        with contextlib.suppress(OSError):
            os.write(child.control_fd, (message + "\n").encode("utf-8"))

    def _stop_child(self, child: _Child) -> None:
        if child.stop_deadline is None:
            child.stop_deadline = time.monotonic() + self.settings.grace + KILL_MARGIN
            self._send(child, MESSAGE_STOP)

    def _reap(self) -> None:
        """Collect every exited child; count lost workers for replacement."""
        from suggestfilter.serving._metrics_http import mark_worker_dead

        while True:
            try:
                pid, wait_status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = self._children.pop(pid, None)
            if self.settings.metrics_dir:
                with contextlib.suppress(OSError):
                    mark_worker_dead(pid, self.settings.metrics_dir)
            if child is None:
                continue
            child.exited = True
            child.exit_status = os.waitstatus_to_exitcode(wait_status)
            for fd in (child.control_fd, child.status_fd):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._forget(child)

    def _forget(self, child: _Child) -> None:
        expected = child.stop_deadline is not None or self._stop_requested
        log = _LOGGER.info if expected and child.exit_status == 0 else _LOGGER.warning
        log("%s exited with status %s", child.describe(), child.exit_status)
        if child in self._draining:
            self._draining.remove(child)
        if child in self._workers:
            self._workers.remove(child)
            if not expected:
                self._missing_workers += 1
        if child is self._admin:
            self._admin = None
            self._lost_helpers.add("admin")
        if child is self._metrics:
            self._metrics = None
            self._lost_helpers.add("metrics")

    def _replace_missing_workers(self) -> None:
        now = time.monotonic()
        for child in self._draining:
            if child.stop_deadline is not None and now > child.stop_deadline:
                _LOGGER.warning("%s did not drain in time: killing it", child.describe())
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGKILL)
                child.stop_deadline = now + KILL_MARGIN
        if self._lost_helpers and not self._stop_requested and now >= self._next_helper_restart:
            self._next_helper_restart = now + RESPAWN_INTERVAL
            self._restart_helpers()
        if self._missing_workers and now >= self._next_respawn:
            self._next_respawn = now + RESPAWN_INTERVAL
            self._missing_workers -= 1
            _LOGGER.info("starting a replacement worker for generation %d", self._generation)
            child = self._start_worker(self._loaded)
            if self._wait_ready([child], READY_TIMEOUT):
                self._workers.append(child)
            else:
                _LOGGER.warning("replacement worker failed: %s", child.failure)
                self._missing_workers += 1
                self._stop_child(child)
                self._draining.append(child)

    def _restart_helpers(self) -> None:
        """Start the admin or metrics child again after it died (retried every second)."""
        for role in sorted(self._lost_helpers):
            _LOGGER.info("restarting the %s child", role)
            try:
                if role == "admin":
                    self._admin = self._start_admin()
                elif self.settings.metrics_port is not None:
                    self._metrics = self._start_metrics(self.settings.metrics_port)
            except SuggestFilterError as error:
                _LOGGER.warning("the %s child did not restart: %s", role, error)
                continue
            self._lost_helpers.discard(role)

    # --- generations --------------------------------------------------------

    def _start_generation(self, loaded: LoadedList | None) -> bool:
        """Fork a generation serving ``loaded``; once all are ready, drain the previous one.

        Returns False (and keeps the previous generation) when a new worker
        fails to start.
        """
        started = time.monotonic()
        previous_generation = self._generation
        self._generation += 1
        gc.collect()
        gc.freeze()  # the inherited heap stays shared: the children's GC never writes to it
        try:
            new = [self._start_worker(loaded) for _ in range(self.settings.workers)]
        finally:
            gc.unfreeze()
        if not self._wait_ready(new, READY_TIMEOUT):
            if self._stop_requested:
                _LOGGER.info("generation %d not started: stopping", self._generation)
                self._last_failure = "stopped while starting"
            else:
                _LOGGER.error(
                    "generation %d did not start (%s); generation %d keeps serving",
                    self._generation,
                    self._last_failure,
                    previous_generation,
                )
            for child in new:
                self._stop_child(child)
            self._draining.extend(new)
            self._generation = previous_generation
            return False
        old, self._workers = self._workers, new
        if self._loaded is not None and loaded is not None:
            self._previous = self._loaded if self._loaded.version != loaded.version else None
        self._loaded = loaded
        self._missing_workers = 0
        for child in old:
            self._stop_child(child)
        self._draining.extend(old)
        _LOGGER.info(
            "generation %d: %d workers serving list version %s on %s (started in %.3f s)",
            self._generation,
            len(new),
            loaded.version if loaded is not None else "none (NOT_SERVING)",
            self._worker_settings.address,
            time.monotonic() - started,
        )
        return True

    # --- the store ----------------------------------------------------------

    def _open_store(self) -> Store:
        from suggestfilter.store import is_postgres_location, open_store

        if self._store is None:
            store = open_store(self.settings.store_location)
            if is_postgres_location(self.settings.store_location):
                # LISTEN before the first read of the published version, so that
                # no publish between that read and the first wait goes unnoticed.
                store.wait_for_change(0.0)
            self._store = store
        return self._store

    def _close_store(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            with contextlib.suppress(Exception):
                store.close()

    def _set_store_reachable(self, reachable: bool, error: Exception | None = None) -> None:
        from suggestfilter.serving import _metrics as _metrics

        if reachable == self._store_reachable:
            return
        self._store_reachable = reachable
        _metrics.STORE_UNREACHABLE.set(0 if reachable else 1)
        if reachable:
            _LOGGER.info("the store is reachable again")
        else:
            _LOGGER.warning(
                "the store is unreachable (%s): %s",
                error,
                "nothing is served until it answers"
                if self.serving_version is None
                else f"list version {self.serving_version} keeps serving",
            )
        message = MESSAGE_STORE_REACHABLE if reachable else MESSAGE_STORE_UNREACHABLE
        for child in self._workers:
            self._send(child, message)

    def _poll_published(self, *, initial: bool) -> LoadedList | None:
        """The newly published (or rolled-back) version, compiled; None when nothing changed.

        At start (``initial``) a SQLite store that cannot be opened is an
        error; a PostgreSQL store may come up later.
        """
        from suggestfilter.store import is_postgres_location

        try:
            number = self._open_store().published_version()
        except Exception as error:  # any failure of the store: keep serving what we have
            self._close_store()
            if initial and not is_postgres_location(self.settings.store_location):
                raise
            self._set_store_reachable(False, error)
            return None
        self._set_store_reachable(True)
        if number is None or number == self._seen_version:
            return None
        return self._load(number)

    def _reload_if_changed(self) -> None:
        loaded = self._poll_published(initial=False)
        if loaded is None:
            return
        if self._fits_in_place(loaded):
            if self._switch_in_place(loaded):
                self._observe_reload(loaded)
                return
            if self._stop_requested:
                return
        self._observe_reload(loaded)
        if not self._start_generation(loaded) and not self._stop_requested:
            self._count_reload_failure()
            self._seen_version = self.serving_version  # retried at the next poll

    def _fits_in_place(self, loaded: LoadedList) -> bool:
        """Whether the running workers switch to ``loaded`` in place (instead of a rotation)."""
        limit = self.settings.inplace_max_terms
        return limit > 0 and loaded.matcher.term_count <= limit and bool(self._workers)

    def _switch_in_place(self, loaded: LoadedList) -> bool:
        """Tell every current worker to serve ``loaded`` in place; True once all of them do.

        False (the caller rotates a generation instead) when a worker answers
        that it failed, exits, or does not answer within ``READY_TIMEOUT``;
        the workers that did switch serve ``loaded`` until that rotation.
        """
        started = time.monotonic()
        workers = list(self._workers)
        message = switch_message(loaded.version, loaded.checksum)
        for child in workers:
            child.switch_version = loaded.version
            child.switched = False
            child.switch_failure = ""
            self._send(child, message)
        if not self._wait_switched(workers, READY_TIMEOUT):
            if not self._stop_requested:
                _LOGGER.warning(
                    "list version %d: the in-place switch failed (%s); "
                    "rotating a new worker generation instead",
                    loaded.version,
                    self._last_failure,
                )
            return False
        if self._loaded is not None:
            self._previous = self._loaded if self._loaded.version != loaded.version else None
        self._loaded = loaded
        _LOGGER.info(
            "list version %d: %d workers of generation %d switched in place (%d terms, %.3f s)",
            loaded.version,
            len(workers),
            self._generation,
            loaded.matcher.term_count,
            time.monotonic() - started,
        )
        return True

    def _wait_switched(self, children: list[_Child], timeout: float) -> bool:
        """Wait until every child in ``children`` answered ``switched``; False on a failure.

        Also False when time runs out or a stop is requested meanwhile;
        ``_last_failure`` says why.
        """
        deadline = time.monotonic() + timeout
        while True:
            waiting = [child for child in children if not child.switched]
            if not waiting:
                return True
            for child in waiting:
                if child.switch_failure:
                    self._last_failure = f"{child.describe()}: {child.switch_failure}"
                    return False
                if child.exited or child.status_closed:
                    self._last_failure = f"{child.describe()} exited"
                    return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._last_failure = f"no answer within {timeout:.0f} s"
                return False
            if self._stop_requested:
                self._last_failure = "stopped"
                return False
            self._read_statuses(waiting, min(remaining, 0.5))

    def _observe_reload(self, loaded: LoadedList | None) -> None:
        """Count the time from the start of the last load until now as one reload."""
        from suggestfilter.serving import _metrics as _metrics

        if loaded is not None:
            _metrics.RELOAD_SECONDS.observe(time.perf_counter() - self._load_started)

    def _count_reload_failure(self) -> None:
        from suggestfilter.serving import _metrics as _metrics

        _metrics.RELOAD_FAILURES.inc()

    def _reusable_previous(self, number: int) -> LoadedList | None:
        """The list served before the current one, when ``number`` is that same version.

        A version's content never changes, so a list compiled from it (after
        its checksum verified) serves it again as long as the stored checksum
        is still the one it was compiled from: a rollback to the previous
        version skips the load and the compile.
        """
        previous = self._previous
        if previous is None or previous.version != number or self._store is None:
            return None
        try:
            checksum = self._store.version_info(number).checksum
        except Exception:
            return None
        return previous if checksum == previous.checksum else None

    def _load(self, number: int) -> LoadedList | None:
        """Load, verify and compile the published version; None when it is refused."""
        from suggestfilter.engine._matcher import Matcher
        from suggestfilter.serving._state import LoadedList

        started = time.perf_counter()
        self._load_started = started
        self._seen_version = number
        assert self._store is not None
        previous = self._reusable_previous(number)
        if previous is not None:
            _LOGGER.info("list version %d: the previous compiled list is served again", number)
            return previous
        try:
            snapshot = self._store.load_published()
        except ChecksumError:
            _LOGGER.error(
                "list version %d refused: its checksum does not verify; version %s keeps serving",
                number,
                self.serving_version,
            )
            self._count_reload_failure()
            return None
        except StoreUnavailableError as error:
            self._seen_version = self.serving_version
            self._close_store()
            self._set_store_reachable(False, error)
            return None
        except StoreError as error:
            _LOGGER.error("list version %d could not be loaded: %s", number, error)
            self._count_reload_failure()
            return None
        if snapshot is None:
            return None
        self._seen_version = snapshot.info.number
        loaded_at = time.perf_counter()
        try:
            matcher = Matcher.compile(snapshot.entries, snapshot.policy)
        except SuggestFilterError as error:
            _LOGGER.error(
                "list version %d refused: it does not compile (%s); version %s keeps serving",
                snapshot.info.number,
                type(error).__name__,
                self.serving_version,
            )
            self._count_reload_failure()
            return None
        built_at = time.perf_counter()
        loaded = LoadedList(matcher, snapshot.info.number, snapshot.info.checksum)
        del snapshot
        _LOGGER.info(
            "list version %d: %d terms loaded in %.3f s, compiled in %.3f s",
            loaded.version,
            matcher.term_count,
            loaded_at - started,
            built_at - loaded_at,
        )
        return loaded

    def _wait_for_change(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds; True when PostgreSQL notified a change meanwhile.

        A signal ends the sleep at once (SQLite); PostgreSQL waits at most
        ``timeout``, which the caller keeps short.
        """
        from suggestfilter.store import is_postgres_location

        if timeout <= 0:
            return False
        if self._store is not None and is_postgres_location(self.settings.store_location):
            # PostgresStore.wait_for_change returns True when a NOTIFY arrived.
            wait: Callable[[float], object] = self._store.wait_for_change
            try:
                return wait(timeout) is True
            except Exception as error:
                self._close_store()
                self._set_store_reachable(False, error)
                return False
        readable, _, _ = select.select([self._wakeup_r], [], [], timeout)
        if readable:
            self._drain_wakeup()
        return False

    # --- shutdown -----------------------------------------------------------

    def _shutdown(self) -> int:
        """Drain every worker and the admin server, then stop the metrics endpoint."""
        _LOGGER.info("draining %d workers (grace %.1f s)", len(self._workers), self.settings.grace)
        servers = [*self._workers, *self._draining]
        if self._admin is not None:
            servers.append(self._admin)
        for child in servers:
            self._stop_child(child)
        self._draining.extend(self._workers)
        self._workers = []
        status = self._wait_exit(servers, self.settings.grace + KILL_MARGIN)
        if self._metrics is not None:
            metrics = self._metrics
            self._stop_child(metrics)
            self._wait_exit([metrics], KILL_MARGIN)
        _LOGGER.info("stopped")
        return status

    def _wait_exit(self, children: list[_Child], timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while any(not child.exited for child in children) and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.02)
        self._reap()
        clean = all(child.exited and child.exit_status == 0 for child in children)
        return 0 if clean else 1

    def _kill_everyone(self) -> None:
        for child in list(self._children.values()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + KILL_MARGIN
        while self._children and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.01)


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
