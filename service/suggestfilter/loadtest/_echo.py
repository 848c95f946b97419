"""The echo floor: SuggestionFilterService with no matching, for load-test baselines.

:class:`EchoFilterServicer` answers every keystroke with the response shape
the real service uses (every candidate allowed in request order, one ALLOW
verdict per candidate, an ALLOW query verdict, ``list_version`` 1) and does
nothing else. Whatever the real service's throughput is below this floor, on
the same machine with the same load generator, server settings and worker
count, is the cost of filtering; ``suggestfilter loadtest --echo-floor``
reports the ratio.

:class:`EchoWorkers` runs the floor the way ``suggestfilter serve`` runs the
service: N worker processes sharing one port through ``SO_REUSEPORT``, each
created before any gRPC object exists in it (spawned), each with health
(SERVING) and reflection. Most users can ignore this module.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.synchronize
import signal
import socket
import threading
from collections.abc import Iterator
from concurrent import futures
from types import TracebackType
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from suggestfilter.rpc._limits import Limits
from suggestfilter.serving._server import server_options
from suggestfilter.v1 import filter_pb2, filter_pb2_grpc

_LOGGER = logging.getLogger(__name__)

_ALLOW = filter_pb2.Verdict(action=filter_pb2.ACTION_ALLOW)
_SERVICE_NAME = filter_pb2.DESCRIPTOR.services_by_name["SuggestionFilterService"].full_name
ECHO_LIST_VERSION = 1
STOP_GRACE_SECONDS = 2.0


def echo_response(request: filter_pb2.FilterRequest) -> filter_pb2.FilterResponse:
    """The floor's answer: everything allowed, in the real service's response shape."""
    return filter_pb2.FilterResponse(
        allowed=request.suggestions,
        verdicts=[_ALLOW] * len(request.suggestions),
        query_verdict=_ALLOW,
        list_version=ECHO_LIST_VERSION,
    )


class EchoFilterServicer(filter_pb2_grpc.SuggestionFilterServiceServicer):
    """Allows everything, matches nothing; the same messages as the real servicer."""

    def Filter(
        self, request: filter_pb2.FilterRequest, context: grpc.ServicerContext
    ) -> filter_pb2.FilterResponse:
        """One keystroke, echoed as allowed."""
        return echo_response(request)

    def FilterSession(
        self, request_iterator: Iterator[filter_pb2.FilterRequest], context: grpc.ServicerContext
    ) -> Iterator[filter_pb2.FilterResponse]:
        """One response per request, in order, each echoed as allowed."""
        for request in request_iterator:
            yield echo_response(request)

    def Report(
        self, request: filter_pb2.ReportRequest, context: grpc.ServicerContext
    ) -> filter_pb2.ReportResponse:
        """Accepts and forgets the report."""
        return filter_pb2.ReportResponse(report_id="echo")


def create_echo_server(
    address: str, *, reuse_port: bool = False, max_workers: int = 8
) -> tuple[grpc.Server, int]:
    """An echo server bound to ``address`` (not started) and its port.

    Registers the echo SuggestionFilterService, health (SERVING) and
    reflection, with the public server's options (``server_options`` of the
    default limits: message sizes, SO_REUSEPORT) and thread pool size.
    """
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="echo-grpc"),
        options=server_options(Limits(), reuse_port=reuse_port),
    )
    filter_pb2_grpc.add_SuggestionFilterServiceServicer_to_server(  # type: ignore[no-untyped-call]
        EchoFilterServicer(), server
    )
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ("", _SERVICE_NAME):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection(
        (_SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"cannot bind {address}")
    return server, port


def _echo_worker(address: str, max_workers: int, ready: multiprocessing.synchronize.Event) -> None:
    """A spawned worker: serve the echo floor on the shared port until SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    server, _port = create_echo_server(address, reuse_port=True, max_workers=max_workers)
    server.start()
    ready.set()
    stop.wait()
    server.stop(STOP_GRACE_SECONDS).wait()


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EchoWorkers:
    """``workers`` echo server processes sharing one loopback port; a context manager.

    ``target`` is ``127.0.0.1:PORT``. Entering starts the workers and waits
    until each serves; leaving sends SIGTERM and waits for them.
    """

    def __init__(self, workers: int = 2, *, port: int = 0, max_workers: int = 8) -> None:
        if workers < 1:
            raise ValueError("the echo floor needs at least one worker")
        self.workers = workers
        self.port = port or free_loopback_port()
        self.max_workers = max_workers
        self._processes: list[Any] = []

    @property
    def target(self) -> str:
        """Where clients connect."""
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start every worker and wait until each has started its server."""
        context = multiprocessing.get_context("spawn")
        events = []
        for _ in range(self.workers):
            ready = context.Event()
            process = context.Process(
                target=_echo_worker, args=(self.target, self.max_workers, ready), daemon=True
            )
            process.start()
            self._processes.append(process)
            events.append(ready)
        for ready, process in zip(events, self._processes, strict=True):
            if not ready.wait(timeout):
                self.stop()
                raise RuntimeError(f"echo worker {process.pid} did not start")
        _LOGGER.info("echo floor: %d workers on %s", self.workers, self.target)

    def stop(self) -> None:
        """SIGTERM every worker and wait for it (kill after a grace period)."""
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        for process in self._processes:
            process.join(STOP_GRACE_SECONDS + 5)
            if process.is_alive():
                process.kill()
                process.join()
        self._processes.clear()

    def __enter__(self) -> EchoWorkers:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
