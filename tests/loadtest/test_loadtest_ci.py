"""CI load test: the real server under unary and stream load while a new list version is published.

``suggestfilter serve`` runs as a subprocess with two workers on a SQLite
store seeded through the CLI (``policy import``, ``terms import``, ``terms
publish``) with the demo list. Two ``suggestfilter loadtest`` processes, one
unary and one stream, type queries against it; once both are under load, a
new version that adds a canary term is published. Every response must be
right for the version it names: before the publish the canary is allowed,
after it blocked. The test fails on any error, any wrong verdict, or a
connection that saw the list version go back or switch more than once. It
asserts no timing; the report is printed.

The test runs both reload paths. The demo list is small, so by default the
workers switch in place: then a plain client, with no retry policy, must see
no error at all. With ``--inplace-max-terms 0`` a new worker generation is
rotated in, and the load generator runs with ``--retry``: the gRPC retry
policy a frontend should use and ``suggestfilter.client.FilterClient`` uses
(Filter and FilterSession retried on UNAVAILABLE or CANCELLED, up to 3
attempts). Without it, a few calls per rotation fail with CANCELLED: when an
old worker generation calls ``server.stop(grace)``, grpc-core cancels the
calls that reached the worker but were not yet handed to a handler thread.
Errors that survive the retry policy still fail the test.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from importlib import resources
from pathlib import Path
from typing import IO, Any

import pytest
from _server_process import ServerProcess

CANARY = "flumbrix"  # synthetic: not a word, not in the demo list
CANARY_CATEGORY = "profanity"
LOAD_SECONDS = 20
STARTUP_TIMEOUT = 60.0
PROGRESS = re.compile(r"loadtest service: +[\d.]+s +(\d+) requests")

pytestmark = pytest.mark.slow


def _cli(*args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "suggestfilter", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout + completed.stderr


def _demo_file(name: str) -> Path:
    return Path(str(resources.files("suggestfilter").joinpath("demo", name)))


class _LoadProcess:
    """One ``suggestfilter loadtest`` subprocess; notes when its load has started."""

    def __init__(
        self, mode: str, target: str, canary_version: int, json_path: Path, *, retry: bool
    ) -> None:
        self.json_path = json_path
        self.under_load = threading.Event()
        self.stderr_lines: list[str] = []
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "suggestfilter",
                "loadtest",
                "--target",
                target,
                "--mode",
                mode,
                "--concurrency",
                "4",
                "--duration",
                str(LOAD_SECONDS),
                "--warmup",
                "0",
                "--client-processes",
                "1",
                "--sessions",
                "200",
                "--blocked-share",
                "0.2",
                "--blocked-query-share",
                "0.1",
                "--canary",
                f"{CANARY}:{CANARY_CATEGORY}:{canary_version}",
                *(["--retry"] if retry else []),
                "--json",
                str(json_path),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stderr is not None
        assert self.process.stdout is not None
        # one reader thread per pipe: communicate() would race the stderr reader
        self._stdout: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stderr,)),
            threading.Thread(target=self._stdout.extend, args=(self.process.stdout,)),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.stderr_lines.append(line)
            match = PROGRESS.search(line)
            if match and int(match.group(1)) > 0:
                self.under_load.set()

    def finish(self) -> tuple[int, str, dict[str, Any]]:
        """Wait for the end; return exit status, the printed report and the JSON report."""
        self.process.wait(timeout=LOAD_SECONDS + 60)
        for reader in self._readers:
            reader.join(10)
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()
        stdout = "".join(self._stdout)
        document = json.loads(self.json_path.read_text(encoding="utf-8"))
        return self.process.returncode, stdout, document

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.mark.parametrize(
    ("serve_args", "retry"),
    [([], False), (["--inplace-max-terms", "0"], True)],
    ids=["in-place-switch-plain-client", "generation-rotation-frontend-client"],
)
def test_no_error_and_no_wrong_verdict_under_load_across_a_publish(
    tmp_path: Path, serve_args: list[str], retry: bool
) -> None:
    db = str(tmp_path / "ci.db")
    _cli("policy", "import", "--db", db, str(_demo_file("policy.toml")))
    _cli("terms", "import", "--db", db, "--reason", "demo list", str(_demo_file("terms.csv")))
    first = int(re.findall(r"published version (\d+)", _cli("terms", "publish", "--db", db))[0])
    canary_file = tmp_path / "canary.txt"
    canary_file.write_text(CANARY + "\n", encoding="utf-8")
    drafted = _cli(
        "terms", "import", "--db", db, "--category", CANARY_CATEGORY, "--reason", "canary",
        str(canary_file),
    )  # fmt: skip
    second = int(re.findall(r"draft version (\d+)", drafted)[0])
    assert second > first

    with ServerProcess.start(db=db, workers=2, extra_args=serve_args) as server:
        server.wait_for_health("SERVING", timeout=STARTUP_TIMEOUT)
        loads = [
            _LoadProcess(mode, server.target, second, tmp_path / f"{mode}.json", retry=retry)
            for mode in ("unary", "stream")
        ]
        try:
            for load in loads:
                assert load.under_load.wait(STARTUP_TIMEOUT), "".join(load.stderr_lines)
            published = _cli("terms", "publish", "--db", db)
            assert f"published version {second}" in published
            outcomes = [load.finish() for load in loads]
        finally:
            for load in loads:
                load.kill()
        server_log = server.stderr_text()

    switched_in_place = f"list version {second}: 2 workers of generation 1 switched in place"
    assert (switched_in_place in server_log) is not retry, server_log[-3000:]
    for (status, report, document), load in zip(outcomes, loads, strict=True):
        print(report)
        (run,) = document["runs"]
        context = report + "".join(load.stderr_lines[-20:]) + server_log[-3000:]
        assert run["errors"] == {}, context
        assert run["wrong_verdicts"] == 0, context
        assert run["versions_backwards"] == 0, context
        assert run["max_switches_per_connection"] <= 1, context
        assert set(run["versions_seen"]) == {str(first), str(second)}, context
        assert run["version_switches"] >= 1, context
        assert run["requests"] > 0
        assert document["ok"] is True and status == 0, context


def test_service_bench_reports_a_build_and_a_publish_under_load() -> None:
    from suggestfilter.loadtest._bench_service import format_service_table, run_service_bench

    rows = run_service_bench(build_terms=3000, reload_terms=2000, workers=2, steady_seconds=1.0)
    table = format_service_table(rows)
    print(table)
    assert [row.figure for row in rows] == ["build", "steady", "during publish", "publish run"]
    build, steady, during, whole = rows
    assert build.terms == 3000
    assert build.build_seconds is not None and build.build_seconds > 0
    assert build.peak_mib is not None and build.memory_mib is not None
    assert build.peak_mib > build.memory_mib >= 0
    assert steady.terms == 2000 and during.terms == whole.terms == 2001
    for row in (steady, during, whole):
        assert row.wrong == 0, table
        assert row.p99_ms is not None and row.p50_ms is not None
        assert row.p50_ms <= row.p99_ms
    assert "first seen +" in (during.note or ""), table
    assert "backwards 0" in whole.note, table


def _bench_parser() -> Any:
    import argparse

    from suggestfilter.loadtest import _bench_service as _bench_service

    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")  # as `suggestfilter bench` has
    _bench_service.add_arguments(parser)
    return parser


def test_bench_service_arguments_run_the_build_figure_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from suggestfilter.loadtest import _bench_service as _bench_service

    args = _bench_parser().parse_args(
        ["--service", "--build-terms", "2000", "--reload-terms", "0", "--json"]
    )
    assert args.service and args.workers == 2 and not args.plain_client
    assert _bench_service.run_from_args(args) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["figure"] == "build" and row["terms"] == 2000


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(
            ["--build-terms", "-1"], "--build-terms: must be 0 or more", id="negative-build-terms"
        ),
        pytest.param(
            ["--reload-terms", "-5"],
            "--reload-terms: must be 0 or more",
            id="negative-reload-terms",
        ),
        pytest.param(["--workers", "0"], "--workers: must be at least 1", id="zero-workers"),
        pytest.param(
            ["--steady-seconds", "0"],
            "--steady-seconds: must be positive",
            id="zero-steady-seconds",
        ),
    ],
)
def test_bench_service_refuses_bad_arguments(arguments: list[str], message: str) -> None:
    from suggestfilter._errors import InvalidInputError
    from suggestfilter.loadtest import _bench_service as _bench_service

    args = _bench_parser().parse_args(["--service", *arguments])
    with pytest.raises(InvalidInputError, match=message):
        _bench_service.run_from_args(args)
