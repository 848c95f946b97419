"""Watching the store's published version from the supervisor of ``serve``.

Most users can ignore this module. PostgreSQL tells the supervisor about a
publish or a rollback with NOTIFY (:meth:`Store.wait_for_change`); every
store, PostgreSQL included, is also polled every ``poll_interval`` seconds,
the fallback when a notification is lost. While the store cannot be reached,
``suggestfilter_store_unreachable`` is 1 and the workers are told so (their
``suggestfilter.store`` health turns NOT_SERVING).
"""

from __future__ import annotations

import contextlib
import logging
import select
from collections.abc import Callable

from suggestfilter.runtime._children import StopRequest
from suggestfilter.store import Store, is_postgres_location, open_store

_LOGGER = logging.getLogger(__name__)


class StoreWatch:
    """The supervisor's store connection: the published version and whether the store answers.

    ``on_reachable`` is called with the new reachability each time it
    changes; ``serving_version`` says what keeps serving meanwhile (for the
    log). The connection is opened on first use and again after a failure.
    """

    def __init__(
        self,
        location: str,
        stop: StopRequest,
        *,
        on_reachable: Callable[[bool], None],
        serving_version: Callable[[], int | None],
    ) -> None:
        self._location = location
        self._postgres = is_postgres_location(location)
        self._stop = stop
        self._on_reachable = on_reachable
        self._serving_version = serving_version
        self._store: Store | None = None
        self.reachable = True

    def open(self) -> Store:
        """The store connection, opened if needed (errors as the store raises them)."""
        if self._store is None:
            store = open_store(self._location)
            if self._postgres:
                # LISTEN before the first read of the published version, so that
                # no publish between that read and the first wait goes unnoticed.
                store.wait_for_change(0.0)
            self._store = store
        return self._store

    def close(self) -> None:
        """Close the connection (the next use opens a new one)."""
        store, self._store = self._store, None
        if store is not None:
            with contextlib.suppress(Exception):
                store.close()

    def published_version(self, *, initial: bool = False) -> int | None:
        """The published version number; None when none is published or the store fails.

        At start (``initial``) a SQLite store that cannot be opened raises; a
        PostgreSQL store may come up later.
        """
        try:
            number = self.open().published_version()
        except Exception as error:  # any failure of the store: keep serving what we have
            self.close()
            if initial and not self._postgres:
                raise
            self.set_reachable(False, error)
            return None
        self.set_reachable(True)
        return number

    def lost(self, error: Exception) -> None:
        """The store failed (``error``): close the connection, report it unreachable."""
        self.close()
        self.set_reachable(False, error)

    def set_reachable(self, reachable: bool, error: Exception | None = None) -> None:
        """Record whether the store answers; a change is logged, metered and told the workers."""
        # The metrics module is imported once serve switched prometheus to multiprocess mode.
        from suggestfilter.serving import _metrics as _metrics

        if reachable == self.reachable:
            return
        self.reachable = reachable
        _metrics.STORE_UNREACHABLE.set(0 if reachable else 1)
        if reachable:
            _LOGGER.info("the store is reachable again")
        else:
            serving = self._serving_version()
            _LOGGER.warning(
                "the store is unreachable (%s): %s",
                error,
                "nothing is served until it answers"
                if serving is None
                else f"list version {serving} keeps serving",
            )
        self._on_reachable(reachable)

    def wait_for_change(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds; True when PostgreSQL notified a change meanwhile.

        A signal ends the sleep at once (SQLite); PostgreSQL waits at most
        ``timeout``, which the caller keeps short.
        """
        if timeout <= 0:
            return False
        if self._store is not None and self._postgres:
            try:
                return self._store.wait_for_change(timeout) is True
            except Exception as error:
                self.lost(error)
                return False
        readable, _, _ = select.select([self._stop.read_fd], [], [], timeout)
        if readable:
            self._stop.drain()
        return False
