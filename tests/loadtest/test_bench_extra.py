"""The load generator and the benchmarks need the bench extra; without it they say so.

A service install (``pip install suggestfilter``) leaves out hdrhistogram and
flashtext. ``loadtest`` and ``bench`` then print one line naming the install
command and exit 1, before reading any argument or file; the other commands
never import them.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from suggestfilter.cli import main


@pytest.mark.parametrize(
    ("argv", "missing"),
    [
        pytest.param(["loadtest", "--echo-floor"], "hdrh", id="loadtest-without-hdrhistogram"),
        pytest.param(["loadtest"], "flashtext", id="loadtest-without-flashtext"),
        pytest.param(["bench", "--sizes", "10"], "hdrh", id="bench-without-hdrhistogram"),
        pytest.param(["bench", "--service"], "flashtext", id="bench-service-without-flashtext"),
    ],
)
def test_a_bench_command_without_the_extra_says_what_to_install(
    argv: list[str],
    missing: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)  # find_spec and import see it as absent
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"suggestfilter: error: suggestfilter {argv[0]} needs the bench extra: "
        "pip install 'suggestfilter[bench]'\n"
    )


def test_the_command_line_starts_without_the_bench_extra() -> None:
    # Any import of hdrh or flashtext fails in this interpreter.
    code = (
        "import sys\n"
        "sys.modules['hdrh'] = sys.modules['flashtext'] = None\n"
        "from suggestfilter.cli import build_parser\n"
        "build_parser().parse_args(['serve', '--demo'])\n"
        "print('parsed')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout) == (0, "parsed\n"), result.stderr
