"""How the workers of ``serve`` move to a new list version: in place, or a new generation.

Most users can ignore this module; :mod:`suggestfilter.runtime._supervisor`
describes the process model. :class:`WorkerGenerations` owns the public
workers of the supervisor: it loads each newly published version (with a
:class:`~suggestfilter.runtime._loader.ListLoader`), then switches the
running workers to a small version in place, or forks a new generation for
a large one (or when the in-place switch fails) and drains the old one once
every new worker is ready. It also replaces workers that die.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

from suggestfilter._errors import StoreUnavailableError
from suggestfilter.runtime._children import Child, ChildProcesses, StopRequest
from suggestfilter.runtime._loader import ListLoader, ListRefused
from suggestfilter.runtime._protocol import StoreReachable, Switch
from suggestfilter.runtime._store_watch import StoreWatch
from suggestfilter.runtime._worker import WorkerSettings, run_public_worker
from suggestfilter.serving._state import LoadedList

_LOGGER = logging.getLogger(__name__)

READY_TIMEOUT = 60.0
"""Seconds a new worker (or an in-place switch) has to answer before it counts as failed."""
RESPAWN_INTERVAL = 1.0
"""Seconds between two replacements of a worker that died."""


class WorkerGenerations:
    """The public workers: the list they serve, generation rotation, in-place switches.

    ``workers`` is the size of a generation. A version with at most
    ``inplace_max_terms`` entries (0: none) is switched in place in the
    running workers; a larger one rotates a generation.
    """

    def __init__(
        self,
        children: ChildProcesses,
        stop: StopRequest,
        watch: StoreWatch,
        settings: WorkerSettings,
        *,
        workers: int,
        inplace_max_terms: int,
    ) -> None:
        self._children = children
        self._stop = stop
        self._watch = watch
        self._settings = settings
        self._size = workers
        self._inplace_max_terms = inplace_max_terms
        self._loader = ListLoader()
        self.workers: list[Child] = []
        """The current generation's workers."""
        self.generation = 0
        self.last_failure = ""
        """Why the last generation or switch did not happen."""
        self._seen_version: int | None = None
        self._load_started = 0.0
        self._missing = 0
        self._next_respawn = 0.0

    @property
    def serving_version(self) -> int | None:
        """The version the current generation serves (None: none yet)."""
        current = self._loader.current
        return current.version if current is not None else None

    def start_first(self) -> bool:
        """Start the first generation with the published version (or none); True once it serves.

        Raises what the store raises when a SQLite store cannot be opened.
        """
        first = self._poll_published(initial=True)
        self._observe_reload(first)
        return self._start_generation(first)

    def reload_if_changed(self) -> None:
        """Serve the published version if it changed: in place, or in a new generation."""
        loaded = self._poll_published(initial=False)
        if loaded is None:
            return
        if self._fits_in_place(loaded):
            if self._switch_in_place(loaded):
                self._observe_reload(loaded)
                return
            if self._stop.requested:
                return
        self._observe_reload(loaded)
        if not self._start_generation(loaded) and not self._stop.requested:
            _count_reload_failure()
            self._seen_version = self.serving_version  # retried at the next poll

    def tell_store_reachable(self, reachable: bool) -> None:
        """Tell every current worker whether the store answers."""
        for child in self.workers:
            self._children.send(child, StoreReachable(reachable))

    def worker_exited(self, child: Child, *, expected: bool) -> None:
        """Forget an exited worker; one that died unexpectedly is replaced."""
        if child in self.workers:
            self.workers.remove(child)
            if not expected:
                self._missing += 1

    def replace_missing(self) -> None:
        """Start one replacement for a worker that died (at most once a second)."""
        now = time.monotonic()
        if not self._missing or now < self._next_respawn:
            return
        self._next_respawn = now + RESPAWN_INTERVAL
        self._missing -= 1
        _LOGGER.info("starting a replacement worker for generation %d", self.generation)
        child = self._start_worker(self._loader.current)
        why = self._wait_ready([child])
        if why:
            _LOGGER.warning("replacement worker failed: %s", why)
            self._missing += 1
            self._children.stop(child)
        else:
            self.workers.append(child)

    def stop_all(self) -> list[Child]:
        """Tell every current worker to drain; return them."""
        workers, self.workers = self.workers, []
        for child in workers:
            self._children.stop(child)
        return workers

    # --- loading --------------------------------------------------------------

    def _poll_published(self, *, initial: bool) -> LoadedList | None:
        """The newly published (or rolled-back) version, compiled; None when nothing changed."""
        number = self._watch.published_version(initial=initial)
        if number is None or number == self._seen_version:
            return None
        self._load_started = time.perf_counter()
        self._seen_version = number
        try:
            return self._loader.load(self._watch.open(), number)
        except ListRefused as refused:
            _LOGGER.error("%s; version %s keeps serving", refused, self.serving_version)
            _count_reload_failure()
        except StoreUnavailableError as error:
            self._seen_version = self.serving_version
            self._watch.lost(error)
        return None

    def _observe_reload(self, loaded: LoadedList | None) -> None:
        """Count the time from the start of the last load until now as one reload."""
        # The metrics module is imported once serve switched prometheus to multiprocess mode.
        from suggestfilter.serving import _metrics as _metrics

        if loaded is not None:
            _metrics.RELOAD_SECONDS.observe(time.perf_counter() - self._load_started)

    # --- in place -------------------------------------------------------------

    def _fits_in_place(self, loaded: LoadedList) -> bool:
        """Whether the running workers switch to ``loaded`` in place (instead of a rotation)."""
        limit = self._inplace_max_terms
        return limit > 0 and loaded.matcher.term_count <= limit and bool(self.workers)

    def _switch_in_place(self, loaded: LoadedList) -> bool:
        """Tell every current worker to serve ``loaded`` in place; True once all of them do.

        False (the caller rotates a generation instead) when a worker answers
        that it failed, exits, or does not answer within ``READY_TIMEOUT``;
        the workers that did switch serve ``loaded`` until that rotation.
        """
        started = time.monotonic()
        workers = list(self.workers)
        for child in workers:
            child.switch_version = loaded.version
            child.switched = False
            child.switch_failure = ""
            self._children.send(child, Switch(loaded.version, loaded.checksum))
        self.last_failure = self._children.wait(
            workers, lambda child: child.switched, READY_TIMEOUT, failed=_switch_failure
        )
        if self.last_failure:
            if not self._stop.requested:
                _LOGGER.warning(
                    "list version %d: the in-place switch failed (%s); "
                    "rotating a new worker generation instead",
                    loaded.version,
                    self.last_failure,
                )
            return False
        self._loader.accept(loaded)
        _LOGGER.info(
            "list version %d: %d workers of generation %d switched in place (%d terms, %.3f s)",
            loaded.version,
            len(workers),
            self.generation,
            loaded.matcher.term_count,
            time.monotonic() - started,
        )
        return True

    # --- generations ----------------------------------------------------------

    def _start_generation(self, loaded: LoadedList | None) -> bool:
        """Fork a generation serving ``loaded``; once all are ready, drain the previous one.

        Returns False (and keeps the previous generation) when a new worker
        fails to start.
        """
        started = time.monotonic()
        previous_generation = self.generation
        self.generation += 1
        gc.collect()
        gc.freeze()  # the inherited heap stays shared: the children's GC never writes to it
        try:
            new = [self._start_worker(loaded) for _ in range(self._size)]
        finally:
            gc.unfreeze()
        why = self._wait_ready(new)
        if why:
            if self._stop.requested:
                _LOGGER.info("generation %d not started: stopping", self.generation)
                self.last_failure = "stopped while starting"
            else:
                self.last_failure = why
                _LOGGER.error(
                    "generation %d did not start (%s); generation %d keeps serving",
                    self.generation,
                    why,
                    previous_generation,
                )
            for child in new:
                self._children.stop(child)
            self.generation = previous_generation
            return False
        old, self.workers = self.workers, new
        if loaded is not None:
            self._loader.accept(loaded)
        self._missing = 0
        for child in old:
            self._children.stop(child)
        _LOGGER.info(
            "generation %d: %d workers serving list version %s on %s (started in %.3f s)",
            self.generation,
            len(new),
            loaded.version if loaded is not None else "none (NOT_SERVING)",
            self._settings.address,
            time.monotonic() - started,
        )
        return True

    def _start_worker(self, loaded: LoadedList | None) -> Child:
        settings = self._settings
        reachable = self._watch.reachable
        main: Callable[[Connection], int] = lambda connection: run_public_worker(  # noqa: E731
            settings, loaded, connection, store_reachable=reachable
        )
        return self._children.start("worker", self.generation, main)

    def _wait_ready(self, children: list[Child]) -> str:
        """Wait until every child in ``children`` is ready; "" then, else why not."""
        return self._children.wait(
            children, lambda child: child.ready, READY_TIMEOUT, failed=start_failure
        )


def start_failure(child: Child) -> str:
    """Why ``child`` will not become ready ("" while it still may)."""
    if child.failure or child.exited:
        return child.failure or f"{child.describe()} exited"
    return ""


def _switch_failure(child: Child) -> str:
    """Why a worker will not switch in place ("" while it still may)."""
    if child.switch_failure:
        return f"{child.describe()}: {child.switch_failure}"
    if child.exited or child.pipe_closed:
        return f"{child.describe()} exited"
    return ""


def _count_reload_failure() -> None:
    # The metrics module is imported once serve switched prometheus to multiprocess mode.
    from suggestfilter.serving import _metrics as _metrics

    _metrics.RELOAD_FAILURES.inc()
