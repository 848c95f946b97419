"""The supervisor's child processes: fork, message, stop, reap, and wait for them.

Most users can ignore this module. Every child (public worker, admin,
metrics) is a ``multiprocessing`` process of a fork context, started before
it creates any gRPC object (grpc's ``examples/python/multiprocessing``),
with one pipe to the supervisor that carries the messages of
:mod:`suggestfilter.runtime._protocol`.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from suggestfilter.runtime._protocol import (
    ControlMessage,
    Failed,
    Ready,
    Stop,
    Switched,
    SwitchFailed,
    send,
)
from suggestfilter.serving._metrics_http import mark_worker_dead

_LOGGER = logging.getLogger(__name__)

_FORK = multiprocessing.get_context("fork")

KILL_MARGIN = 5.0
"""Seconds past the grace after which a draining child is killed."""

ChildMain = Callable[[Connection], int]
"""What a child runs (with its end of the pipe); returns its exit status."""


class StopRequest:
    """SIGTERM or SIGINT of the supervisor: a flag, and a wakeup pipe that ends any wait."""

    def __init__(self) -> None:
        self.requested = False
        self.read_fd = -1
        self._write_fd = -1
        self._previous_handlers: dict[int, Any] = {}
        self._previous_wakeup = -1

    def install(self) -> None:
        """Handle SIGTERM and SIGINT from now on."""
        self.read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        os.set_blocking(self.read_fd, False)
        self._previous_handlers = {
            signum: signal.signal(signum, self._handle)
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        self._previous_wakeup = signal.set_wakeup_fd(self._write_fd)

    def restore(self) -> None:
        """Put the signal handling back as it was before :meth:`install`."""
        signal.set_wakeup_fd(self._previous_wakeup)
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
        self.close_pipe()

    def close_pipe(self) -> None:
        """Close the wakeup pipe (in a fresh child: it belongs to the supervisor)."""
        for fd in (self.read_fd, self._write_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.read_fd = self._write_fd = -1

    def drain(self) -> None:
        """Empty the wakeup pipe after it woke a wait."""
        with contextlib.suppress(OSError):
            while os.read(self.read_fd, 512):
                pass

    def _handle(self, signum: int, frame: Any) -> None:
        if not self.requested:
            _LOGGER.info("%s received: draining", signal.Signals(signum).name)
        self.requested = True


@dataclass(eq=False)
class Child:
    """One forked child, the supervisor's end of its pipe, and what it reported."""

    process: BaseProcess
    connection: Connection
    role: str
    generation: int
    pid: int = 0
    ready: bool = False
    failure: str = ""
    """Why it did not start (its :class:`Failed`, or that it exited first)."""
    exited: bool = False
    exit_status: int | None = None
    stop_deadline: float | None = None
    """When a child told to stop is killed (None: not told to stop)."""
    pipe_closed: bool = False
    switch_version: int | None = None
    """The version this worker was last asked to switch to in place."""
    switched: bool = False
    switch_failure: str = ""

    def describe(self) -> str:
        if self.role == "worker":
            return f"worker {self.pid} (generation {self.generation})"
        return f"{self.role} {self.pid}"


class ChildProcesses:
    """Forks children and keeps track of them until they are reaped.

    ``grace`` is the children's drain time; a child told to stop that still
    runs ``KILL_MARGIN`` seconds after its grace is killed. Each child that
    exits is passed to ``on_exit`` once it is reaped. With ``metrics_dir``
    the live gauges of each exited child leave the multiprocess metrics.
    """

    def __init__(
        self,
        stop: StopRequest,
        *,
        grace: float,
        metrics_dir: str | None,
        on_exit: Callable[[Child], None],
    ) -> None:
        self._stop = stop
        self._grace = grace
        self._metrics_dir = metrics_dir
        self._on_exit = on_exit
        self._children: dict[int, Child] = {}

    @property
    def running(self) -> list[Child]:
        """Every child not reaped yet."""
        return list(self._children.values())

    def start(self, role: str, generation: int, main: ChildMain) -> Child:
        """Fork a child that runs ``main`` with its end of the pipe and exits with its status."""
        ours, theirs = _FORK.Pipe()
        process = _FORK.Process(
            target=self._run_child,
            args=(role, main, theirs, ours),
            name=f"suggestfilter-{role}",
            daemon=True,
        )
        process.start()
        theirs.close()
        child = Child(process, ours, role, generation, pid=process.pid or 0)
        self._children[child.pid] = child
        return child

    def _run_child(
        self, role: str, main: ChildMain, connection: Connection, ours: Connection
    ) -> None:
        """In the fresh child: drop the supervisor's wiring, run ``main``, never return."""
        code = 1
        try:
            ours.close()
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            self._stop.close_pipe()
            for other in self._children.values():  # the end of the pipe means "supervisor gone"
                other.connection.close()
            code = main(connection)
        except BaseException:
            _LOGGER.exception("%s %d failed", role, os.getpid())
        finally:
            logging.shutdown()
            os._exit(code)

    def send(self, child: Child, message: ControlMessage) -> None:
        """Send ``message`` to ``child`` (ignored once it exited)."""
        if not child.exited:
            send(child.connection, message)

    def stop(self, child: Child) -> None:
        """Tell ``child`` to drain (once); it is killed if still running after the grace."""
        if child.stop_deadline is None:
            child.stop_deadline = time.monotonic() + self._grace + KILL_MARGIN
            self.send(child, Stop())

    def kill_overdue(self) -> None:
        """Kill each child told to stop that did not exit by its deadline."""
        now = time.monotonic()
        for child in self._children.values():
            if child.stop_deadline is not None and now > child.stop_deadline:
                _LOGGER.warning("%s did not drain in time: killing it", child.describe())
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGKILL)
                child.stop_deadline = now + KILL_MARGIN

    def kill_all(self) -> None:
        """Kill every child still running and reap it."""
        children = self.running
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGKILL)
        self.wait(children, lambda child: child.exited, KILL_MARGIN, interruptible=False)

    def reap(self) -> None:
        """Collect the children that exited since the last call (see ``on_exit``)."""
        for child in list(self._children.values()):
            status = child.process.exitcode
            if status is None:
                continue
            del self._children[child.pid]
            child.exited = True
            child.exit_status = status
            child.connection.close()
            child.process.close()
            if self._metrics_dir:
                with contextlib.suppress(OSError):
                    mark_worker_dead(child.pid, self._metrics_dir)
            self._on_exit(child)

    def wait(
        self,
        children: Iterable[Child],
        reached: Callable[[Child], bool],
        timeout: float,
        *,
        failed: Callable[[Child], str] = lambda child: "",
        interruptible: bool = True,
    ) -> str:
        """Read the children's messages until ``reached(child)`` holds for each of ``children``.

        Returns "" then, or why not: ``failed(child)`` of the first child it
        is not empty for, ``"no answer within N s"``, or ``"stopped"`` when a
        stop is requested meanwhile (unless not ``interruptible``). Every
        child that exits meanwhile is reaped. ``timeout`` 0 only reads what
        is already there.
        """
        children = list(children)
        deadline = time.monotonic() + timeout
        while True:
            self.reap()
            waiting = [child for child in children if not reached(child)]
            if not waiting:
                return ""
            for child in waiting:
                why = failed(child)
                if why:
                    return why
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return f"no answer within {timeout:.0f} s"
            if interruptible and self._stop.requested:
                return "stopped"
            self._read(waiting, min(remaining, 0.5))

    def _read(self, waiting: list[Child], timeout: float) -> None:
        """Wait up to ``timeout`` for a message, an exit or a signal; read the messages."""
        live = [child for child in waiting if not child.exited]
        objects: list[Any] = [child.connection for child in live if not child.pipe_closed]
        objects.extend(child.process.sentinel for child in live)
        if self._stop.read_fd >= 0:
            objects.append(self._stop.read_fd)
        readable = wait(objects, timeout)
        if self._stop.read_fd in readable:
            self._stop.drain()
        for child in live:
            if child.connection in readable:
                self._receive(child)

    def _receive(self, child: Child) -> None:
        """Read every message ``child`` sent so far."""
        try:
            while child.connection.poll():
                message = child.connection.recv()
                if isinstance(message, Ready):
                    child.ready = True
                elif isinstance(message, Failed):
                    child.failure = message.reason
                elif isinstance(message, Switched | SwitchFailed):
                    _record_switch(child, message)
        except (EOFError, OSError):
            child.pipe_closed = True
            if not child.ready and not child.failure:
                child.failure = f"{child.describe()} exited before it was ready"


def _record_switch(child: Child, answer: Switched | SwitchFailed) -> None:
    """Record a worker's answer to a switch (answers about another version are stale)."""
    if answer.version != child.switch_version:
        return
    if isinstance(answer, Switched):
        child.switched = True
    else:
        child.switch_failure = answer.reason or "switch failed"
