"""The Prometheus endpoint of ``suggestfilter serve``: one scrape sums every worker.

prometheus_client runs in multiprocess mode when ``PROMETHEUS_MULTIPROC_DIR``
is set at the moment it is imported: every process then writes its metric
values to memory-mapped files in that directory, and a
``MultiProcessCollector`` adds them up on each scrape. So ``serve`` calls
:func:`prepare_multiprocess_dir` before anything imports prometheus_client
(the supervisor, every worker generation and this endpoint share the
directory), and :func:`mark_worker_dead` when a worker exits, which drops the
live gauges of that process (counters and histograms of exited workers keep
counting in the sum, so totals never go backwards).

The endpoint runs in its own child process, forked by the supervisor: it
answers ``GET /metrics`` (the Prometheus text format) and nothing else (404).
It never sees a request's text: metrics carry methods, codes, categories and
counts only.
"""

from __future__ import annotations

import http.server
import logging
import os
import socket
import sys
import tempfile
from typing import Any

_LOGGER = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""The variable prometheus_client reads at import time."""

OWNED_DIR_ENV = "SUGGESTFILTER_SERVE_METRICS_DIR"
"""Set together with :data:`MULTIPROC_ENV` by :func:`prepare_multiprocess_dir`: marks a
directory that this serve process created and removes on exit."""

METRICS_PATH = "/metrics"


def prometheus_client_imported() -> bool:
    """Whether prometheus_client is already imported in this process (too late to switch mode)."""
    return "prometheus_client" in sys.modules


def switch_to_multiprocess_mode() -> bool:
    """Make metrics created from now on use the multiprocess directory; False if too late.

    When prometheus_client was imported before the directory was set, its
    value class is chosen again here, which is enough as long as no metric
    of ours exists yet (``suggestfilter.serving._metrics`` not imported); otherwise
    only a fresh interpreter can fix it and this returns False.
    """
    if not prometheus_client_imported():
        return True
    if "suggestfilter.serving._metrics" in sys.modules:
        return False
    from prometheus_client import values

    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    return True


def prepare_multiprocess_dir() -> str:
    """Point ``PROMETHEUS_MULTIPROC_DIR`` at a fresh private (0700) directory and return it.

    A directory that an earlier call in this process (or the process that
    exec'd this one) prepared is reused when it is still empty of other
    processes' files; any other value of the variable is replaced, so stale
    files from a previous run never add to the sums.
    """
    owned = os.environ.get(OWNED_DIR_ENV)
    if owned and os.environ.get(MULTIPROC_ENV) == owned and os.path.isdir(owned):
        return owned
    directory = tempfile.mkdtemp(prefix="suggestfilter-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    os.environ[OWNED_DIR_ENV] = directory
    return directory


def mark_worker_dead(pid: int, directory: str) -> None:
    """Drop the live gauges of the exited process ``pid`` from the sums."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]


def _split_host(host: str) -> tuple[str, socket.AddressFamily]:
    bare = host.strip("[]")
    family = socket.AF_INET6 if ":" in bare else socket.AF_INET
    return bare, family


class _MetricsHandler(http.server.BaseHTTPRequestHandler):
    """Serves the multiprocess registry at ``/metrics``; 404 elsewhere."""

    registry: Any = None
    server_version = "suggestfilter-metrics"

    def do_GET(self) -> None:
        from prometheus_client import exposition

        path = self.path.split("?", 1)[0]
        if path != METRICS_PATH:
            self.send_error(404, "only /metrics is served here")
            return
        accept = self.headers.get("Accept") or ""
        encoder, content_type = exposition.choose_encoder(accept)
        body = encoder(self.registry)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Access logs stay off: scrapes are frequent and carry nothing worth keeping."""


class _DualStackServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def create_metrics_http_server(host: str, port: int) -> http.server.ThreadingHTTPServer:
    """A bound (not yet serving) HTTP server for ``/metrics`` summing every process.

    Must run in a process where prometheus_client was imported with
    ``PROMETHEUS_MULTIPROC_DIR`` set. Raises OSError when the port is taken.
    """
    from prometheus_client import CollectorRegistry, multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    bare, family = _split_host(host)
    handler = type("MetricsHandler", (_MetricsHandler,), {"registry": registry})

    server_class = type("MetricsServer", (_DualStackServer,), {"address_family": family})
    server: http.server.ThreadingHTTPServer = server_class((bare, port), handler)
    return server
