"""In-place reload of ``suggestfilter serve``: a small list switches inside the running workers.

The server runs as a real subprocess with two workers on SQLite and
``--grace 1``. A version with at most ``--inplace-max-terms`` entries (the
demo list is far below the default) is switched in place: each worker loads
and compiles it in a background thread and swaps it in, so one FilterSession
stream that stays open across a publish and a rollback (and far past the
grace an old worker generation would give it) sees every keystroke answered,
right for the version the response names, and the version switching exactly
once per change. Plain unary calls, without a retry policy, see no error at
all. With ``--inplace-max-terms 0`` the reload rotates worker generations (as
``test_serve_reload`` checks end to end).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import grpc
import pytest
from _serve_fixtures import (
    NEW_TERM,
    ResponseLog,
    assert_right_for_each_version,
    new_term_entry,
    publish_added,
    publish_demo,
    request,
    rollback,
)
from _server_process import ServerProcess
from suggestfilter._model import Action, SuggestionKind
from suggestfilter.client import FRONTEND_CHANNEL_OPTIONS
from suggestfilter.v1 import filter_pb2, filter_pb2_grpc

# each test publishes under load across in-place switches
pytestmark = pytest.mark.slow

# "snorkelmoo" is allowed by the demo list and blocked (profanity) once added.
GRACE = 1.0
KEYSTROKE_INTERVAL = 0.02


def _keystrokes(log: ResponseLog) -> Iterator[filter_pb2.FilterRequest]:
    """One keystroke every KEYSTROKE_INTERVAL seconds until the test says stop."""
    typed = ["f", "fr", "fre", "free"]
    index = 0
    while not log.stop.is_set():
        yield request(typed[index % len(typed)], f"free {NEW_TERM}", "free time")
        index += 1
        time.sleep(KEYSTROKE_INTERVAL)


def _one_stream(target: str, log: ResponseLog) -> None:
    """The whole test's worth of keystrokes on one FilterSession stream (plain channel)."""
    try:
        with grpc.insecure_channel(target) as channel:
            stub = filter_pb2_grpc.SuggestionFilterServiceStub(channel)
            try:
                for response in stub.FilterSession(_keystrokes(log), timeout=300):
                    log.seen.append((response.list_version, response.verdicts[0].action))
            except grpc.RpcError as error:
                log.errors.append(f"{error.code()}: {error.details()}")
            if not log.stop.is_set() and not log.errors:
                log.errors.append("the stream ended before the test did")
    finally:
        log.done.set()


def _unary_calls(target: str, log: ResponseLog, options: Sequence[tuple[str, Any]] = ()) -> None:
    """Filter calls one after another on a plain channel (no retry policy) unless ``options``."""
    try:
        with grpc.insecure_channel(target, options=options) as channel:
            stub = filter_pb2_grpc.SuggestionFilterServiceStub(channel)
            while not log.stop.is_set():
                try:
                    response = stub.Filter(request("free", f"free {NEW_TERM}"), timeout=10)
                except grpc.RpcError as error:
                    log.errors.append(f"{error.code()}: {error.details()}")
                    return
                log.seen.append((response.list_version, response.verdicts[0].action))
                time.sleep(KEYSTROKE_INTERVAL / 4)
    finally:
        log.done.set()


@pytest.mark.parametrize("client", [_one_stream, _unary_calls], ids=["one-stream", "unary"])
def test_small_publish_and_rollback_switch_in_place_without_a_failed_call(
    tmp_path: Path, client: object
) -> None:
    location = str(tmp_path / "store.db")
    old = publish_demo(location)
    log = ResponseLog()
    with ServerProcess.start(db=location, workers=2, grace=GRACE) as server:
        server.wait_for_health("SERVING")
        caller = threading.Thread(target=client, args=(server.target, log), daemon=True)  # type: ignore[arg-type]
        caller.start()
        try:
            log.wait_for_version(old)
            new = publish_added(location, [new_term_entry()])
            log.wait_for_version(new)
            log.keep_going(GRACE * 2.5)  # an old generation would have cancelled the stream
            rollback(location, old)
            log.wait_for_version(old)
            log.keep_going(GRACE * 2.5)
        finally:
            log.stop.set()
            caller.join(timeout=30)
        assert server.stop() == 0
        stderr = server.stderr_text()

    assert log.errors == []
    assert_right_for_each_version(log, old=old, new=new)
    assert log.versions() == [old, new, old]
    assert f"list version {new}: 2 workers of generation 1 switched in place" in stderr
    assert f"list version {old}: 2 workers of generation 1 switched in place" in stderr
    assert "generation 2" not in stderr


def test_inplace_max_terms_zero_rotates_a_new_generation(tmp_path: Path) -> None:
    location = str(tmp_path / "store.db")
    old = publish_demo(location)
    log = ResponseLog()
    with ServerProcess.start(
        db=location, workers=1, grace=GRACE, extra_args=["--inplace-max-terms", "0"]
    ) as server:
        server.wait_for_health("SERVING")
        # A rotation drains the old generation: only a frontend's channel (retry
        # policy) is promised no error then; a plain one may see a reset.
        caller = threading.Thread(
            target=_unary_calls,
            args=(server.target, log, FRONTEND_CHANNEL_OPTIONS),
            daemon=True,
        )
        caller.start()
        try:
            log.wait_for_version(old)
            new = publish_added(location, [new_term_entry()])
            log.wait_for_version(new)
        finally:
            log.stop.set()
            caller.join(timeout=30)
        assert server.stop() == 0
        stderr = server.stderr_text()

    assert_right_for_each_version(log, old=old, new=new)
    assert log.versions() == [old, new]
    assert "generation 2: 1 workers serving list version" in stderr
    assert "switched in place" not in stderr


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "--inplace-max-terms: must be 0 or more"),
        ("many", "invalid int value"),
    ],
    ids=["negative", "not-a-number"],
)
def test_inplace_max_terms_refuses_a_bad_value(value: str, message: str) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "suggestfilter", "serve", "--db", ":memory:",
         "--inplace-max-terms", value],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert message in result.stderr


def test_worker_switcher_swaps_a_verified_version_and_refuses_a_wrong_checksum(
    tmp_path: Path,
) -> None:
    """The worker side alone, in this process, against a real SQLite store."""
    from suggestfilter.engine import Matcher
    from suggestfilter.runtime._protocol import Switch, Switched, SwitchFailed
    from suggestfilter.runtime._worker import InPlaceSwitcher
    from suggestfilter.serving._state import LoadedList, ServingState
    from suggestfilter.store import open_store

    location = str(tmp_path / "store.db")
    old = publish_demo(location)
    new = publish_added(location, [new_term_entry()])
    store = open_store(location)
    try:
        old_snapshot = store.load_version(old)
        new_checksum = store.version_info(new).checksum
    finally:
        store.close()
    state = ServingState()
    first = LoadedList(
        Matcher.compile(old_snapshot.entries, old_snapshot.policy), old, old_snapshot.info.checksum
    )
    state.swap(first)
    answers: queue.SimpleQueue[Switched | SwitchFailed] = queue.SimpleQueue()
    switcher = InPlaceSwitcher(location, state, answers.put)
    try:
        switcher.request(Switch(new, "0" * 64))
        refused = answers.get(timeout=30)
        assert isinstance(refused, SwitchFailed) and refused.version == new
        assert refused.reason.startswith("ChecksumError")
        assert state.current is first

        switcher.request(Switch(new, new_checksum))
        assert answers.get(timeout=30) == Switched(new)
        current = state.current
        assert current is not None and current.version == new
        assert (
            current.matcher.suggestion_verdict(NEW_TERM, SuggestionKind.QUERY, "").action
            == Action.BLOCK
        )

        switcher.request(Switch(old, old_snapshot.info.checksum))  # a rollback: the previous list
        assert answers.get(timeout=30) == Switched(old)
        assert state.current is first

        switcher.request(Switch(old + new + 1, new_checksum))  # no such version
        missing = answers.get(timeout=30)
        assert isinstance(missing, SwitchFailed) and missing.version == old + new + 1
        assert missing.reason
        assert state.current is first
    finally:
        switcher.close()
