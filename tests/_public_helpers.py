"""Shared pieces of the public-API tests: a synthetic list and an in-process server.

Every term is synthetic (``badword``, ``zorblax``) or generic profanity.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import grpc
from suggestfilter._model import (
    Action,
    CategoryPolicy,
    EntryKind,
    Intervention,
    MatchMode,
    Policy,
    TermEntry,
)
from suggestfilter.engine import Matcher
from suggestfilter.rpc._limits import Limits
from suggestfilter.serving._server import create_public_server
from suggestfilter.serving._servicer import ReportSink
from suggestfilter.serving._state import LoadedList, ServingState
from suggestfilter.v1 import filter_pb2_grpc

POLICY = Policy(
    {
        "profanity": CategoryPolicy(suggestions=Action.BLOCK, query=Action.BLOCK),
        "intervene": CategoryPolicy(
            suggestions=Action.BLOCK,
            query=Action.INTERVENE,
            interventions={
                "en": Intervention("Help is available.", "https://example.org/help/en"),
                "fr": Intervention("De l'aide existe.", "https://example.org/help/fr"),
            },
        ),
        "mild": CategoryPolicy(suggestions=Action.BLOCK, query=Action.ALLOW),
    }
)

ENTRIES = (
    TermEntry("badword", "profanity", rule_id="r-prof-1"),
    TermEntry("scunthorpe", "profanity", kind=EntryKind.ALLOW, rule_id="r-allow-1"),
    TermEntry("cunt", "profanity", match=MatchMode.SUBSTRING, rule_id="r-prof-2"),
    TermEntry("zorblax", "intervene", rule_id="r-int-1"),
    TermEntry("merdouille", "profanity", locale="fr", rule_id="r-fr-1"),
    TermEntry("darnit", "mild", rule_id="r-mild-1"),
)

TERMS = ("badword", "zorblax", "merdouille", "darnit", "cunt", "scunthorpe")
"""Every term of ENTRIES: none of them may ever appear in a public response."""


def compile_matcher() -> Matcher:
    """The matcher of ENTRIES under POLICY."""
    return Matcher.compile(ENTRIES, POLICY)


def loaded_list(version: int = 1) -> LoadedList:
    """ENTRIES as a served list of ``version``."""
    return LoadedList(compile_matcher(), version, "0" * 64)


@dataclass
class RunningServer:
    """A started public server on 127.0.0.1 and a channel to it."""

    server: grpc.Server
    port: int
    state: ServingState
    channel: grpc.Channel

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def stub(self) -> filter_pb2_grpc.SuggestionFilterServiceStub:
        return filter_pb2_grpc.SuggestionFilterServiceStub(self.channel)


@contextlib.contextmanager
def running_server(
    *,
    loaded: LoadedList | None = None,
    limits: Limits | None = None,
    report_sink: ReportSink | None = None,
) -> Iterator[RunningServer]:
    """Run the real public server in this process on a free loopback port.

    ``loaded`` is swapped in before the first call; without it the server
    has no list (fail closed).
    """
    state = ServingState()
    if loaded is not None:
        state.swap(loaded)
    server, port = create_public_server(
        "127.0.0.1:0", state, limits=limits, report_sink=report_sink
    )
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield RunningServer(server, port, state, channel)
    finally:
        channel.close()
        server.stop(None)
