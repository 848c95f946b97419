"""Loopback helpers for tests: free TCP ports and the PostgreSQL server the suite uses."""

from __future__ import annotations

import os
import socket

POSTGRES_BASE_DSN = os.environ.get(
    "SUGGESTFILTER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
