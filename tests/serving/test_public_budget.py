"""The work budget on a real server: what is not decided in time is hidden, marked and counted.

The server runs in process on loopback (tests/_public_helpers.py) with a tiny
budget (20 us of CPU) and a typed query whose analysis alone costs far more
(a 512-character text with a near match in every word): the query is decided,
every suggestion after it is not.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from _public_helpers import RunningServer, loaded_list, running_server
from prometheus_client import REGISTRY
from suggestfilter._model import UNDECIDED, Action, SuggestionKind, Verdict
from suggestfilter.client import FilterClient
from suggestfilter.rpc._limits import Limits
from suggestfilter.v1 import filter_pb2

TINY = Limits(work_budget_ms=0.02)
SUGGESTIONS = ["weather", "news today", "badword"]
_fresh = itertools.count()


def expensive_query() -> str:
    """An innocent query that takes the full analysis; fresh each time (no cached verdict)."""
    return f"{next(_fresh)} " + ("badwords " * 60)[:500]


def undecided_count(subject: str) -> float:
    value = REGISTRY.get_sample_value(
        "suggestfilter_undecided_suggestions_total", {"subject": subject}
    )
    return value or 0.0


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with running_server(loaded=loaded_list(1), limits=TINY) as running:
        yield running


def test_undecided_suggestions_are_blocked_and_marked_on_the_wire(server: RunningServer) -> None:
    before = undecided_count("suggestion")
    request = filter_pb2.FilterRequest(
        query=expensive_query(),
        suggestions=[filter_pb2.Suggestion(text=text) for text in SUGGESTIONS],
        locale="en",
    )
    response = server.stub.Filter(request, timeout=10)
    assert response.query_verdict.action == filter_pb2.ACTION_ALLOW
    assert not response.query_verdict.undecided
    assert [(v.action, v.category, v.rule_id, v.undecided) for v in response.verdicts] == [
        (filter_pb2.ACTION_BLOCK, "", "", True)
    ] * len(SUGGESTIONS)
    assert list(response.allowed) == []
    assert undecided_count("suggestion") - before == len(SUGGESTIONS)


@pytest.mark.parametrize(
    "stream", [pytest.param(False, id="unary"), pytest.param(True, id="stream")]
)
def test_the_client_hides_and_counts_undecided_suggestions(
    server: RunningServer, stream: bool
) -> None:
    seen: list[str] = []
    with FilterClient(server.target, deadline=10, on_failure=seen.append) as client:
        if stream:
            with client.session() as session:
                result = session.filter(expensive_query(), SUGGESTIONS, "en")
        else:
            result = client.filter(expensive_query(), SUGGESTIONS, "en")
        assert result.ok
        assert result.query_verdict == Verdict(Action.ALLOW)
        assert result.verdicts == (UNDECIDED,) * len(SUGGESTIONS)
        assert result.allowed == ()
        assert result.undecided == len(SUGGESTIONS)
        assert client.failure_counts == {"UNDECIDED": len(SUGGESTIONS)}
        assert client.failures == 0  # the call itself was answered
    assert seen == ["UNDECIDED"] * len(SUGGESTIONS)


def test_an_ordinary_keystroke_is_decided_within_the_budget() -> None:
    with (
        running_server(loaded=loaded_list(1)) as running,
        FilterClient(running.target, deadline=5) as client,
    ):
        assert client.connect()
        result = client.filter("we", ["weather", ("#FreeBadwordVideos", SuggestionKind.HASHTAG)])
    assert result.ok and result.undecided == 0
    assert [s.text for s in result.allowed] == ["weather"]
    assert client.failure_counts == {}
