"""The supervisor ↔ child messages, through real ``multiprocessing`` pipes of a fork context."""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.connection import Connection

import pytest
from suggestfilter.runtime._protocol import (
    ControlMessage,
    Failed,
    Ready,
    StatusMessage,
    Stop,
    StoreReachable,
    Switch,
    Switched,
    SwitchFailed,
    send,
)
from suggestfilter.runtime._worker import _wait_for_stop

FORK = multiprocessing.get_context("fork")

MESSAGES = [
    pytest.param(Stop(), id="stop"),
    pytest.param(StoreReachable(True), id="store-reachable"),
    pytest.param(StoreReachable(False), id="store-unreachable"),
    pytest.param(Switch(7, "ab" * 32), id="switch"),
    pytest.param(Ready(3), id="ready-with-a-list"),
    pytest.param(Ready(), id="ready-without-a-list"),
    pytest.param(Failed("cannot bind the public port [::]:1"), id="failed"),
    pytest.param(Switched(7), id="switched"),
    pytest.param(SwitchFailed(7, "ChecksumError: list version 7 has checksum"), id="switch-failed"),
]


def _echo(connection: Connection, parent_end: Connection) -> None:
    """In a forked child: send back every message until the pipe ends."""
    parent_end.close()  # else the pipe never ends: this process would hold both ends
    try:
        while True:
            connection.send(connection.recv())
    except EOFError:
        os._exit(0)


@pytest.mark.parametrize("message", MESSAGES)
def test_a_message_arrives_equal_through_a_forked_child(
    message: ControlMessage | StatusMessage,
) -> None:
    ours, theirs = FORK.Pipe()
    child = FORK.Process(target=_echo, args=(theirs, ours), daemon=True)
    child.start()
    theirs.close()
    try:
        send(ours, message)
        assert ours.poll(10)
        echoed = ours.recv()
        assert echoed == message and type(echoed) is type(message)
    finally:
        ours.close()
        child.join(10)
    assert child.exitcode == 0


def test_a_message_is_immutable() -> None:
    with pytest.raises(AttributeError):
        Switch(1, "x").version = 2  # type: ignore[misc]


def test_sending_to_a_child_that_is_gone_is_ignored() -> None:
    ours, theirs = FORK.Pipe()
    theirs.close()
    send(ours, Stop())  # no error: the reader exited


class _NoSignal:
    """A child's SIGTERM flag and wakeup pipe, without the signal handler."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        self.received = False

    def close(self) -> None:
        os.close(self.read_fd)
        os.close(self.write_fd)


@pytest.mark.parametrize(
    ("ending", "reason"),
    [
        pytest.param("stop", "stop", id="stop-message"),
        pytest.param("close", "supervisor gone", id="end-of-pipe"),
        pytest.param("signal", "SIGTERM", id="sigterm"),
    ],
)
def test_a_child_drains_on_stop_the_end_of_the_pipe_or_sigterm(ending: str, reason: str) -> None:
    ours, theirs = FORK.Pipe()
    stop = _NoSignal()
    seen: list[ControlMessage] = []
    send(ours, StoreReachable(False))
    send(ours, Switch(2, "c" * 64))
    if ending == "stop":
        send(ours, Stop())
    elif ending == "close":
        ours.close()
    else:
        stop.received = True
    try:
        assert _wait_for_stop(theirs, stop, seen.append) == reason  # type: ignore[arg-type]
        if ending != "signal":
            assert seen == [StoreReachable(False), Switch(2, "c" * 64)]
    finally:
        stop.close()
        theirs.close()
        if not ours.closed:
            ours.close()
