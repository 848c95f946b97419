"""Build the public gRPC server of one process: filter service, health and reflection.

:func:`create_public_server` returns the server unstarted with its bound
port; the caller starts it, drives :class:`ServingState` (``swap`` when a
list is loaded) and stops it. It registers:

- ``suggestfilter.v1.SuggestionFilterService`` (Filter, FilterSession, Report);
- ``grpc.health.v1.Health``, driven by the state (NOT_SERVING until a list
  is loaded, for ``""`` and the filter service);
- server reflection listing both (so grpcurl works without proto files).

The maximum receive size follows the :class:`Limits` (every valid request
fits; a larger one is refused unparsed with RESOURCE_EXHAUSTED). Note that a
synchronous gRPC server runs each call, and each open FilterSession stream,
on one of ``max_workers`` threads for as long as it lasts.
"""

from __future__ import annotations

import logging
from concurrent import futures
from typing import Any

import grpc
from grpc_health.v1 import health_pb2_grpc

from suggestfilter.rpc._limits import Limits
from suggestfilter.rpc._server_common import bind_port, enable_reflection
from suggestfilter.serving._servicer import (
    ReportSink,
    SuggestionFilterServicer,
    add_servicer_to_server,
)
from suggestfilter.serving._state import SERVICE_NAME, ServingState

_LOGGER = logging.getLogger(__name__)

_MAX_SEND_MESSAGE_BYTES = 4 * 1024 * 1024


def server_options(limits: Limits, *, reuse_port: bool = False) -> list[tuple[str, Any]]:
    """The gRPC server options for ``limits``: port sharing and message sizes."""
    return [
        ("grpc.so_reuseport", 1 if reuse_port else 0),
        ("grpc.max_receive_message_length", limits.max_message_bytes),
        ("grpc.max_send_message_length", _MAX_SEND_MESSAGE_BYTES),
    ]


def create_public_server(
    address: str,
    state: ServingState,
    *,
    limits: Limits | None = None,
    report_sink: ReportSink | None = None,
    reuse_port: bool = False,
    max_workers: int = 8,
    credentials: grpc.ServerCredentials | None = None,
) -> tuple[grpc.Server, int]:
    """Create the public server bound to ``address`` (``host:port``, port 0 for any).

    Returns ``(server, port)``; the server is not started. ``reuse_port``
    lets several processes bind the same port (SO_REUSEPORT). With
    ``credentials`` the port is TLS (or mutual TLS), else plaintext.
    Raises SuggestFilterError when the address cannot be bound.
    """
    limits = limits or Limits()
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="public-grpc"),
        options=server_options(limits, reuse_port=reuse_port),
    )
    servicer = SuggestionFilterServicer(state, limits=limits, report_sink=report_sink)
    add_servicer_to_server(servicer, server)
    health_pb2_grpc.add_HealthServicer_to_server(state.health, server)
    enable_reflection(server, SERVICE_NAME)
    port = bind_port(server, address, credentials, what="public port")
    _LOGGER.info("public server bound to port %d", port)
    return server, port
