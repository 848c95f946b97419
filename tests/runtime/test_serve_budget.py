"""``serve --work-budget-ms`` reaches the workers: what they cannot decide in time is undecided.

The server runs as a real subprocess (``_server_process``) on the demo list,
with a budget of 20 us of CPU, far less than the analysis of the typed query
costs; every suggestion after it is undecided, blocked and counted in
``/metrics``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from _serve_fixtures import open_channel, publish_demo, request
from _server_process import ServerProcess
from suggestfilter.v1 import filter_pb2, filter_pb2_grpc

EXPENSIVE_QUERY = ("badwords " * 60)[:500]  # innocent, with a near match in every word


def test_the_flag_sets_the_budget_of_every_worker(tmp_path: Path) -> None:
    location = str(tmp_path / "budget.db")
    publish_demo(location)
    with ServerProcess.start(
        db=location, workers=1, extra_args=["--work-budget-ms", "0.02"]
    ) as server:
        server.wait_for_health("SERVING")
        with open_channel(server.target) as channel:
            stub = filter_pb2_grpc.SuggestionFilterServiceStub(channel)  # type: ignore[no-untyped-call]
            response = stub.Filter(request(EXPENSIVE_QUERY, "weather", "news"), timeout=10)
        scrape = server.wait_for_metrics()
        assert server.stop() == 0
    assert response.query_verdict.action == filter_pb2.ACTION_ALLOW
    assert [(v.action, v.undecided) for v in response.verdicts] == [
        (filter_pb2.ACTION_BLOCK, True)
    ] * 2
    assert list(response.allowed) == []
    counted = re.search(
        r'^suggestfilter_undecided_suggestions_total\{subject="suggestion"\} (\S+)$',
        scrape,
        re.MULTILINE,
    )
    assert counted is not None and float(counted.group(1)) == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("0", "--work-budget-ms: must be positive", id="zero"),
        pytest.param("-5", "--work-budget-ms: must be positive", id="negative"),
        pytest.param("soon", "invalid float value", id="not-a-number"),
    ],
)
def test_the_flag_refuses_a_bad_value(value: str, message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "suggestfilter", "serve", "--db", ":memory:",
         "--work-budget-ms", value],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert message in result.stderr
