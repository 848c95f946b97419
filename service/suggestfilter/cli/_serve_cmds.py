"""``suggestfilter serve``: run the public API, the admin API and the metrics endpoint.

::

    suggestfilter serve --db PATH --port P --admin-port A --metrics-port M --workers N
    suggestfilter serve --demo

See :mod:`suggestfilter.runtime._supervisor` for the process model (worker
generations, hot reload, draining on SIGTERM).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from suggestfilter._errors import InvalidInputError
from suggestfilter.rpc._limits import Limits
from suggestfilter.serving._metrics_http import (
    prepare_multiprocess_dir,
    switch_to_multiprocess_mode,
)

if TYPE_CHECKING:
    from suggestfilter.admin._auth import TokenRegistry
    from suggestfilter.rpc._tls import TlsFiles
    from suggestfilter.runtime._supervisor import Supervisor

_LOGGER = logging.getLogger(__name__)

HOST_ENV = "SUGGESTFILTER_HOST"
"""Environment variable with the default interface of ``serve``'s ports."""

_DEFAULT_PORT = 50051
_DEFAULT_ADMIN_PORT = 50052
_DEFAULT_METRICS_PORT = 9464
_DEFAULT_INPLACE_MAX_TERMS = 20000
_DEFAULT_WORK_BUDGET_MS = 20.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``serve``."""
    parser = subparsers.add_parser(
        "serve",
        help="serve the filter (public API, admin API, /metrics)",
        description=(
            "Serve the published term list of a store on the public port, the admin API on "
            "its own port and Prometheus metrics over HTTP. Several worker processes share the "
            "public port; a newly published or rolled-back version is served within seconds; "
            "SIGTERM drains in-flight calls and exits 0."
        ),
    )
    parser.add_argument(
        "--db",
        metavar="LOCATION",
        default=None,
        help="store: a SQLite file path or a postgresql:// DSN (default ./suggestfilter.db)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="serve the shipped demo list from a temporary store (nothing else needed)",
    )
    parser.add_argument(
        "--host",
        default=None,
        help=(
            f"interface of every port (default ${HOST_ENV}, else [::] = all interfaces; "
            "with --demo 127.0.0.1)"
        ),
    )
    parser.add_argument(
        "--port", type=int, default=_DEFAULT_PORT, help=f"public gRPC port ({_DEFAULT_PORT})"
    )
    parser.add_argument(
        "--admin-port",
        type=int,
        default=_DEFAULT_ADMIN_PORT,
        help=f"admin gRPC port ({_DEFAULT_ADMIN_PORT})",
    )
    parser.add_argument("--no-admin", action="store_true", help="do not serve the admin API at all")
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=_DEFAULT_METRICS_PORT,
        help=f"Prometheus HTTP port, path /metrics ({_DEFAULT_METRICS_PORT})",
    )
    parser.add_argument(
        "--no-metrics", action="store_true", help="do not serve the metrics endpoint"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="public worker processes sharing the port (default: one per core)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=8,
        help="gRPC threads per worker; each open FilterSession stream holds one (8)",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=5.0,
        help="seconds in-flight calls get to finish on SIGTERM or reload (5)",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=0.5,
        help="seconds between checks of the published version (0.5)",
    )
    parser.add_argument(
        "--inplace-max-terms",
        type=int,
        default=_DEFAULT_INPLACE_MAX_TERMS,
        metavar="N",
        help=(
            "a published version with at most N term entries is switched in place in the "
            "running workers (open streams keep going); a larger one starts a new worker "
            f"generation; 0: always a new generation ({_DEFAULT_INPLACE_MAX_TERMS})"
        ),
    )
    parser.add_argument(
        "--work-budget-ms",
        type=float,
        default=_DEFAULT_WORK_BUDGET_MS,
        metavar="MS",
        help=(
            "CPU milliseconds a worker may spend deciding one keystroke; the suggestions not "
            "decided by then are hidden and counted as undecided "
            f"({_DEFAULT_WORK_BUDGET_MS:g})"
        ),
    )
    parser.add_argument(
        "--tokens-file",
        default=None,
        help="admin bearer tokens (name role sha256 per line); also SUGGESTFILTER_ADMIN_TOKENS",
    )
    for prefix, port in (("--tls", "public"), ("--admin-tls", "admin")):
        parser.add_argument(
            f"{prefix}-cert", metavar="PEM", help=f"certificate chain: serve the {port} port on TLS"
        )
        parser.add_argument(f"{prefix}-key", metavar="PEM", help=f"private key of {prefix}-cert")
        parser.add_argument(
            f"{prefix}-client-ca",
            metavar="PEM",
            help=f"require client certificates signed by this CA on the {port} port (mutual TLS)",
        )
    parser.set_defaults(func=run_serve)


def _tls_files(args: argparse.Namespace, prefix: str) -> TlsFiles | None:
    """The TLS files of one port from ``--{prefix}-cert/-key/-client-ca``; None: plaintext."""
    from suggestfilter.rpc._tls import TlsFiles

    attribute = prefix.replace("-", "_")
    cert = getattr(args, f"{attribute}_cert")
    key = getattr(args, f"{attribute}_key")
    client_ca = getattr(args, f"{attribute}_client_ca")
    if cert is None and key is None and client_ca is None:
        return None
    if cert is None or key is None:
        raise InvalidInputError(f"--{prefix}-cert", f"needs --{prefix}-key, and the reverse")
    return TlsFiles.read(cert, key, client_ca, option_prefix=f"--{prefix}")


def _validate(args: argparse.Namespace) -> None:
    for name in ("port", "admin_port", "metrics_port"):
        value = getattr(args, name)
        if not 1 <= value <= 65535:
            raise InvalidInputError("--" + name.replace("_", "-"), "must be a port 1..65535")
    if args.workers is not None and args.workers < 1:
        raise InvalidInputError("--workers", "must be at least 1")
    if args.threads < 1:
        raise InvalidInputError("--threads", "must be at least 1")
    if args.grace < 0:
        raise InvalidInputError("--grace", "must not be negative")
    if args.poll_interval <= 0:
        raise InvalidInputError("--poll-interval", "must be positive")
    if args.inplace_max_terms < 0:
        raise InvalidInputError("--inplace-max-terms", "must be 0 or more")
    if not args.work_budget_ms > 0:
        raise InvalidInputError("--work-budget-ms", "must be positive")
    if args.demo and args.db is not None:
        raise InvalidInputError("--demo", "serves its own store; leave out --db")


def _reexec_with_multiprocess_metrics() -> None:
    """Run this same command again in a fresh interpreter (our metrics exist too early).

    prometheus_client picks multiprocess mode when a metric is created; when
    our metrics were created before ``serve`` could set the directory, the
    only sound fix is a new interpreter that sees the variable from the start
    (the directory is passed on, marked as ours).
    """
    _LOGGER.debug("prometheus_client was imported before serve: re-executing")
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "suggestfilter", *sys.argv[1:]])


def run_serve(args: argparse.Namespace) -> int:
    """``suggestfilter serve``."""
    _validate(args)
    metrics_dir = prepare_multiprocess_dir()
    if not switch_to_multiprocess_mode():
        _reexec_with_multiprocess_metrics()
    try:
        with _store_location(args) as location:
            return _serve(args, location, metrics_dir)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


@contextlib.contextmanager
def _store_location(args: argparse.Namespace) -> Iterator[str]:
    if not args.demo:
        from suggestfilter.store import DEFAULT_LOCATION

        yield args.db or DEFAULT_LOCATION
        return
    from suggestfilter.runtime._demo import seed_demo_store

    directory = tempfile.mkdtemp(prefix="suggestfilter-demo-")
    try:
        location = os.path.join(directory, "demo.db")
        seed_demo_store(location)
        yield location
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _serve(args: argparse.Namespace, location: str, metrics_dir: str) -> int:
    from suggestfilter.runtime._supervisor import ServeSettings, Supervisor, default_worker_count

    host = args.host or os.environ.get(HOST_ENV) or ("127.0.0.1" if args.demo else "[::]")
    tokens: TokenRegistry | None = None
    demo_token: str | None = None
    if not args.no_admin:
        tokens, demo_token = _admin_tokens(args.tokens_file, demo=args.demo)
    settings = ServeSettings(
        store_location=location,
        host=host,
        port=args.port,
        admin_port=None if args.no_admin else args.admin_port,
        metrics_port=None if args.no_metrics else args.metrics_port,
        workers=args.workers or default_worker_count(),
        grace=args.grace,
        poll_interval=args.poll_interval,
        threads=args.threads,
        inplace_max_terms=args.inplace_max_terms,
        limits=Limits(work_budget_ms=args.work_budget_ms),
        tokens=tokens,
        metrics_dir=metrics_dir,
        public_tls=_tls_files(args, "tls"),
        admin_tls=_tls_files(args, "admin-tls"),
    )

    def announce(supervisor: Supervisor) -> None:
        _print_banner(
            supervisor.settings,
            demo=args.demo,
            demo_token=demo_token,
            admin_serving=supervisor.admin_serving,
        )

    return Supervisor(settings, on_ready=announce).run()


def _admin_tokens(tokens_file: str | None, *, demo: bool) -> tuple[TokenRegistry, str | None]:
    """The admin API's tokens (file and environment); the demo adds a fresh editor token."""
    import secrets

    from suggestfilter.admin._auth import TOKENS_ENV, TokenRegistry

    if not demo:
        return TokenRegistry.from_env_or_file(tokens_file), None
    token = "demo-" + secrets.token_urlsafe(12)
    configured = os.environ.get(TOKENS_ENV, "").strip()
    value = ",".join(item for item in (configured, f"demo:editor:{token}") if item)
    environ = {**os.environ, TOKENS_ENV: value}
    return TokenRegistry.from_env_or_file(tokens_file, environ=environ), token


def _client_host(host: str) -> str:
    bare = host.strip("[]")
    if bare in ("", "::", "0.0.0.0"):
        return "localhost"
    return f"[{bare}]" if ":" in bare else bare


def _print_banner(
    settings: object, *, demo: bool, demo_token: str | None, admin_serving: bool
) -> None:
    from suggestfilter.runtime._supervisor import ServeSettings

    assert isinstance(settings, ServeSettings)
    host = _client_host(settings.host)
    public_tls = ", TLS" if settings.public_tls is not None else ""
    admin_tls = "  (TLS)" if settings.admin_tls is not None else ""
    lines = [
        f"suggestfilter: public API   grpc://{host}:{settings.port}"
        f"  ({settings.workers} workers; health, reflection{public_tls})"
    ]
    if admin_serving:
        lines.append(f"suggestfilter: admin API    grpc://{host}:{settings.admin_port}{admin_tls}")
    if settings.metrics_port is not None:
        lines.append(f"suggestfilter: metrics      http://{host}:{settings.metrics_port}/metrics")
    lines.append(f"suggestfilter: store        {_redacted(settings.store_location)}")
    target = f"{host}:{settings.port}"
    if demo:
        from suggestfilter.runtime._demo import example_commands

        lines.append("suggestfilter: demo list served; try in another terminal:")
        program = _how_to_run_me()
        lines.extend("  " + command for command in example_commands(target, program))
        if demo_token is not None and admin_serving:
            from suggestfilter.runtime._demo import example_admin_command

            admin_target = f"{host}:{settings.admin_port}"
            lines.append("suggestfilter: the admin API takes this demo editor token:")
            lines.append(
                f"  SUGGESTFILTER_TOKEN={demo_token} "
                + example_admin_command(admin_target, program)
            )
    else:
        lines.append(
            "suggestfilter: try: "
            f"suggestfilter query --target {target} 'typed text' 'a suggestion' '#a_hashtag'"
        )
    print("\n".join(lines), file=sys.stderr, flush=True)


def _redacted(location: str) -> str:
    """A store location without its password."""
    from urllib.parse import urlsplit, urlunsplit

    if "://" not in location:
        return location
    parts = urlsplit(location)
    if parts.password is None:
        return location
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def _how_to_run_me() -> tuple[str, ...]:
    """How the user's shell can run this suggestfilter: a bare name only when PATH finds it."""
    script = Path(sys.argv[0])
    if script.name == "suggestfilter":
        on_path = shutil.which("suggestfilter")
        if on_path is not None and Path(on_path).resolve() == script.resolve():
            return ("suggestfilter",)
        return (os.path.relpath(script) if not script.is_absolute() else str(script),)
    return (sys.executable, "-m", "suggestfilter")
