"""Hot reload of ``suggestfilter serve``: publish and rollback while a client keeps calling.

The server runs as a real subprocess; the client calls without pause while the
test publishes a version that changes a verdict, then rolls it back. Every
response must be right for the version it names, no call may fail, and the
version must switch exactly once per change. The SQLite variant rotates worker
generations (``--inplace-max-terms 0``); the PostgreSQL variant switches the
small list in place and polls so rarely that only LISTEN/NOTIFY can explain a
prompt reload.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from _serve_fixtures import (
    NEW_TERM,
    ResponseLog,
    assert_right_for_each_version,
    new_term_entry,
    open_channel,
    publish_added,
    publish_demo,
    request,
    rollback,
)
from _server_process import ServerProcess
from suggestfilter.v1 import filter_pb2_grpc

# each test publishes and rolls back under load
pytestmark = pytest.mark.slow

# "snorkelmoo" is allowed in version 1 and blocked (profanity) from version 2 on.


def _unary_caller(target: str, log: ResponseLog) -> None:
    with open_channel(target) as channel:
        stub = filter_pb2_grpc.SuggestionFilterServiceStub(channel)
        while not log.stop.is_set():
            try:
                response = stub.Filter(request("free", f"free {NEW_TERM}"), timeout=10)
            except grpc.RpcError as error:
                log.errors.append(f"{error.code()}: {error.details()}")
                return
            log.seen.append((response.list_version, response.verdicts[0].action))


def _session_caller(target: str, log: ResponseLog) -> None:
    """Typing sessions of five keystrokes, one FilterSession stream each."""
    with open_channel(target) as channel:
        stub = filter_pb2_grpc.SuggestionFilterServiceStub(channel)
        while not log.stop.is_set():
            keystrokes = [request("free", f"free {NEW_TERM}") for _ in range(5)]
            try:
                for response in stub.FilterSession(iter(keystrokes), timeout=10):
                    log.seen.append((response.list_version, response.verdicts[0].action))
            except grpc.RpcError as error:
                log.errors.append(f"{error.code()}: {error.details()}")
                return


@pytest.fixture
def calling(request: pytest.FixtureRequest) -> Iterator[Callable[[str, str], ResponseLog]]:
    """Start a caller thread (``unary`` or ``session``) against a target; stopped afterwards."""
    threads: list[tuple[threading.Thread, ResponseLog]] = []

    def start(target: str, style: str) -> ResponseLog:
        log = ResponseLog()
        caller = _unary_caller if style == "unary" else _session_caller
        thread = threading.Thread(target=caller, args=(target, log), daemon=True)
        thread.start()
        threads.append((thread, log))
        return log

    yield start
    for thread, log in threads:
        log.stop.set()
        thread.join(timeout=30)


@pytest.mark.parametrize(
    ("style", "workers"),
    [
        pytest.param("unary", 1, id="unary-one-worker"),
        pytest.param("session", 2, id="session-two-workers"),
    ],
)
def test_publish_and_rollback_switch_versions_without_a_failed_call(
    tmp_path: Path, calling: Callable[[str, str], ResponseLog], style: str, workers: int
) -> None:
    location = str(tmp_path / "store.db")
    old = publish_demo(location)
    # Rotation of worker generations (in-place reload: test_serve_inplace_reload).
    with ServerProcess.start(
        db=location, workers=workers, extra_args=["--inplace-max-terms", "0"]
    ) as server:
        server.wait_for_health("SERVING")
        log = calling(server.target, style)
        log.wait_for_version(old)

        new = publish_added(location, [new_term_entry()])
        log.wait_for_version(new)
        rollback(location, old)
        log.wait_for_version(old)
        log.stop.set()
        time.sleep(0.1)
        assert server.stop() == 0
        stderr = server.stderr_text()

    assert log.errors == []
    assert_right_for_each_version(log, old=old, new=new)
    assert log.versions() == [old, new, old]
    # The rollback target was the previous list: served again without a new compile.
    assert f"list version {old}: the previous compiled list is served again" in stderr
    assert "generation 3: " in stderr and "switched in place" not in stderr


@pytest.mark.postgres
def test_postgres_publish_reloads_through_notify(
    postgres_dsn: str, calling: Callable[[str, str], ResponseLog]
) -> None:
    old = publish_demo(postgres_dsn)
    # Polling every 60 s: a reload within the wait below can only come from NOTIFY.
    with ServerProcess.start(
        db=postgres_dsn, workers=1, extra_args=["--poll-interval", "60"]
    ) as server:
        server.wait_for_health("SERVING")
        log = calling(server.target, "unary")
        log.wait_for_version(old)
        new = publish_added(postgres_dsn, [new_term_entry()])
        log.wait_for_version(new, timeout=30)
        rollback(postgres_dsn, old)
        log.wait_for_version(old, timeout=30)
        log.stop.set()
        time.sleep(0.1)
        assert server.stop() == 0
    assert log.errors == []
    assert_right_for_each_version(log, old=old, new=new)
    assert log.versions() == [old, new, old]
