"""``suggestfilter query`` run as a subprocess against the real public server in this process."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from _net import free_tcp_port
from _public_helpers import RunningServer, loaded_list, running_server


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with running_server(loaded=loaded_list(4)) as running:
        yield running


def query(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "suggestfilter", "query", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_text_output_lists_every_verdict(server: RunningServer) -> None:
    result = query(
        "--target", server.target, "we", "weather", "badword weather", "#FreeBadwordVideos"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "list version: 4"
    assert lines[1] == "query: ALLOW"
    assert lines[2] == "suggestions:"
    assert lines[3].split() == ["shown", "ALLOW", "-", "-", "weather"]
    assert lines[4].split() == ["hidden", "BLOCK", "profanity", "r-prof-1", "badword", "weather"]
    # a leading '#' makes the suggestion a hashtag: CamelCase split finds the term
    assert lines[5].split() == ["hidden", "BLOCK", "profanity", "r-prof-1", "#FreeBadwordVideos"]


def test_intervention_in_the_requested_language(server: RunningServer) -> None:
    result = query("--target", server.target, "--locale", "fr-FR", "zorblax", "weather")
    assert result.returncode == 0, result.stderr
    assert "query: INTERVENE intervene r-int-1" in result.stdout
    assert "intervention [intervene]: De l'aide existe." in result.stdout
    assert "help: https://example.org/help/fr" in result.stdout
    assert "hidden ALLOW" in " ".join(result.stdout.split())


KIND_CASES = [
    # --kind, expected action of "FreeBadwordVideos" (split only as a hashtag)
    pytest.param("query", "ALLOW", id="query"),
    pytest.param("hashtag", "BLOCK", id="hashtag"),
]


@pytest.mark.parametrize(("kind", "action"), KIND_CASES)
def test_kind_applies_to_suggestions_without_hash(
    server: RunningServer, kind: str, action: str
) -> None:
    result = query("--target", server.target, "--kind", kind, "--json", "", "FreeBadwordVideos")
    assert result.returncode == 0, result.stderr
    (suggestion,) = json.loads(result.stdout)["suggestions"]
    assert (suggestion["kind"], suggestion["action"]) == (kind.upper(), action)


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "stream"])
def test_json_output(server: RunningServer, stream: bool) -> None:
    args = ["--target", server.target, "--json", "--locale", "en-GB"]
    if stream:
        args.append("--stream")
    result = query(*args, "badword", "weather", "#sunset")
    assert result.returncode == 0, result.stderr
    view = json.loads(result.stdout)
    assert view["list_version"] == 4
    assert view["query_verdict"] == {
        "action": "BLOCK",
        "category": "profanity",
        "rule_id": "r-prof-1",
    }
    assert view["intervention"] is None
    assert view["allowed"] == []
    assert [(s["text"], s["kind"], s["action"], s["shown"]) for s in view["suggestions"]] == [
        ("weather", "QUERY", "ALLOW", False),
        ("#sunset", "HASHTAG", "ALLOW", False),
    ]


ERROR_CASES = [
    # name, extra arguments, expected words in the one stderr line
    ("invalid locale", ["--locale", "fr_FR", "a", "b"], ["INVALID_ARGUMENT", "locale"]),
    ("text too long", ["a", "b", "x" * 513], ["INVALID_ARGUMENT", "suggestions[1].text"]),
]


@pytest.mark.parametrize(
    ("args", "words"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_refused_requests_exit_1_with_one_line(
    server: RunningServer, args: list[str], words: list[str]
) -> None:
    result = query("--target", server.target, *args)
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("suggestfilter: error: ")
    for word in words:
        assert word in line


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "stream"])
def test_no_list_loaded_is_unavailable(stream: bool) -> None:
    with running_server() as running:
        args = ["--target", running.target, "a", "b"]
        result = query(*(["--stream", *args] if stream else args))
        target = running.target
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert "UNAVAILABLE" in line
    # the target, the status code and the server's own message
    assert line == f"suggestfilter: error: {target}: UNAVAILABLE: no term list is loaded yet"


def test_unreachable_target_is_unavailable() -> None:
    result = query("--target", f"127.0.0.1:{free_tcp_port()}", "--deadline-ms", "3000", "a")
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert "UNAVAILABLE" in line


def test_help_names_the_options() -> None:
    result = query("--help")
    assert result.returncode == 0
    for option in ("--target", "--locale", "--kind", "--json", "--stream", "--deadline-ms"):
        assert option in result.stdout
