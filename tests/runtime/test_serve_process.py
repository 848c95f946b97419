"""``suggestfilter serve`` as a real subprocess: health, verdicts, reflection, metrics, SIGTERM.

Each test starts the server through the CLI on loopback ports
(``_server_process.ServerProcess``) against a real SQLite store.
"""

from __future__ import annotations

import json
import queue
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from _serve_fixtures import open_channel, publish_demo, published_version, request
from _server_process import ServerProcess, health_status
from suggestfilter.v1 import filter_pb2, filter_pb2_grpc

# each test starts `suggestfilter serve` as a process
pytestmark = pytest.mark.slow

GRPCURL = str(Path(sys.executable).parent / "grpcurl")
DEMO_DIR = Path(__file__).resolve().parents[2] / "service" / "suggestfilter" / "demo"

# A query nobody else would type: it must never reach the metrics or the logs.
PRIVATE_QUERY = "my private query xylophonequux"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "suggestfilter", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def published_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store with the demo list published (shared by this module's tests)."""
    location = str(tmp_path_factory.mktemp("serve") / "store.db")
    assert publish_demo(location) >= 1
    return location


@pytest.fixture(scope="module")
def server(published_db: str) -> Iterator[ServerProcess]:
    """One worker serving the published demo list, shared by the tests that only call it."""
    with ServerProcess.start(db=published_db, workers=1) as process:
        process.wait_for_health("SERVING")
        yield process
        assert process.stop() == 0


@pytest.fixture
def own_server(published_db: str) -> Iterator[ServerProcess]:
    """One worker serving the published demo list, for a test that stops it."""
    with ServerProcess.start(db=published_db, workers=1) as process:
        process.wait_for_health("SERVING")
        yield process


def _stub(channel: grpc.Channel) -> filter_pb2_grpc.SuggestionFilterServiceStub:
    return filter_pb2_grpc.SuggestionFilterServiceStub(channel)


# --- health transitions ------------------------------------------------------


def test_empty_store_fails_closed_until_the_first_publish(tmp_path: Path) -> None:
    location = str(tmp_path / "store.db")
    with ServerProcess.start(db=location, workers=1) as server:
        server.wait_for_health("NOT_SERVING")
        assert health_status(server.target, "suggestfilter.v1.SuggestionFilterService") == (
            "NOT_SERVING"
        )
        with open_channel(server.target) as channel:
            with pytest.raises(grpc.RpcError) as raised:
                _stub(channel).Filter(request("badword"), timeout=5)
            assert raised.value.code() == grpc.StatusCode.UNAVAILABLE

        for command in (
            ["policy", "import", "--db", location, str(DEMO_DIR / "policy.toml")],
            ["terms", "import", "--db", location, str(DEMO_DIR / "terms.csv")],
            ["terms", "publish", "--db", location],
        ):
            completed = _cli(*command)
            assert completed.returncode == 0, completed.stderr

        server.wait_for_health("SERVING")
        with open_channel(server.target) as channel:
            response = _stub(channel).Filter(request("free", "free badword"), timeout=5)
        assert response.list_version == published_version(location)
        assert response.verdicts[0].action == filter_pb2.ACTION_BLOCK
        assert server.stop() == 0


# --- verdicts through the real server ----------------------------------------


def test_filter_blocks_allows_and_intervenes(server: ServerProcess, published_db: str) -> None:
    with open_channel(server.target) as channel:
        stub = _stub(channel)
        blocked = stub.Filter(request("free", "free b4dw0rd videos", "free games"), timeout=5)
        french = stub.Filter(request("zorblax", "zorblax pics", locale="fr-FR"), timeout=5)
        english = stub.Filter(request("zorblax", locale="de-DE"), timeout=5)

    assert [v.action for v in blocked.verdicts] == [
        filter_pb2.ACTION_BLOCK,
        filter_pb2.ACTION_ALLOW,
    ]
    assert blocked.verdicts[0].category == "profanity"
    assert [s.text for s in blocked.allowed] == ["free games"]
    assert blocked.query_verdict.action == filter_pb2.ACTION_ALLOW
    assert blocked.list_version == published_version(published_db)

    assert french.query_verdict.action == filter_pb2.ACTION_INTERVENE
    assert french.intervention.category == "exploitation"
    assert french.intervention.message.startswith("Cette recherche")
    assert french.intervention.help_url == "https://example.org/fr/aide"
    assert list(french.allowed) == []

    assert english.intervention.help_url == "https://example.org/help"


def test_filter_session_answers_each_message_in_order(server: ServerProcess) -> None:
    keystrokes = [request("b"), request("ba", "badword"), request("bas", "basket")]
    with open_channel(server.target) as channel:
        responses = list(_stub(channel).FilterSession(iter(keystrokes), timeout=10))
    assert [len(r.verdicts) for r in responses] == [0, 1, 1]
    assert responses[1].verdicts[0].action == filter_pb2.ACTION_BLOCK
    assert responses[2].verdicts[0].action == filter_pb2.ACTION_ALLOW


def test_report_is_stored_through_the_workers_own_connection(
    server: ServerProcess, published_db: str
) -> None:
    from suggestfilter.store import open_store

    report = filter_pb2.ReportRequest(
        suggestion=filter_pb2.Suggestion(text="glorbnak", kind=filter_pb2.SUGGESTION_KIND_QUERY),
        locale="en",
        reason="harmful",
        reporter="user-1",
    )
    with open_channel(server.target) as channel:
        response = _stub(channel).Report(report, timeout=5)
    assert response.report_id
    store = open_store(published_db)
    try:
        groups = store.report_groups()
    finally:
        store.close()
    assert [(group.text, group.count) for group in groups] == [("glorbnak", 1)]


# --- reflection and a non-Python client ----------------------------------------


def test_grpcurl_lists_services_by_reflection(server: ServerProcess) -> None:
    listed = subprocess.run(
        [GRPCURL, "-plaintext", server.target, "list"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.split()
    assert "suggestfilter.v1.SuggestionFilterService" in listed
    assert "grpc.health.v1.Health" in listed


def test_grpcurl_filter_call_with_json(server: ServerProcess, published_db: str) -> None:
    body = {
        "query": "free",
        "suggestions": [{"text": "#FreeBadwordVideos", "kind": "SUGGESTION_KIND_HASHTAG"}],
    }
    completed = subprocess.run(
        [
            GRPCURL,
            "-plaintext",
            "-d",
            json.dumps(body),
            server.target,
            "suggestfilter.v1.SuggestionFilterService/Filter",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    response = json.loads(completed.stdout)
    assert response["verdicts"][0]["action"] == "ACTION_BLOCK"
    assert response["list_version"] == str(published_version(published_db))
    assert "allowed" not in response


# --- metrics -------------------------------------------------------------------


def _sample(scrape: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text ``scrape`` (0 when absent)."""
    wanted = {f'{key}="{value}"' for key, value in labels.items()}
    total = 0.0
    for line in scrape.splitlines():
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        present = set(re.findall(r'[a-zA-Z_]+="[^"]*"', match.group(3) or ""))
        if wanted <= present:
            total += float(match.group(4))
    return total


def test_metrics_sum_over_two_workers_and_carry_no_text(published_db: str) -> None:
    calls = 20
    with ServerProcess.start(db=published_db, workers=2) as server:
        server.wait_for_health("SERVING")
        for _ in range(calls):  # a new connection each: the kernel spreads them over workers
            with open_channel(server.target) as channel:
                _stub(channel).Filter(request(PRIVATE_QUERY, "free badword"), timeout=5)
        scrape = server.wait_for_metrics()
        assert server.stop() == 0
        stderr = server.stderr_text()

    assert _sample(scrape, "suggestfilter_requests_total", method="Filter", code="OK") == calls
    assert (
        _sample(
            scrape,
            "suggestfilter_verdicts_total",
            subject="suggestion",
            category="profanity",
            action="BLOCK",
        )
        == calls
    )
    assert _sample(scrape, "suggestfilter_list_version") >= 1
    assert _sample(scrape, "suggestfilter_store_unreachable") == 0
    assert len(set(re.findall(r"worker (\d+) serving list version \d+", stderr))) == 2
    for text in (PRIVATE_QUERY, "xylophonequux", "badword"):
        assert text not in scrape
        assert text not in stderr


def test_metrics_endpoint_serves_only_the_metrics_path(server: ServerProcess) -> None:
    import urllib.error
    import urllib.request

    server.wait_for_metrics()
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/other", timeout=5)
    assert raised.value.code == 404
    raised.value.close()


# --- SIGTERM ---------------------------------------------------------------------


def test_sigterm_drains_an_open_stream_and_exits_zero(own_server: ServerProcess) -> None:
    server = own_server
    outgoing: queue.Queue[filter_pb2.FilterRequest | None] = queue.Queue()

    def keystrokes() -> Iterator[filter_pb2.FilterRequest]:
        while (item := outgoing.get()) is not None:
            yield item

    with open_channel(server.target) as channel:
        responses = _stub(channel).FilterSession(keystrokes(), timeout=30)
        outgoing.put(request("ba", "badword"))
        first = next(responses)
        server.signal()  # SIGTERM
        deadline = time.monotonic() + 10
        while health_status(server.target) == "SERVING" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert health_status(server.target) != "SERVING"  # draining: no longer taking calls
        outgoing.put(request("bas", "basket"))  # the stream opened before SIGTERM still works
        second = next(responses)
        outgoing.put(None)
        assert list(responses) == []
    assert first.verdicts[0].action == filter_pb2.ACTION_BLOCK
    assert second.verdicts[0].action == filter_pb2.ACTION_ALLOW
    assert server.wait(timeout=20) == 0
    assert "stopped" in server.stderr_text()


def test_sigterm_with_nothing_in_flight_exits_zero_quickly(own_server: ServerProcess) -> None:
    server = own_server
    started = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - started < 15  # far below the kill deadline, not a speed check


def test_a_port_in_use_is_one_error_line_and_exit_1(tmp_path: Path, published_db: str) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ServerProcess.start(db=published_db, workers=1, port=port)
        with server:
            assert server.wait(timeout=30) == 1
            assert "suggestfilter: error: cannot serve on 127.0.0.1:" in server.stderr_text()


def test_a_second_server_does_not_join_a_running_servers_port(published_db: str) -> None:
    """Workers bind with SO_REUSEPORT; a second server must still refuse a taken port."""
    with ServerProcess.start(db=published_db, workers=1) as first:
        first.wait_for_health("SERVING")
        second = ServerProcess.start(db=published_db, workers=1, port=first.port)
        with second:
            assert second.wait(timeout=30) == 1
            assert "the port is in use" in second.stderr_text()
        assert health_status(first.target) == "SERVING"
        assert first.stop() == 0


def test_demo_serves_blocking_and_an_intervention(tmp_path: Path) -> None:
    with ServerProcess.start(demo=True, workers=1, cwd=tmp_path) as server:
        server.wait_for_health("SERVING")
        with open_channel(server.target) as channel:
            stub = _stub(channel)
            blocked = stub.Filter(request("free", "free badword", "free games"), timeout=5)
            intervened = stub.Filter(request("zorblax", locale="en-GB"), timeout=5)
        assert server.stop() == 0
        banner = server.stderr_text()
    assert [s.text for s in blocked.allowed] == ["free games"]
    assert intervened.query_verdict.action == filter_pb2.ACTION_INTERVENE
    assert f"grpc://127.0.0.1:{server.port}" in banner
    assert f"suggestfilter query --target 127.0.0.1:{server.port}" in banner
    assert list(tmp_path.iterdir()) == []  # the demo store lives in a temporary directory


def test_serve_without_db_uses_suggestfilter_db_in_the_working_directory(tmp_path: Path) -> None:
    with ServerProcess.start(workers=1, cwd=tmp_path) as server:
        server.wait_for_health("NOT_SERVING")
        assert (tmp_path / "suggestfilter.db").is_file()
        assert (tmp_path / "suggestfilter.db").stat().st_mode & 0o077 == 0  # owner-only
        assert server.stop() == 0
