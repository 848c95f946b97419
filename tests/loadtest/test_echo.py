"""The echo floor: same message shapes as the service, no matching; and loadtest against it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from suggestfilter.loadtest import _corpus, _drivers, _report, _runner
from suggestfilter.loadtest._echo import EchoWorkers, create_echo_server, echo_response
from suggestfilter.runtime._demo import demo_entries, demo_policy
from suggestfilter.v1 import filter_pb2, filter_pb2_grpc

# the echo floor runs as worker processes under load
pytestmark = pytest.mark.slow

REQUEST = filter_pb2.FilterRequest(
    query="hel",
    suggestions=[
        filter_pb2.Suggestion(text="hello", kind=filter_pb2.SUGGESTION_KIND_QUERY),
        filter_pb2.Suggestion(text="#HelloWorld", kind=filter_pb2.SUGGESTION_KIND_HASHTAG),
        filter_pb2.Suggestion(text="helper"),
    ],
    locale="en-US",
)


@pytest.fixture(scope="module")
def echo_target() -> Iterator[str]:
    server, port = create_echo_server("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(None)


@pytest.fixture(scope="module")
def plan() -> _corpus.LoadPlan:
    policy = demo_policy()
    return _corpus.LoadPlan.from_corpus(
        _corpus.build_corpus(demo_entries(policy), policy, sessions=50)
    )


def test_echo_response_has_the_service_shape_and_allows_everything() -> None:
    response = echo_response(REQUEST)
    assert list(response.allowed) == list(REQUEST.suggestions)
    assert [v.action for v in response.verdicts] == [filter_pb2.ACTION_ALLOW] * 3
    assert response.query_verdict.action == filter_pb2.ACTION_ALLOW
    assert response.list_version == 1
    assert not response.HasField("intervention")


def test_echo_server_answers_filter_and_sessions_in_order(echo_target: str) -> None:
    with grpc.insecure_channel(echo_target) as channel:
        stub = filter_pb2_grpc.SuggestionFilterServiceStub(channel)
        assert stub.Filter(REQUEST, timeout=5) == echo_response(REQUEST)
        requests = [
            filter_pb2.FilterRequest(query="h" * n, suggestions=REQUEST.suggestions[:n])
            for n in range(1, 4)
        ]
        responses = list(stub.FilterSession(iter(requests), timeout=5))
        assert [len(r.verdicts) for r in responses] == [1, 2, 3]
        report = stub.Report(filter_pb2.ReportRequest(suggestion=REQUEST.suggestions[0]))
        assert report.report_id


def test_echo_server_serves_health_and_reflection(echo_target: str) -> None:
    with grpc.insecure_channel(echo_target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "suggestfilter.v1.SuggestionFilterService"):
            status = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert status.status == health_pb2.HealthCheckResponse.SERVING
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        answers = stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
        )
        names = {s.name for answer in answers for s in answer.list_services_response.service}
        assert "suggestfilter.v1.SuggestionFilterService" in names


def test_echo_server_refuses_oversized_requests_like_the_service(echo_target: str) -> None:
    # The same server options as the public server: the message size follows the limits.
    huge = filter_pb2.FilterRequest(query="x" * (8 * 1024 * 1024))
    with grpc.insecure_channel(echo_target) as channel:
        stub = filter_pb2_grpc.SuggestionFilterServiceStub(channel)
        with pytest.raises(grpc.RpcError) as raised:
            stub.Filter(huge, timeout=5)
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


@pytest.mark.parametrize(
    ("mode", "api", "client_processes"),
    [
        pytest.param("unary", "sync", 0, id="unary-sync"),
        pytest.param("unary", "aio", 0, id="unary-aio"),
        pytest.param("stream", "sync", 0, id="stream-sync"),
        pytest.param("stream", "aio", 1, id="stream-aio-client-process"),
    ],
)
def test_load_against_echo_workers_sharing_a_port(
    plan: _corpus.LoadPlan, mode: str, api: str, client_processes: int
) -> None:
    with EchoWorkers(2, max_workers=4) as echo:
        settings = _drivers.LoadSettings(
            mode=mode,
            concurrency=4,
            duration=1.0,
            api=api,
            client_processes=client_processes,
            allow_all=True,
            label="echo-floor",
        )
        result = _runner.run_load(echo.target, plan, settings, progress=None)
    assert result.ok, _report.format_report([result])
    assert result.requests > 0 and result.connections == 4
    assert result.versions.keys() == {1}
    assert result.histogram.get_total_count() == result.requests


def test_echo_workers_stop_and_free_the_port() -> None:
    echo = EchoWorkers(2)
    echo.start()
    target = echo.target
    echo.stop()
    with grpc.insecure_channel(target) as channel, pytest.raises(grpc.FutureTimeoutError):
        grpc.channel_ready_future(channel).result(timeout=0.5)


def test_loadtest_command_measures_the_echo_floor_alone() -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "suggestfilter",
            "loadtest",
            "--echo-floor",
            "--echo-workers",
            "1",
            "--mode",
            "both",
            "--duration",
            "1",
            "--rounds",
            "2",
            "--warmup",
            "0.2",
            "--concurrency",
            "2",
            "--client-processes",
            "0",
            "--sessions",
            "30",
            "--json",
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert document["ok"] is True
    assert set(document["echo_floor"]) == {"unary", "stream"}
    assert document["settings"]["rounds"] == 2
    for floor in document["echo_floor"].values():
        assert floor["requests"] > 0 and floor["errors"] == {} and floor["wrong_verdicts"] == 0
        assert set(floor["latency_ms"]) == {"p50", "p90", "p99", "p99.9", "max"}
        assert floor["seconds"] >= 2.0  # two rounds of 1 s add up
    # The table goes to stderr when the JSON takes stdout; progress lines too.
    assert "echo-floor  unary" in completed.stderr
    assert "loadtest echo-floor:" in completed.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param([], "--target: give a target, or --echo-floor, or both", id="no-target"),
        pytest.param(
            ["--echo-floor", "--concurrency", "0"],
            "--concurrency: must be at least 1",
            id="zero-concurrency",
        ),
        pytest.param(
            ["--echo-floor", "--blocked-share", "2"],
            "--blocked-share: must be between 0 and 1",
            id="blocked-share-above-1",
        ),
        pytest.param(
            ["--echo-floor", "--canary", "oops"],
            "--canary: expected TERM:CATEGORY:VERSION",
            id="malformed-canary",
        ),
        pytest.param(
            ["--echo-floor", "--canary", "flumbrix:nope:2"],
            "--canary: unknown category 'nope'",
            id="canary-unknown-category",
        ),
        pytest.param(
            ["--echo-floor", "--terms", "/nonexistent.csv"],
            "--terms: no such file: /nonexistent.csv",
            id="missing-terms-file",
        ),
        pytest.param(
            ["--echo-floor", "--rounds", "0"], "--rounds: must be at least 1", id="zero-rounds"
        ),
    ],
)
def test_loadtest_command_refuses_bad_arguments(arguments: list[str], message: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "suggestfilter", "loadtest", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines()[-1] == f"suggestfilter: error: {message}"
