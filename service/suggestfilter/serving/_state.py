"""What one server process serves: the current term list, and its health.

The filter fails closed: until :meth:`ServingState.swap` installs a list,
:attr:`ServingState.current` is None, the public service answers UNAVAILABLE,
and the standard health service reports NOT_SERVING for both the server
(``""``) and ``suggestfilter.v1.SuggestionFilterService``.

A new list is built away from the serving path and installed with one
reference assignment, so every request sees either the old or the new list,
never a mix. A request reads :attr:`current` once and uses that object to the
end.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from grpc_health.v1 import health, health_pb2

if TYPE_CHECKING:
    from suggestfilter.engine import Matcher

SERVICE_NAME = "suggestfilter.v1.SuggestionFilterService"
"""The full name of the public service, as the health service knows it."""

HEALTH_SERVICES = ("", SERVICE_NAME)
"""The services whose health this state drives: the whole server and the public service."""


@dataclass(frozen=True, slots=True)
class LoadedList:
    """A compiled term list ready to serve: its matcher, version number (>= 1) and checksum."""

    matcher: Matcher
    version: int
    checksum: str

    def __post_init__(self) -> None:
        if self.version < 1:
            raise ValueError("a served list version is at least 1")


class ServingState:
    """The list one server process serves, and the health servicer it drives.

    Thread-safe: :meth:`swap` may be called from any thread while requests
    read :attr:`current`.
    """

    def __init__(self) -> None:
        self._current: LoadedList | None = None
        self._swap_lock = threading.Lock()
        self.health = health.HealthServicer()
        """The grpc_health.v1 servicer to register on the server."""
        for service in HEALTH_SERVICES:
            self.health.set(service, health_pb2.HealthCheckResponse.NOT_SERVING)

    @property
    def current(self) -> LoadedList | None:
        """The list being served, or None before the first :meth:`swap`."""
        return self._current

    def swap(self, loaded: LoadedList) -> LoadedList | None:
        """Serve ``loaded`` from now on; return the list it replaces.

        The switch is one reference assignment. Health becomes SERVING, and
        the list-version and term-count gauges are set (the metrics module
        is imported here, not at import of this module).
        """
        from suggestfilter.serving import _metrics as _metrics

        with self._swap_lock:
            previous = self._current
            self._current = loaded
            for service in HEALTH_SERVICES:
                self.health.set(service, health_pb2.HealthCheckResponse.SERVING)
        _metrics.LIST_VERSION.set(loaded.version)
        _metrics.TERM_COUNT.set(loaded.matcher.term_count)
        return previous

    def enter_graceful_shutdown(self) -> None:
        """Report NOT_SERVING from now on (for good), while in-flight calls finish."""
        self.health.enter_graceful_shutdown()
