"""``suggestfilter check`` and ``suggestfilter bench``, run as the real CLI in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from suggestfilter.loadtest._bench import BenchRow, format_table

POLICY = """
[categories.profanity]
suggestions = "block"
query = "block"

[categories.exploitation]
suggestions = "block"
query = "intervene"

[categories.exploitation.interventions.en]
message = "Help is available."
help_url = "https://example.org/help"
"""


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "suggestfilter", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def term_files(tmp_path: Path) -> Path:
    (tmp_path / "terms.csv").write_text(
        "term,category,match,locale,kind\n"
        "badword,profanity,word,,block\n"
        "cunt,profanity,substring,,block\n"
        "scunthorpe,profanity,word,,allow\n"
        "zorblax,exploitation,word,,block\n"
        "merdouille,profanity,word,fr,block\n",
        encoding="utf-8",
    )
    (tmp_path / "policy.toml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "plain.txt").write_text("# plain list\nbadword\n", encoding="utf-8")
    return tmp_path


def test_check_prints_folded_text_spans_and_verdicts(term_files: Path) -> None:
    result = _run(
        "check",
        "Free B4DW0RD in Scunthorpe",
        "--terms",
        "terms.csv",
        "--policy",
        "policy.toml",
        cwd=term_files,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "folded:     'free badword in scunthorpe'" in out
    assert "suggestion: BLOCK  category=profanity" in out
    assert "[5, 12)  'B4DW0RD'  block word  category=profanity" in out
    assert "[16, 26)  'Scunthorpe'  allow word" in out
    assert "[17, 21)  'cunt'  block substring  category=profanity" in out
    assert "(suppressed by an allow entry)" in out


@pytest.mark.slow
def test_check_intervening_query_and_locale(term_files: Path) -> None:
    result = _run(
        "check",
        "#FreeZorblax",
        "--terms",
        "terms.csv",
        "--policy",
        "policy.toml",
        "--kind",
        "hashtag",
        cwd=term_files,
    )
    assert result.returncode == 0, result.stderr
    assert "query:      INTERVENE  category=exploitation" in result.stdout
    assert "intervention: Help is available.  https://example.org/help" in result.stdout
    french = _run(
        "check", "merdouille", "--terms", "terms.csv", "--locale", "fr-CA", cwd=term_files
    )
    assert "suggestion: BLOCK" in french.stdout
    english = _run(
        "check", "merdouille", "--terms", "terms.csv", "--locale", "en-US", cwd=term_files
    )
    assert "suggestion: ALLOW" in english.stdout
    assert "matches:    none" in english.stdout


def test_check_without_policy_blocks_every_category(term_files: Path) -> None:
    result = _run("check", "zorblax", "--terms", "terms.csv", cwd=term_files)
    assert result.returncode == 0, result.stderr
    assert "query:      BLOCK  category=exploitation" in result.stdout


def test_check_with_a_plain_term_file(term_files: Path) -> None:
    result = _run(
        "check", "b.a.d.w.o.r.d", "--terms", "plain.txt", "--category", "mine", cwd=term_files
    )
    assert result.returncode == 0, result.stderr
    assert "suggestion: BLOCK  category=mine" in result.stdout


def test_check_innocent_text_has_no_match(term_files: Path) -> None:
    result = _run("check", "a cocktail in Essex", "--terms", "terms.csv", cwd=term_files)
    assert result.returncode == 0, result.stderr
    assert "suggestion: ALLOW" in result.stdout
    assert "matches:    none" in result.stdout


def test_check_rejects_a_bad_term_file_in_one_line(term_files: Path) -> None:
    (term_files / "bad.csv").write_text("term,category,match\nbadword,p,fuzzy\n", encoding="utf-8")
    result = _run("check", "x", "--terms", "bad.csv", cwd=term_files)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "suggestfilter: error: bad.csv:2: match: unknown match mode 'fuzzy' (word | substring)"
    )


def test_check_rejects_a_category_missing_from_the_policy(term_files: Path) -> None:
    (term_files / "other.csv").write_text("term,category\nbadword,nosuch\n", encoding="utf-8")
    result = _run("check", "x", "--terms", "other.csv", "--policy", "policy.toml", cwd=term_files)
    assert result.returncode == 1
    assert "other.csv:2: unknown category 'nosuch'" in result.stderr


def test_bench_quick_run_prints_json_rows(tmp_path: Path) -> None:
    result = _run(
        "bench",
        "--sizes",
        "300",
        "--samples",
        "200",
        "--engines",
        "suggestfilter,re,flashtext",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["engine"] for row in rows] == ["suggestfilter", "re", "flashtext"]
    for row in rows:
        assert row["terms"] == 300
        assert row["samples"] == 200
        assert row["median_us"] > 0
        assert row["p99_us"] >= row["median_us"]
    assert "bench: 300 terms" in result.stderr


def test_bench_table_format_and_bad_options(tmp_path: Path) -> None:
    rows = [
        BenchRow(
            engine="suggestfilter",
            terms=100_000,
            build_seconds=0.5,
            build_cpu_seconds=0.25,
            memory_mib=30.0,
            median_us=2.5,
            p99_us=100.0,
            samples=20_000,
        ),
        BenchRow("re", 1_000_000, note="skipped: too slow"),
    ]
    table = format_table(rows).splitlines()
    assert table[0].split()[:3] == ["engine", "terms", "build"]
    assert table[2].split() == [
        "suggestfilter",
        "100,000",
        "0.50",
        "0.25",
        "30.00",
        "2.50",
        "100",
        "20,000",
    ]
    assert table[3].endswith("skipped: too slow")
    usage = _run("bench", "--help", cwd=tmp_path)
    assert "--sizes" in usage.stdout
    assert "--service" in usage.stdout
    bad = _run("bench", "--sizes", "ten", cwd=tmp_path)
    assert bad.returncode == 1
    assert bad.stderr.strip() == ("suggestfilter: error: --sizes: comma-separated whole numbers")
