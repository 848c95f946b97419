"""Run ``suggestfilter serve`` as a subprocess on loopback ports, for tests and benchmarks.

Usage::

    from _server_process import ServerProcess

    with ServerProcess.start(db=str(tmp_path / "s.db"), workers=1) as server:
        server.wait_for_health("SERVING")          # or "NOT_SERVING"
        with grpc.insecure_channel(server.target) as channel:
            ...
        status = server.stop()                     # SIGTERM, wait, return the exit status

The command is exactly ``suggestfilter serve --db PATH --port P --admin-port A
--metrics-port M --workers N`` (plus ``--grace`` and ``extra_args`` when given);
the server listens on 127.0.0.1 only (``SUGGESTFILTER_HOST`` in its
environment) on free ports chosen here (``port``, ``admin_port``,
``metrics_port``); ``target`` is the public ``host:port`` and ``metrics_url``
the Prometheus endpoint. Its stderr
goes to a file (``stderr_text()`` reads it) so a chatty server never blocks on
a full pipe. Leaving the ``with`` block stops the server (SIGTERM, then
SIGKILL after ``kill_after`` seconds) if it still runs.

``wait_for_health`` polls the standard gRPC health service (service name ""
by default) until it reports the wanted status; it raises ``TimeoutError``
with the server's stderr when the status does not come in time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

HOST = "127.0.0.1"


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def health_status(target: str, service: str = "", *, timeout: float = 1.0) -> str:
    """The health status name (``SERVING``, ``NOT_SERVING``, ...) that ``target`` reports now.

    Returns ``UNREACHABLE`` when the call fails (nothing listens, or the
    server is shutting down) and ``SERVICE_UNKNOWN`` for an unknown service.
    """
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return "SERVICE_UNKNOWN"
            return "UNREACHABLE"
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))


class ServerProcess:
    """One ``suggestfilter serve`` subprocess (see the module docstring)."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        *,
        port: int,
        admin_port: int,
        metrics_port: int,
        stderr_path: Path,
        kill_after: float,
    ) -> None:
        self.process = process
        self.port = port
        self.admin_port = admin_port
        self.metrics_port = metrics_port
        self.stderr_path = stderr_path
        self.kill_after = kill_after

    @classmethod
    def start(
        cls,
        *,
        db: str | None = None,
        workers: int = 1,
        grace: float | None = None,
        extra_args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        demo: bool = False,
        port: int | None = None,
        admin_port: int | None = None,
        metrics_port: int | None = None,
        cwd: str | os.PathLike[str] | None = None,
        kill_after: float = 20.0,
    ) -> ServerProcess:
        """Start ``python -m suggestfilter serve`` and return at once (not waiting for health).

        ``db`` is the store location (a SQLite path or a PostgreSQL DSN); with
        ``demo=True`` the server runs ``serve --demo`` instead. ``env`` is
        added to the current environment. ``grace`` (seconds) is passed as
        ``--grace`` when given.
        """
        port = port or free_loopback_port()
        admin_port = admin_port or free_loopback_port()
        metrics_port = metrics_port or free_loopback_port()
        command = [sys.executable, "-m", "suggestfilter", "serve"]
        if demo:
            command.append("--demo")
        if db is not None:
            command += ["--db", db]
        command += [
            "--port",
            str(port),
            "--admin-port",
            str(admin_port),
            "--metrics-port",
            str(metrics_port),
            "--workers",
            str(workers),
        ]
        if grace is not None:
            command += ["--grace", str(grace)]
        command += extra_args
        handle, name = tempfile.mkstemp(prefix="suggestfilter-serve-", suffix=".stderr")
        os.close(handle)
        stderr_path = Path(name)
        full_env = dict(os.environ)
        full_env["SUGGESTFILTER_HOST"] = HOST  # loopback only, with the pinned flags verbatim
        full_env.update(env or {})
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=full_env,
                cwd=cwd,
            )
        return cls(
            process,
            port=port,
            admin_port=admin_port,
            metrics_port=metrics_port,
            stderr_path=stderr_path,
            kill_after=kill_after,
        )

    @property
    def target(self) -> str:
        """The public API's ``host:port``."""
        return f"{HOST}:{self.port}"

    @property
    def admin_target(self) -> str:
        """The admin API's ``host:port``."""
        return f"{HOST}:{self.admin_port}"

    @property
    def metrics_url(self) -> str:
        """The Prometheus endpoint's URL."""
        return f"http://{HOST}:{self.metrics_port}/metrics"

    def stderr_text(self) -> str:
        """Everything the server wrote to stderr so far."""
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def scrape_metrics(self, *, timeout: float = 5.0) -> str:
        """The text of one scrape of ``/metrics``."""
        with urllib.request.urlopen(self.metrics_url, timeout=timeout) as response:
            return str(response.read().decode("utf-8"))

    def wait_for_health(
        self, status: str = "SERVING", *, service: str = "", timeout: float = 30.0
    ) -> None:
        """Poll the health service until it reports ``status``; TimeoutError if it does not.

        Also fails at once when the server process exits.
        """
        deadline = time.monotonic() + timeout
        last = "UNREACHABLE"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.process.returncode} while waiting for {status}:\n"
                    + self.stderr_text()
                )
            last = health_status(self.target, service)
            if last == status:
                return
            time.sleep(0.05)
        raise TimeoutError(
            f"health of {service!r} was {last}, not {status}, after {timeout} s:\n"
            + self.stderr_text()
        )

    def wait_for_metrics(self, *, timeout: float = 15.0) -> str:
        """Scrape ``/metrics`` until it answers; return that scrape."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.scrape_metrics()
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def signal(self, signum: int = signal.SIGTERM) -> None:
        """Send ``signum`` to the server (the supervisor process)."""
        self.process.send_signal(signum)

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the server to exit; return its exit status."""
        return self.process.wait(timeout=timeout)

    def stop(self, *, timeout: float | None = None) -> int:
        """SIGTERM the server and wait for it; SIGKILL after ``timeout`` (default kill_after)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=timeout or self.kill_after)
            except subprocess.TimeoutExpired:
                self._kill_group()
                self.process.wait()
                raise
        return int(self.process.returncode)

    def _kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()

    def close(self) -> None:
        """Stop the server if it runs and remove the stderr file."""
        try:
            if self.process.poll() is None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.stop()
        finally:
            self.stderr_path.unlink(missing_ok=True)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


@contextlib.contextmanager
def running_server(**kwargs: object) -> Iterator[ServerProcess]:
    """``ServerProcess.start(**kwargs)`` as a context manager that stops it afterwards."""
    server = ServerProcess.start(**kwargs)  # type: ignore[arg-type]
    with server:
        yield server
