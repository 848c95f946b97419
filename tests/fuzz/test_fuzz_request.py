"""The coverage-guided fuzz of the request path (``fuzz_request.py``) runs clean for a while.

It runs in a subprocess (atheris instruments the package as it imports it)
for a bounded time with a fixed seed; any exception other than a refused
request, any broken invariant, or a single request that takes longer than
the per-input timeout fails the test with the fuzzer's report.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).with_name("fuzz_request.py")
SERVICE = Path(__file__).resolve().parents[2] / "service"
MAX_TOTAL_SECONDS = 20
PER_INPUT_TIMEOUT_SECONDS = 20


@pytest.mark.slow
def test_the_request_path_survives_a_bounded_fuzz_run(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SERVICE), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            f"-max_total_time={MAX_TOTAL_SECONDS}",
            f"-timeout={PER_INPUT_TIMEOUT_SECONDS}",
            "-seed=2026",
            f"-artifact_prefix={tmp_path}/",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=MAX_TOTAL_SECONDS + 120,
        env=env,
    )
    report = result.stderr[-4000:]
    assert result.returncode == 0, report
    assert "Done " in result.stderr, report
    assert not list(tmp_path.glob("crash-*")), report
