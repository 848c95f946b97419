"""Store seeding and request helpers shared by the ``test_serve_*`` modules.

The store is written in-process through the same AdminOps operations the CLI
uses (``policy import``, ``terms import``, ``terms publish``); the server
always runs as a real subprocess (see ``_server_process``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import grpc
from suggestfilter._model import TermEntry
from suggestfilter.admin._ops import AdminOps
from suggestfilter.client import FRONTEND_CHANNEL_OPTIONS
from suggestfilter.runtime._demo import demo_entries, demo_policy
from suggestfilter.store import open_store
from suggestfilter.v1 import filter_pb2

KIND_QUERY = filter_pb2.SUGGESTION_KIND_QUERY


def open_channel(target: str) -> grpc.Channel:
    """An insecure channel to ``target`` with the retry policy frontends use."""
    return grpc.insecure_channel(target, options=FRONTEND_CHANNEL_OPTIONS)


def published_version(location: str) -> int | None:
    """The version the store at ``location`` publishes now."""
    store = open_store(location)
    try:
        return store.published_version()
    finally:
        store.close()


def publish_demo(location: str) -> int:
    """Import the demo policy and terms into ``location`` and publish; return the version."""
    store = open_store(location)
    try:
        ops = AdminOps(store, "test")
        policy = demo_policy()
        ops.import_policy(policy, reason="test policy")
        ops.add_terms(demo_entries(policy), reason="test terms")
        return ops.publish(reason="test").number
    finally:
        store.close()


def publish_added(location: str, entries: Sequence[TermEntry]) -> int:
    """Add ``entries`` to the published list and publish; return the new version."""
    store = open_store(location)
    try:
        ops = AdminOps(store, "test")
        ops.add_terms(list(entries), reason="test change")
        return ops.publish(reason="test").number
    finally:
        store.close()


def rollback(location: str, version: int) -> None:
    """Make ``version`` the published one again."""
    store = open_store(location)
    try:
        AdminOps(store, "test").rollback(version, reason="test rollback")
    finally:
        store.close()


def request(
    query: str, *suggestions: str, locale: str = "", kind: int = KIND_QUERY
) -> filter_pb2.FilterRequest:
    """A FilterRequest with ``suggestions`` of one kind."""
    return filter_pb2.FilterRequest(
        query=query,
        suggestions=[filter_pb2.Suggestion(text=text, kind=kind) for text in suggestions],
        locale=locale,
    )


NEW_TERM = "snorkelmoo"
"""A synthetic term the reload tests add in a new version."""


def new_term_entry() -> TermEntry:
    """The entry that blocks :data:`NEW_TERM`, with a fixed rule id."""
    return TermEntry(term=NEW_TERM, category="profanity", rule_id="r-test-snorkelmoo")


@dataclass
class ResponseLog:
    """What one calling client saw: (list_version, action on the new term) per response.

    The client thread appends to ``seen`` or ``errors``, stops when ``stop``
    is set, and sets ``done`` when it ends.
    """

    seen: list[tuple[int, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    def versions(self) -> list[int]:
        """The version sequence with repeats collapsed: one entry per switch."""
        switches: list[int] = []
        for version, _ in self.seen:
            if not switches or switches[-1] != version:
                switches.append(version)
        return switches

    def wait_for_version(self, version: int, *, timeout: float = 30.0) -> float:
        """Wait until the latest response names ``version``; return when (monotonic).

        Fails at once when the client has stopped or met an error.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.errors or self.done.is_set():
                raise AssertionError(f"the client stopped: {self.errors}")
            if self.seen and self.seen[-1][0] == version:
                return time.monotonic()
            time.sleep(0.005)
        raise AssertionError(f"version {version} not served; saw {self.versions()}")

    def keep_going(self, seconds: float) -> None:
        """Let the client call for ``seconds`` more; fail when it stopped meanwhile."""
        count = len(self.seen)
        time.sleep(seconds)
        assert not self.done.is_set(), self.errors
        assert len(self.seen) > count, "no response in the last interval"


def assert_right_for_each_version(log: ResponseLog, *, old: int, new: int) -> None:
    """The new term is allowed exactly in responses naming ``old``, blocked in ``new`` ones."""
    expected = {old: filter_pb2.ACTION_ALLOW, new: filter_pb2.ACTION_BLOCK}
    wrong = [(version, action) for version, action in log.seen if expected.get(version) != action]
    assert wrong == []
