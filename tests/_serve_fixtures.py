"""Store seeding and request helpers shared by the ``test_serve_*`` modules.

The store is written in-process through the same AdminOps operations the CLI
uses (``policy import``, ``terms import``, ``terms publish``); the server
always runs as a real subprocess (see ``_server_process``).
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from suggestfilter._admin_ops import AdminOps
from suggestfilter._demo import demo_entries, demo_policy
from suggestfilter._model import TermEntry
from suggestfilter._store import open_store
from suggestfilter.client import FRONTEND_CHANNEL_OPTIONS
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
