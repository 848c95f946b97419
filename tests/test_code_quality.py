"""The tree is ruff-clean (lint and format) and mypy-clean (strict on the package).

Each step runs through ``scripts/check``, the one command developers run, with
this interpreter's tools; the script itself must fail when any step fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECK = ROOT / "scripts" / "check"


def _check(*steps: str, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK), *steps],
        env={**os.environ, "CHECK_PYTHON": python},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize(
    "step",
    [
        pytest.param("format", id="ruff-format-is-clean"),
        pytest.param("lint", id="ruff-lint-is-clean"),
        pytest.param("types", id="mypy-is-clean"),
    ],
)
def test_the_tree_passes(step: str) -> None:
    result = _check(step)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("failing_argument", "step"),
    [
        pytest.param("format", "format", id="format-fails"),
        pytest.param("check", "lint", id="lint-fails"),
        pytest.param("mypy", "types", id="types-fails"),
    ],
)
def test_check_fails_when_any_step_fails(tmp_path: Path, failing_argument: str, step: str) -> None:
    # An interpreter whose every tool passes except the one run with failing_argument.
    python = tmp_path / "python"
    python.write_text(
        f'#!/bin/sh\ncase " $* " in *" {failing_argument} "*) exit 1 ;; esac\nexit 0\n',
        encoding="utf-8",
    )
    python.chmod(0o755)
    result = _check(python=str(python))
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines()[-1] == f"check: FAILED: {step}"


def test_check_refuses_an_unknown_step() -> None:
    result = _check("typo")
    assert result.returncode == 2
    assert result.stderr == "check: unknown step 'typo' (format, lint, types)\n"
