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
        "--adversarial",
        "40",
        "--requests",
        "1",
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


def test_bench_prints_the_worst_case_beside_median_and_p99_with_the_targets(
    tmp_path: Path,
) -> None:
    result = _run(
        "bench",
        "--sizes",
        "200",
        "--samples",
        "100",
        "--engines",
        "suggestfilter,flashtext",
        "--adversarial",
        "60",
        "--requests",
        "2",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "worst us" in line)
    for column in ("median us", "p99 us", "worst us", "worst shape", "req worst ms"):
        assert column in header
    rows = lines[lines.index(header) + 2 :][:2]
    assert [row.split()[0] for row in rows] == ["suggestfilter", "flashtext"]
    assert all(row.split()[3] == "60" for row in rows)  # texts timed
    assert "worst text <= 2 ms" in result.stdout
    assert "50-suggestion request <= 30 ms at 100,000 terms" in result.stdout


def test_bench_json_rows_carry_the_worst_case_fields(tmp_path: Path) -> None:
    result = _run(
        "bench",
        "--sizes",
        "200",
        "--samples",
        "100",
        "--engines",
        "suggestfilter",
        "--adversarial",
        "30",
        "--requests",
        "1",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["adversarial_texts"] == 30
    assert row["requests"] == 1
    assert row["adversarial_median_us"] <= row["adversarial_p99_us"]
    assert row["adversarial_p99_us"] <= row["adversarial_worst_us"]
    assert row["request_median_ms"] <= row["request_worst_ms"]
    assert row["adversarial_worst_shape"]
    assert row["worst_us"] >= row["p99_us"]
    bad = _run("bench", "--adversarial", "-1", cwd=tmp_path)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "suggestfilter: error: --adversarial: must be 0 or more"


@pytest.mark.slow
def test_bench_memory_floods_a_real_worker_and_reports_its_resident_set(tmp_path: Path) -> None:
    result = _run(
        "bench",
        "--memory",
        "--memory-requests",
        "12",
        "--memory-terms",
        "20",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["figure"] == "flooded worker"
    assert row["requests"] == 12
    assert row["texts"] == 12 * 51
    assert row["errors"] == 0
    assert 0 < row["before_mib"] <= row["peak_mib"]
    assert row["growth_mib"] == pytest.approx(row["peak_mib"] - row["before_mib"])
    assert row["limit_mib"] > 0
    assert row["worker_pid"] > 0
    table = _run(
        "bench", "--memory", "--memory-requests", "2", "--memory-terms", "20", cwd=tmp_path
    )
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split()[:4] == ["figure", "terms", "requests", "texts"]
    assert "growth MiB" in table.stdout
    assert "should stay within 64 MiB" in table.stdout
