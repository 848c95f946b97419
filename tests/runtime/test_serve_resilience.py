"""``suggestfilter serve`` when things go wrong: a corrupt version, a lost store, a dead worker.

The server runs as a real subprocess. Corruption and outages are made for
real: a stored checksum is overwritten in the SQLite file, the PostgreSQL
schema is renamed away, a worker is killed with SIGKILL.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from _serve_fixtures import open_channel, publish_demo, published_version, request
from _server_process import ServerProcess, health_status
from suggestfilter._model import TermEntry
from suggestfilter.admin._ops import AdminOps
from suggestfilter.store import open_store
from suggestfilter.v1 import filter_pb2, filter_pb2_grpc

# each test starts a server and breaks a part of it
pytestmark = pytest.mark.slow

SECRET_TERM = "snorkelmoo"


def _filter_version(target: str) -> int:
    with open_channel(target) as channel:
        stub = filter_pb2_grpc.SuggestionFilterServiceStub(channel)
        response = stub.Filter(request("free", "free badword"), timeout=5)
    assert response.verdicts[0].action == filter_pb2.ACTION_BLOCK
    return int(response.list_version)


def _metric(server: ServerProcess, name: str) -> float:
    for line in server.scrape_metrics().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def _eventually(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout} s: {what}")
        time.sleep(0.05)


def _write_corrupt_published_version(location: str) -> int:
    """Store a new version, overwrite its checksum, and make it the published one."""
    store = open_store(location)
    try:
        result = AdminOps(store, "test").add_terms(
            [TermEntry(SECRET_TERM, "profanity")], reason="to be corrupted"
        )
        number = result.version.number
    finally:
        store.close()
    with sqlite3.connect(location) as conn:
        conn.execute("UPDATE versions SET checksum = ? WHERE number = ?", ("0" * 64, number))
        conn.execute("UPDATE store_state SET published = ?, draft = NULL", (number,))
    return int(number)


def test_a_version_that_does_not_verify_is_refused_and_the_old_one_keeps_serving(
    tmp_path: Path,
) -> None:
    location = str(tmp_path / "store.db")
    good = publish_demo(location)
    with ServerProcess.start(db=location, workers=1) as server:
        server.wait_for_health("SERVING")
        server.wait_for_metrics()
        corrupt = _write_corrupt_published_version(location)
        assert published_version(location) == corrupt

        _eventually(
            lambda: _metric(server, "suggestfilter_reload_failures_total") == 1,
            "the reload failure is counted",
        )
        assert _filter_version(server.target) == good
        assert health_status(server.target) == "SERVING"
        time.sleep(1.0)  # several polls later: refused once, not retried in a loop
        assert _metric(server, "suggestfilter_reload_failures_total") == 1
        assert server.stop() == 0
        stderr = server.stderr_text()
    assert f"list version {corrupt} refused: its checksum does not verify" in stderr
    assert SECRET_TERM not in stderr


def test_a_killed_worker_is_replaced(tmp_path: Path) -> None:
    location = str(tmp_path / "store.db")
    version = publish_demo(location)
    with ServerProcess.start(db=location, workers=1) as server:
        server.wait_for_health("SERVING")
        (first,) = re.findall(r"worker (\d+) serving list version", server.stderr_text())
        os.kill(int(first), signal.SIGKILL)
        _eventually(
            lambda: len(re.findall(r"worker \d+ serving", server.stderr_text())) == 2,
            "a replacement worker starts",
        )
        server.wait_for_health("SERVING")
        assert _filter_version(server.target) == version
        assert server.stop() == 0
        assert "starting a replacement worker" in server.stderr_text()


@pytest.mark.parametrize("role", ["admin", "metrics"])
def test_a_killed_admin_or_metrics_child_is_restarted(tmp_path: Path, role: str) -> None:
    location = str(tmp_path / "store.db")
    publish_demo(location)
    with ServerProcess.start(db=location, workers=1) as server:
        server.wait_for_health("SERVING")
        assert health_status(server.admin_target) == "SERVING"
        server.wait_for_metrics()
        pattern = rf"{role} (\d+) serving"
        (pid,) = re.findall(pattern, server.stderr_text())
        os.kill(int(pid), signal.SIGKILL)
        _eventually(lambda: len(re.findall(pattern, server.stderr_text())) == 2, f"{role} restarts")
        _eventually(lambda: health_status(server.admin_target) == "SERVING", "admin answers")
        assert "suggestfilter_requests_total" in server.wait_for_metrics()
        assert server.stop() == 0


@pytest.mark.postgres
def test_an_unreachable_store_keeps_the_last_list_serving(postgres_dsn: str) -> None:
    import psycopg
    from _net import POSTGRES_BASE_DSN

    version = publish_demo(postgres_dsn)
    schema = re.search(r"search_path%3D(\w+)", postgres_dsn)
    assert schema is not None
    name = schema.group(1)
    with ServerProcess.start(db=postgres_dsn, workers=1) as server:
        server.wait_for_health("SERVING")
        server.wait_for_health("SERVING", service="suggestfilter.store")
        with psycopg.connect(POSTGRES_BASE_DSN, autocommit=True) as conn:
            conn.execute(f"ALTER SCHEMA {name} RENAME TO {name}_away")
        try:
            server.wait_for_health("NOT_SERVING", service="suggestfilter.store")
            assert health_status(server.target) == "SERVING"
            assert _filter_version(server.target) == version
            assert _metric(server, "suggestfilter_store_unreachable") == 1
        finally:
            with psycopg.connect(POSTGRES_BASE_DSN, autocommit=True) as conn:
                conn.execute(f"ALTER SCHEMA {name}_away RENAME TO {name}")
        server.wait_for_health("SERVING", service="suggestfilter.store")
        assert _metric(server, "suggestfilter_store_unreachable") == 0
        assert server.stop() == 0


def _secure_health(target: str, files: dict[str, Path], *, client_cert: bool) -> str:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    credentials = grpc.ssl_channel_credentials(
        root_certificates=files["ca"].read_bytes(),
        private_key=files["client_key"].read_bytes() if client_cert else None,
        certificate_chain=files["client_cert"].read_bytes() if client_cert else None,
    )
    with grpc.secure_channel(target, credentials) as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=2
            )
        except grpc.RpcError:
            return "UNREACHABLE"
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))


def test_tls_on_the_public_port_and_mutual_tls_on_the_admin_port(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    from _pki import write_pki

    files = write_pki(tmp_path, "serve")
    location = str(tmp_path / "store.db")
    publish_demo(location)
    tls_args = [
        *("--tls-cert", str(files["server_cert"]), "--tls-key", str(files["server_key"])),
        *("--admin-tls-cert", str(files["server_cert"])),
        *("--admin-tls-key", str(files["server_key"])),
        *("--admin-tls-client-ca", str(files["ca"])),
    ]
    with ServerProcess.start(db=location, workers=1, extra_args=tls_args) as server:
        public = f"localhost:{server.port}"
        admin = f"localhost:{server.admin_port}"
        _eventually(
            lambda: _secure_health(public, files, client_cert=False) == "SERVING",
            "the public port answers over TLS",
        )
        assert health_status(server.target) == "UNREACHABLE"  # plaintext is refused
        assert _secure_health(admin, files, client_cert=True) == "SERVING"
        assert _secure_health(admin, files, client_cert=False) == "UNREACHABLE"
        assert server.stop() == 0


def test_a_tls_key_without_its_certificate_is_one_error_line(tmp_path: Path) -> None:
    with ServerProcess.start(
        db=str(tmp_path / "store.db"), extra_args=["--tls-key", str(tmp_path / "k.pem")]
    ) as server:
        assert server.wait(timeout=60) == 1
        assert "suggestfilter: error: --tls-cert: needs --tls-key" in server.stderr_text()
