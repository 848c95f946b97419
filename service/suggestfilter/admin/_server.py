"""Build the admin gRPC server: TermAdminService, health and reflection, behind token auth.

:func:`create_admin_server` opens its own store, wraps it in the admin
servicer, and puts :class:`~suggestfilter.admin._auth.AuthInterceptor` in front of
every call: the token is checked before a request is even parsed. Health
(``grpc.health.v1.Health``, SERVING for ``""`` and the admin service once the
store is open) and server reflection answer without a token, so probes and
``grpcurl list`` work. With ``credentials`` (see
:meth:`suggestfilter.rpc._tls.TlsFiles.server_credentials`) the port speaks TLS,
or mutual TLS when a client CA is given.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from concurrent import futures
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from suggestfilter._errors import SuggestFilterError
from suggestfilter.admin._auth import AuthInterceptor, TokenRegistry
from suggestfilter.admin._servicer import REQUIRED_ROLES, SERVICE_NAME, TermAdminServicer
from suggestfilter.rpc._server_common import bind_port, enable_reflection
from suggestfilter.store import open_store
from suggestfilter.v1 import admin_pb2_grpc

_LOGGER = logging.getLogger(__name__)

DEFAULT_ADMIN_PORT = 50052

MAX_RECEIVE_BYTES = 64 * 1024 * 1024
"""The largest admin request accepted (term imports are streamed in batches anyway)."""

MAX_SEND_BYTES = 256 * 1024 * 1024
"""The largest admin response (a diff of a large import is one message)."""


def create_admin_server(
    address: str,
    store_location: str,
    *,
    tokens: TokenRegistry,
    reuse_port: bool = False,
    credentials: grpc.ServerCredentials | None = None,
    max_workers: int = 4,
) -> tuple[grpc.Server, int]:
    """Create the admin server bound to ``address`` (``host:port``; port 0 for any).

    Opens the store at ``store_location`` (SQLite path or PostgreSQL DSN;
    StoreUnavailableError when unreachable). Returns ``(server, port)``; the
    server is not started: the caller starts and stops it; stopping it closes
    the store (wait on the event ``stop`` returns). Every
    TermAdminService call needs a token of ``tokens`` with the method's role.
    Raises SuggestFilterError when the address cannot be bound.
    """
    store = open_store(store_location)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="admin-grpc"),
        interceptors=[AuthInterceptor(tokens, REQUIRED_ROLES)],
        options=[
            ("grpc.so_reuseport", 1 if reuse_port else 0),
            ("grpc.max_receive_message_length", MAX_RECEIVE_BYTES),
            ("grpc.max_send_message_length", MAX_SEND_BYTES),
        ],
    )
    servicer = TermAdminServicer(store)
    admin_pb2_grpc.add_TermAdminServiceServicer_to_server(  # type: ignore[no-untyped-call]
        servicer, server
    )
    health_servicer = health.HealthServicer()
    for name in ("", SERVICE_NAME):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    enable_reflection(server, SERVICE_NAME)
    try:
        port = bind_port(server, address, credentials, what="admin port")
    except SuggestFilterError:
        store.close()
        raise
    _LOGGER.info(
        "admin server bound to port %d (%s, %d tokens)",
        port,
        "plaintext" if credentials is None else "TLS",
        len(tokens),
    )
    return _StoreClosingServer(server, servicer), port


class _StoreClosingServer(grpc.Server):
    """The admin grpc.Server; once stopped, it closes the admin store too.

    ``stop(grace)`` returns an event that is set when the server has stopped
    and the store is closed.
    """

    def __init__(self, server: grpc.Server, servicer: TermAdminServicer) -> None:
        self._server = server
        self._servicer = servicer

    def add_generic_rpc_handlers(self, generic_rpc_handlers: Iterable[Any]) -> None:
        self._server.add_generic_rpc_handlers(generic_rpc_handlers)

    def add_registered_method_handlers(self, service_name: str, method_handlers: Any) -> None:
        self._server.add_registered_method_handlers(  # type: ignore[attr-defined]
            service_name, method_handlers
        )

    def add_insecure_port(self, address: str) -> int:
        return self._server.add_insecure_port(address)

    def add_secure_port(self, address: str, server_credentials: grpc.ServerCredentials) -> int:
        return self._server.add_secure_port(address, server_credentials)

    def start(self) -> None:
        self._server.start()

    def stop(self, grace: float | None = None) -> threading.Event:
        stopped = self._server.stop(grace)
        closed = threading.Event()

        def close_when_stopped() -> None:
            stopped.wait()
            self._servicer.close()
            closed.set()

        threading.Thread(target=close_when_stopped, name="admin-store-close", daemon=True).start()
        return closed

    def wait_for_termination(self, timeout: float | None = None) -> bool:
        return self._server.wait_for_termination(timeout)
