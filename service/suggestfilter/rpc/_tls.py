"""TLS of a server port: the PEM files and the gRPC server credentials built from them.

Most users can ignore this module. ``suggestfilter serve`` reads the files
once, in the supervisor, with :meth:`TlsFiles.read`; the child that serves
the port (a public worker or the admin child) builds its credentials with
:meth:`TlsFiles.server_credentials`, so the supervisor creates no gRPC
object.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc

from suggestfilter._errors import SuggestFilterError


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """The PEM contents of one TLS port.

    With ``client_ca`` the port requires a client certificate signed by it
    (mutual TLS); without, any client that trusts ``cert`` connects.
    """

    cert: bytes
    key: bytes
    client_ca: bytes | None = None

    @classmethod
    def read(
        cls,
        cert: str | Path,
        key: str | Path,
        client_ca: str | Path | None = None,
        *,
        option_prefix: str = "--tls",
    ) -> TlsFiles:
        """Read the PEM files; SuggestFilterError names the option of an unreadable file.

        ``option_prefix`` is the command-line option the files come from
        (``--admin-tls`` names ``--admin-tls-key`` when the key is unreadable).
        """
        return cls(
            cert=_read_pem(cert, f"{option_prefix}-cert"),
            key=_read_pem(key, f"{option_prefix}-key"),
            client_ca=None
            if client_ca is None
            else _read_pem(client_ca, f"{option_prefix}-client-ca"),
        )

    def server_credentials(self) -> grpc.ServerCredentials:
        """The gRPC server credentials of these files (mutual TLS with ``client_ca``)."""
        return grpc.ssl_server_credentials(
            [(self.key, self.cert)],
            root_certificates=self.client_ca,
            require_client_auth=self.client_ca is not None,
        )


def _read_pem(path: str | Path, option: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise SuggestFilterError(f"{option} {path}: {error.strerror}") from error
