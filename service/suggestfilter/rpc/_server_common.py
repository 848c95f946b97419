"""Pieces every gRPC server of suggestfilter shares: reflection and port binding.

Most users can ignore this module; :mod:`suggestfilter.serving._server` (public
port) and :mod:`suggestfilter.admin._server` (admin port) call it.
"""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection

from suggestfilter._errors import SuggestFilterError

HEALTH_SERVICE_NAME = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name


def enable_reflection(server: grpc.Server, service_name: str) -> None:
    """Let reflection clients (grpcurl) list ``service_name``, health and reflection itself."""
    reflection.enable_server_reflection(
        (service_name, HEALTH_SERVICE_NAME, reflection.SERVICE_NAME), server
    )


def bind_port(
    server: grpc.Server, address: str, credentials: grpc.ServerCredentials | None, *, what: str
) -> int:
    """Bind ``address`` (TLS when ``credentials`` is given); return the port.

    Raises SuggestFilterError naming ``what`` (e.g. "public port") when the
    address cannot be bound.
    """
    try:
        if credentials is None:
            port = server.add_insecure_port(address)
        else:
            port = server.add_secure_port(address, credentials)
    except RuntimeError as error:
        raise SuggestFilterError(f"cannot bind the {what} {address}") from error
    if port == 0:
        raise SuggestFilterError(f"cannot bind the {what} {address}")
    return port
