"""The ``policy``, ``terms`` and ``reports`` commands, run as the real CLI in a subprocess."""

from __future__ import annotations

import getpass
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from suggestfilter._model import SuggestionKind
from suggestfilter.store import open_store

POLICY_TOML = """\
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

TERMS_CSV = """\
term,category,match,locale,kind,note,rule_id
badword,profanity,word,,block,synthetic,r-bad
zorblax,exploitation,word,,block,synthetic,r-zor
qwzzyx,exploitation,substring,,block,coded,r-qw
qwzzyxology,exploitation,word,,allow,innocent,r-ok
merde,profanity,word,fr,block,"generic, French",r-merde
"""


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "suggestfilter", "--log-level", "WARNING", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def ok(*args: str) -> str:
    result = run(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def fails(*args: str, env: dict[str, str] | None = None) -> str:
    """Run a command that must fail with one clear line; return that line."""
    result = run(*args, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("suggestfilter: error: "), result.stderr
    return lines[0]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "policy": tmp_path / "policy.toml",
        "csv": tmp_path / "terms.csv",
        "plain": tmp_path / "more.txt",
    }
    paths["policy"].write_text(POLICY_TOML)
    paths["csv"].write_text(TERMS_CSV)
    paths["plain"].write_text("# synthetic terms\nglorpnik\n\nfrobnitz\n")
    return paths


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "store" / "terms.db")
    return str(request.getfixturevalue("postgres_dsn"))


def bootstrap(db: str, files: dict[str, Path]) -> None:
    """The pinned bootstrap invocations, exactly as scripts run them."""
    ok("policy", "import", "--db", db, str(files["policy"]))
    ok("terms", "import", "--db", db, "--reason", "initial list", str(files["csv"]))
    ok(
        "terms", "import", "--db", db, "--category", "profanity", "--locale", "en",
        "--match", "substring", str(files["plain"]),
    )  # fmt: skip
    ok("terms", "publish", "--db", db)


def versions(db: str) -> list[dict[str, Any]]:
    return list(json.loads(ok("terms", "versions", "--db", db, "--json")))


def test_pinned_bootstrap_publishes_a_list(db: str, files: dict[str, Path]) -> None:
    bootstrap(db, files)
    listed = versions(db)
    assert [(v["number"], v["state"], v["term_count"]) for v in listed] == [
        (3, "published", 7),
        (2, "superseded", 5),
        (1, "superseded", 0),
    ]
    store = open_store(db)
    snapshot = store.load_published()
    store.close()
    assert snapshot is not None
    plain = {e.term: e for e in snapshot.entries if e.term in ("glorpnik", "frobnitz")}
    assert {(e.category, e.locale, e.match.value) for e in plain.values()} == {
        ("profanity", "en", "substring")
    }
    table = ok("terms", "versions", "--db", db)
    assert table.splitlines()[0].split()[:3] == ["VERSION", "STATE", "BASE"]


def test_sqlite_store_is_created_owner_only(tmp_path: Path, files: dict[str, Path]) -> None:
    db = tmp_path / "fresh" / "terms.db"
    ok("policy", "import", "--db", str(db), str(files["policy"]))
    assert db.stat().st_mode & 0o777 == 0o600
    assert db.parent.stat().st_mode & 0o777 == 0o700


def test_default_db_is_in_the_working_directory(tmp_path: Path, files: dict[str, Path]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "suggestfilter", "policy", "import", str(files["policy"])],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "suggestfilter.db").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("name", "content", "extra", "message"),
    [
        pytest.param(
            "bad.csv",
            "term,category\nbadword,profanity\nglorp,spam\n",
            [],
            r"bad.csv:3: .*spam",
            id="unknown-category-line-3",
        ),
        pytest.param(
            "bad.csv", "term,category\n,profanity\n", [], r"bad.csv:2:", id="empty-term-line-2"
        ),
        pytest.param(
            "plain.txt",
            "glorp\nfrob\n",
            ["--category", "spam"],
            r"plain.txt:1: .*spam",
            id="plain-file-unknown-category",
        ),
    ],
)
def test_a_bad_term_file_is_rejected_whole_with_its_line(
    tmp_path: Path,
    files: dict[str, Path],
    name: str,
    content: str,
    extra: list[str],
    message: str,
) -> None:
    db = str(tmp_path / "terms.db")
    ok("policy", "import", "--db", db, str(files["policy"]))
    bad = tmp_path / name
    bad.write_text(content)
    line = fails("terms", "import", "--db", db, *extra, str(files["csv"]), str(bad))
    assert re.search(message, line), line
    assert len(versions(db)) == 1  # nothing stored, not even the good file


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["terms", "publish"], "no open draft", id="publish-without-draft"),
        pytest.param(
            ["terms", "rollback", "9"], "version 9 does not exist", id="rollback-to-unknown-version"
        ),
        pytest.param(
            ["terms", "diff", "--to", "9"], "version 9 does not exist", id="diff-to-unknown-version"
        ),
        pytest.param(
            ["terms", "remove", "no-such-term"],
            "no entry has the rule id or term",
            id="remove-unknown-term",
        ),
        pytest.param(
            ["terms", "add", "--category", "spam", "glorp"],
            "category 'spam' is not defined",
            id="add-unknown-category",
        ),
        pytest.param(
            ["reports", "resolve", "g-nothing", "--dismiss"],
            "no report or report group",
            id="resolve-unknown-report",
        ),
    ],
)
def test_errors_are_one_line_and_a_non_zero_exit(
    tmp_path: Path, files: dict[str, Path], args: list[str], message: str
) -> None:
    db = str(tmp_path / "terms.db")
    bootstrap(db, files)
    assert message in fails(*args, "--db", db)


def test_terms_import_before_any_policy_says_what_to_do(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    db = str(tmp_path / "terms.db")
    line = fails("terms", "import", "--db", db, str(files["csv"]))
    assert "suggestfilter policy import" in line


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["terms", "versions"], id="terms-versions"),
        pytest.param(["terms", "publish"], id="terms-publish"),
        pytest.param(
            ["terms", "import", "--category", "profanity", "terms.txt"], id="terms-import"
        ),
        pytest.param(["reports", "list"], id="reports-list"),
    ],
)
def test_a_mistyped_store_path_is_an_error_and_creates_nothing(
    tmp_path: Path, args: list[str]
) -> None:
    missing = tmp_path / "no-such-dir" / "typo.db"
    line = fails(*args, "--db", str(missing))
    assert f"no store at {missing}" in line
    assert not missing.parent.exists()


def test_policy_import_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "terms.db"
    line = fails("policy", "import", "--db", str(db), str(tmp_path / "nosuch.toml"))
    assert "nosuch.toml: cannot read" in line
    assert not db.exists()


def test_a_version_number_out_of_range_is_a_usage_error(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    db = str(tmp_path / "terms.db")
    bootstrap(db, files)
    result = run("terms", "rollback", "--db", db, "99999999999999999999999")
    assert result.returncode == 2
    assert "VERSION: must be between 1 and" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_and_target_together_are_refused(tmp_path: Path) -> None:
    line = fails("terms", "versions", "--db", str(tmp_path / "x.db"), "--target", "127.0.0.1:1")
    assert "not both" in line


def test_target_needs_a_token(tmp_path: Path) -> None:
    env = {"SUGGESTFILTER_TOKEN": "", "OTHER_TOKEN": ""}
    line = fails("terms", "versions", "--target", "127.0.0.1:1", env=env)
    assert "SUGGESTFILTER_TOKEN" in line
    line = fails(
        "terms", "versions", "--target", "127.0.0.1:1", "--token-env", "OTHER_TOKEN", env=env
    )
    assert "OTHER_TOKEN" in line


@pytest.mark.slow
def test_change_review_publish_and_rollback(tmp_path: Path, files: dict[str, Path]) -> None:
    db = str(tmp_path / "terms.db")
    bootstrap(db, files)  # v3 published
    ok("terms", "add", "--db", db, "--category", "profanity", "--reason", "new", "sploink")
    ok("terms", "remove", "--db", db, "--reason", "not needed", "r-zor")
    diff = json.loads(ok("terms", "diff", "--db", db, "--json"))
    assert (diff["from_version"], diff["to_version"]) == (3, 5)
    assert [e["term"] for e in diff["added"]] == ["sploink"]
    assert [e["rule_id"] for e in diff["removed"]] == ["r-zor"]
    text = ok("terms", "diff", "--db", db)
    assert "+ " in text and "r-zor" in text

    samples = tmp_path / "samples.txt"
    samples.write_text("#Sploink\thashtag\nzorblax\nhello\n")
    dry = json.loads(
        ok("terms", "dry-run", "--db", db, "--file", str(samples), "--json", "spl0ink")
    )
    assert dry["total"] == 4
    assert [i["sample"]["text"] for i in dry["newly_blocked"]] == ["spl0ink", "#Sploink"]
    assert [i["sample"]["text"] for i in dry["newly_unblocked"]] == ["zorblax"]
    assert "2 newly blocked, 1 newly unblocked" in ok(
        "terms", "dry-run", "--db", db, "--file", str(samples), "spl0ink"
    )

    assert "published version 5" in ok("terms", "publish", "--db", db, "--reason", "reviewed")
    assert "version 3 is published" in ok("terms", "rollback", "--db", db, "3", "--reason", "oops")
    audit = json.loads(ok("terms", "audit", "--db", db, "--json", "--limit", "3"))
    assert [(r["action"], r["reason"], r["version"]) for r in audit] == [
        ("rollback", "oops", 3),
        ("publish", "reviewed", 5),
        ("change", "not needed", 5),
    ]
    assert audit[0]["actor"] == getpass.getuser()
    ok("terms", "add", "--db", db, "--category", "profanity", "--actor", "carol", "blarg")
    assert json.loads(ok("terms", "audit", "--db", db, "--json"))[0]["actor"] == "carol"


def test_export_then_import_round_trips(tmp_path: Path, files: dict[str, Path]) -> None:
    db = str(tmp_path / "terms.db")
    bootstrap(db, files)
    exported_csv = tmp_path / "export.csv"
    exported_policy = tmp_path / "export.toml"
    ok("terms", "export", "--db", db, "-o", str(exported_csv))
    ok("policy", "export", "--db", db, "-o", str(exported_policy))
    assert exported_csv.stat().st_mode & 0o777 == 0o600
    copy = str(tmp_path / "copy.db")
    ok("policy", "import", "--db", copy, str(exported_policy))
    ok("terms", "import", "--db", copy, str(exported_csv))
    assert ok("terms", "export", "--db", copy) == exported_csv.read_text()
    assert ok("policy", "export", "--db", copy) == exported_policy.read_text()
    assert "r-bad" in exported_csv.read_text()


def test_large_import_shows_progress(tmp_path: Path, files: dict[str, Path]) -> None:
    db = str(tmp_path / "terms.db")
    ok("policy", "import", "--db", db, str(files["policy"]))
    big = tmp_path / "big.txt"
    big.write_text("".join(f"synthterm{n}x\n" for n in range(25_000)))
    result = run("terms", "import", "--db", db, "--category", "profanity", str(big))
    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("reading big.txt")]
    assert progress[-1] == "reading big.txt: 100%"
    assert len(progress) >= 3
    assert "25000 added" in result.stdout


def test_reports_list_and_resolve(tmp_path: Path, files: dict[str, Path]) -> None:
    db = str(tmp_path / "terms.db")
    bootstrap(db, files)
    store = open_store(db)
    for reporter in ("u1", "u2", "u3"):
        store.add_report("#Sploink", SuggestionKind.HASHTAG, "en", "abuse", reporter)
    store.add_report("harmless", SuggestionKind.QUERY, "", "spam", "u1")
    store.close()
    groups = json.loads(ok("reports", "list", "--db", db, "--json"))
    assert [(g["text"], g["count"]) for g in groups] == [("#Sploink", 3), ("harmless", 1)]
    assert "#Sploink" in ok("reports", "list", "--db", db)
    promoted = ok(
        "reports", "resolve", "--db", db, groups[0]["group_id"], "--promote", "exploitation",
        "--reason", "confirmed",
    )  # fmt: skip
    assert "into draft version 4" in promoted
    ok("reports", "resolve", "--db", db, groups[1]["group_id"], "--dismiss", "--reason", "benign")
    assert "no reports" in ok("reports", "list", "--db", db)
    everything = json.loads(ok("reports", "list", "--db", db, "--all", "--json"))
    assert {(g["text"], g["status"]) for g in everything} == {
        ("#Sploink", "promoted"),
        ("harmless", "dismissed"),
    }
    exported = ok("terms", "export", "--db", db, "--category", "exploitation")
    assert "\nSploink,exploitation,word,,block,promoted from report group g-" in exported
