"""The messages between the supervisor of ``serve`` and the children it forks.

Most users can ignore this module. Each child gets one end of a
``multiprocessing`` pipe (a fork context: the child is forked before it
creates any gRPC object); the messages are the small frozen dataclasses
below, pickled by :meth:`multiprocessing.connection.Connection.send`.

Control messages (supervisor → child):

- :class:`Stop`: drain and exit 0. The end of the pipe (the supervisor
  died) and SIGTERM do the same; SIGINT is ignored (a terminal's Ctrl-C
  reaches the supervisor, which drains everyone).
- :class:`StoreReachable`: whether the supervisor reaches the store; a public
  worker sets the health of ``suggestfilter.store`` from it.
- :class:`Switch`: a public worker switches to that list version in place.

Status messages (child → supervisor):

- :class:`Ready` once the child's server listens, or :class:`Failed` before
  it exits 1.
- After :class:`Ready`, a public worker answers each :class:`Switch` with
  :class:`Switched` once it serves that version, or :class:`SwitchFailed`
  while it keeps serving the list it had.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TypeAlias


@dataclass(frozen=True, slots=True)
class Stop:
    """Drain (health NOT_SERVING, GOAWAY, in-flight calls finish within the grace) and exit 0."""


@dataclass(frozen=True, slots=True)
class StoreReachable:
    """Whether the supervisor reaches the store (the ``suggestfilter.store`` health)."""

    reachable: bool


@dataclass(frozen=True, slots=True)
class Switch:
    """Serve list ``version`` in place; its stored checksum must be ``checksum``."""

    version: int
    checksum: str


@dataclass(frozen=True, slots=True)
class Ready:
    """The child's server listens; a public worker serves list ``version`` (None: no list)."""

    version: int | None = None


@dataclass(frozen=True, slots=True)
class Failed:
    """The child could not start (``reason``) and exits 1."""

    reason: str


@dataclass(frozen=True, slots=True)
class Switched:
    """The worker serves ``version`` now (the answer to :class:`Switch`)."""

    version: int


@dataclass(frozen=True, slots=True)
class SwitchFailed:
    """The worker did not switch to ``version`` (``reason``) and serves the list it had."""

    version: int
    reason: str


ControlMessage: TypeAlias = Stop | StoreReachable | Switch
StatusMessage: TypeAlias = Ready | Failed | Switched | SwitchFailed


def send(connection: Connection, message: ControlMessage | StatusMessage) -> None:
    """Send ``message``; a pipe whose other end is gone is ignored (the reader exited)."""
    with contextlib.suppress(OSError):
        connection.send(message)
