"""README.md tells the truth: its command lines parse, and its Python examples run."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from _server_process import ServerProcess
from suggestfilter.cli import build_parser

README = Path(__file__).resolve().parent.parent / "README.md"
_FENCE = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)


def _blocks(language: str) -> list[str]:
    return [body for lang, body in _FENCE.findall(README.read_text()) if lang == language]


def _command_lines() -> list[str]:
    """Every ``suggestfilter ...`` command shown in a plain code block."""
    commands: list[str] = []
    for block in _blocks(""):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip().removeprefix("$ ")
            line = re.sub(r"^(SUGGESTFILTER_\w+=\S+ )+", "", line)
            line = line.removeprefix(".venv/bin/")
            if line.startswith("suggestfilter ") and not re.search(r"[|&<>]", line):
                line = re.sub(r"\s+#\s.*$", "", line)  # a trailing comment
                # the pinned form's placeholders: --port P --admin-port A ...
                line = re.sub(r"(--[a-z-]+) [A-Z]\b", r"\1 1", line)
                commands.append(line)
    return commands


COMMANDS = _command_lines()


def test_readme_shows_the_pinned_invocations() -> None:
    shown = "\n".join(COMMANDS)
    for pinned in ("policy import --db", "terms import --db", "terms publish --db", "serve --demo"):
        assert f"suggestfilter {pinned}" in shown


@pytest.mark.parametrize(
    "command", COMMANDS, ids=lambda command: command.removeprefix("suggestfilter ")
)
def test_readme_command_parses(command: str) -> None:
    parser = build_parser()
    try:
        parser.parse_args(shlex.split(command)[1:])
    except SystemExit as exit_:
        pytest.fail(f"README command does not parse (exit {exit_.code}): {command}")


def test_readme_in_process_client_example_runs() -> None:
    (example,) = [b for b in _blocks("python") if "InProcessFilterClient(" in b]
    exec(compile(example, "README.md", "exec"), {})


def test_readme_client_example_runs_against_the_demo(tmp_path: Path) -> None:
    (example,) = [b for b in _blocks("python") if "FilterClient([" in b]
    server = ServerProcess.start(demo=True, workers=1, cwd=tmp_path)
    try:
        server.wait_for_health("SERVING")
        code = example.replace("127.0.0.1:50051", server.target)
        printed: list[tuple[object, ...]] = []
        exec(compile(code, "README.md", "exec"), {"print": lambda *a: printed.append(a)})
    finally:
        assert server.stop() == 0
    assert printed[0] == (["free games"],)
    ok, version, verdict = printed[1]
    assert ok is True and version >= 1
    assert (verdict.category, verdict.rule_id) == ("profanity", "r-demo-badword")
