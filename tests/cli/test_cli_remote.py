"""The CLI's store commands with ``--target``: the real CLI as a subprocess against a real
admin server (in this process, port 0, over a tmp SQLite store), token from the environment.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from suggestfilter._model import SuggestionKind
from suggestfilter.admin._auth import Role, TokenRegistry
from suggestfilter.admin._server import create_admin_server
from suggestfilter.rpc._tls import TlsFiles
from suggestfilter.store import open_store

EDITOR_TOKEN = "cli-editor-token"
VIEWER_TOKEN = "cli-viewer-token"

POLICY_TOML = """\
[categories.profanity]
suggestions = "block"
query = "block"

[categories.exploitation]
suggestions = "block"
query = "intervene"

[categories.exploitation.interventions.en]
message = "Searching for this may be illegal. Confidential help is available."
help_url = "https://example.org/help"
"""

TERMS_CSV = """\
term,category,match,locale,kind,note
badword,profanity,word,,block,generic
zorblax,exploitation,substring,,block,synthetic
quuxword,profanity,word,fr,block,
"""


def _registry() -> TokenRegistry:
    return TokenRegistry.from_tokens(
        [("alice", Role.EDITOR, EDITOR_TOKEN), ("dash", Role.VIEWER, VIEWER_TOKEN)]
    )


class Remote:
    """An admin server on a tmp store, and a way to run the CLI against it."""

    def __init__(self, db: Path, **server_options: object) -> None:
        self.db = db
        self.server, self.port = create_admin_server(
            "127.0.0.1:0", str(db), tokens=_registry(), **server_options
        )
        self.server.start()

    def cli(
        self,
        *args: str,
        token: str | None = EDITOR_TOKEN,
        target: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "SUGGESTFILTER_TOKEN"}
        if token is not None:
            env["SUGGESTFILTER_TOKEN"] = token
        argv = [sys.executable, "-m", "suggestfilter", *args]
        argv += ["--target", target or f"127.0.0.1:{self.port}"]
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)

    def stop(self) -> None:
        self.server.stop(None).wait()


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[Remote]:
    server = Remote(tmp_path / "store.db")
    yield server
    server.stop()


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_workflow_over_the_admin_api(remote: Remote, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY_TOML)
    terms = tmp_path / "terms.csv"
    terms.write_text(TERMS_CSV)
    plain = tmp_path / "more.txt"
    plain.write_text("# extra\nfoulword\n\n")

    ok(remote.cli("policy", "import", str(policy), "--reason", "initial"))
    ok(remote.cli("terms", "import", str(terms), "--reason", "seed list"))
    ok(remote.cli("terms", "import", "--category", "profanity", str(plain)))
    ok(remote.cli("terms", "add", "--category", "profanity", "--allow", "badwordsmith"))
    assert "published version" in ok(remote.cli("terms", "publish", "--reason", "go"))

    exported = ok(remote.cli("terms", "export", token=VIEWER_TOKEN))
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {r["term"] for r in rows} == {
        "badword",
        "zorblax",
        "quuxword",
        "foulword",
        "badwordsmith",
    }
    assert {r["kind"] for r in rows if r["term"] == "badwordsmith"} == {"allow"}
    assert "[categories.exploitation.interventions.en]" in ok(
        remote.cli("policy", "export", token=VIEWER_TOKEN)
    )

    ok(remote.cli("terms", "remove", "foulword", "--reason", "not a slur"))
    diff = ok(remote.cli("terms", "diff", token=VIEWER_TOKEN))
    assert "- " in diff and "foulword" in diff
    dry = ok(remote.cli("terms", "dry-run", "foulword", "hello", token=VIEWER_TOKEN))
    assert "1 newly unblocked" in dry
    ok(remote.cli("terms", "publish"))

    versions = ok(remote.cli("terms", "versions", token=VIEWER_TOKEN))
    assert "published" in versions and "retired" in versions
    ok(remote.cli("terms", "rollback", "4", "--reason", "undo"))
    audit = ok(remote.cli("terms", "audit", token=VIEWER_TOKEN))
    assert "rollback" in audit and "alice" in audit
    assert EDITOR_TOKEN not in audit


def test_reports_over_the_admin_api(remote: Remote, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY_TOML)
    ok(remote.cli("policy", "import", str(policy)))
    store = open_store(str(remote.db))
    try:
        for reporter, text in [("u1", "#Quuxly"), ("u2", "quuxly")]:
            store.add_report(text, SuggestionKind.HASHTAG, "en", "harmful", reporter)
        [group] = store.report_groups()
    finally:
        store.close()
    listing = ok(remote.cli("reports", "list", token=VIEWER_TOKEN))
    assert group.group_id in listing
    promoted = ok(remote.cli("reports", "resolve", group.group_id, "--promote", "profanity"))
    assert f"promoted {group.group_id}" in promoted
    assert "no reports" in ok(remote.cli("reports", "list", token=VIEWER_TOKEN))


ERROR_CASES = [
    # (name, args, token, expected error line fragment)
    ("no token", ("terms", "versions"), None, "no admin token"),
    ("unknown token", ("terms", "versions"), "nope", "unknown token"),
    ("viewer publishes", ("terms", "publish"), VIEWER_TOKEN, "needs the editor role"),
    ("unknown version", ("terms", "rollback", "99"), EDITOR_TOKEN, "99"),
    ("no draft", ("terms", "publish"), EDITOR_TOKEN, "draft"),
]


@pytest.mark.parametrize(
    ("name", "args", "token", "fragment"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES]
)
def test_errors_are_one_clean_line(
    remote: Remote, name: str, args: tuple[str, ...], token: str | None, fragment: str
) -> None:
    result = remote.cli(*args, token=token)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("suggestfilter: error: ")
    assert fragment in lines[0]
    assert "nope" not in lines[0]


def test_unreachable_target_is_one_clean_line(remote: Remote, free_port: int) -> None:
    result = remote.cli("terms", "versions", target=f"127.0.0.1:{free_port}")
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("suggestfilter: error: admin API at 127.0.0.1:")
    assert "unavailable" in line


def test_mutual_tls_from_the_cli(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    from _pki import write_pki

    files = write_pki(tmp_path, "cli")
    credentials = TlsFiles.read(
        files["server_cert"], files["server_key"], files["ca"]
    ).server_credentials()
    remote = Remote(tmp_path / "tls.db", credentials=credentials)
    target = f"localhost:{remote.port}"
    try:
        tls = ["--tls-ca", str(files["ca"])]
        mutual = [
            *tls,
            "--tls-cert",
            str(files["client_cert"]),
            "--tls-key",
            str(files["client_key"]),
        ]
        assert "no versions yet" in ok(remote.cli("terms", "versions", *mutual, target=target))
        refused = remote.cli("terms", "versions", *tls, target=target)
        assert refused.returncode == 1
        assert "unavailable" in refused.stderr
    finally:
        remote.stop()
