"""Bearer-token authentication and role checks for the admin gRPC port.

Every admin call carries ``authorization: Bearer <token>`` metadata. A token
belongs to a named principal with one role:

- ``viewer`` may call the read methods (list, read, diff, dry-run, explain,
  versions, audit, reports, export);
- ``editor`` may also change the draft, import, publish, roll back and resolve
  reports.

Tokens are configured from a file (``--tokens-file PATH``) or the
``SUGGESTFILTER_ADMIN_TOKENS`` environment variable and kept in memory only as
SHA-256 digests; a presented token is hashed and compared with
``hmac.compare_digest`` against every known digest.

Token file, one principal per line (``#`` starts a comment)::

    # name   role    sha256 of the token (hex)
    alice    editor  9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    dash     viewer  60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752

(``printf %s "$TOKEN" | sha256sum`` gives the digest.) Environment variable,
comma-separated, the token itself in clear (it is hashed on load)::

    SUGGESTFILTER_ADMIN_TOKENS="alice:editor:TOKEN1,dash:viewer:TOKEN2"

``role:TOKEN`` without a name is accepted too; the name is then the role.

`AuthInterceptor` checks the token and the role before anything else runs:
no token or an unknown one is an `AuthError` (UNAUTHENTICATED), a role that
is too low a `PermissionDeniedError` (PERMISSION_DENIED), each turned into
its status by :mod:`suggestfilter.rpc._status`, and the request is not even
deserialized. Health and
reflection need no token, so probes and ``grpcurl list`` work. The
authenticated `Principal` is available to the servicer through
`current_principal()` while the call runs.
"""

from __future__ import annotations

import contextvars
import enum
import hashlib
import hmac
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from suggestfilter._errors import AuthError, PermissionDeniedError, SuggestFilterError
from suggestfilter.rpc._status import status_for_error

_LOGGER = logging.getLogger(__name__)

TOKENS_ENV = "SUGGESTFILTER_ADMIN_TOKENS"
"""The environment variable holding ``name:role:token`` items, comma-separated."""

OPEN_METHOD_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)
"""Methods served without a token: health checks and server reflection."""

_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_HEX_DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")


class Role(enum.StrEnum):
    """What a token may do. ``EDITOR`` may do everything ``VIEWER`` may."""

    VIEWER = "viewer"
    EDITOR = "editor"

    def allows(self, required: Role) -> bool:
        """Whether a principal with this role may call a method that needs ``required``."""
        return _RANK[self] >= _RANK[required]


_RANK = {Role.VIEWER: 1, Role.EDITOR: 2}


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: its configured name and role.

    ``name`` is what the audit log records as the actor.
    """

    name: str
    role: Role


def hash_token(token: str) -> bytes:
    """The SHA-256 digest of a token, the only form in which tokens are kept."""
    return hashlib.sha256(token.encode("utf-8")).digest()


class TokenRegistry:
    """The known tokens, as SHA-256 digests, each with its principal.

    An empty registry authenticates nobody: the admin port then refuses every
    call except health and reflection.
    """

    def __init__(self, digests: Iterable[tuple[bytes, Principal]] = ()) -> None:
        self._entries: tuple[tuple[bytes, Principal], ...] = tuple(digests)
        for digest, principal in self._entries:
            if len(digest) != hashlib.sha256().digest_size:
                raise ValueError(f"token of {principal.name}: not a SHA-256 digest")

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        names = ", ".join(f"{p.name}:{p.role}" for _, p in self._entries)
        return f"TokenRegistry({names})"

    @classmethod
    def from_tokens(cls, tokens: Iterable[tuple[str, Role, str]]) -> TokenRegistry:
        """A registry from ``(name, role, clear token)`` triples; the tokens are hashed here."""
        return cls((hash_token(token), Principal(name, Role(role))) for name, role, token in tokens)

    @classmethod
    def parse_env(cls, value: str) -> TokenRegistry:
        """Parse ``name:role:token`` (or ``role:token``) items separated by commas.

        Raises AuthError naming the item's position (never the token) when one
        is malformed.
        """
        entries: list[tuple[bytes, Principal]] = []
        for position, raw in enumerate(value.split(","), start=1):
            item = raw.strip()
            if not item:
                continue
            first, _, rest = item.partition(":")
            if first in _ROLE_WORDS:
                name, role_word, token = first, first, rest
            else:
                name = first
                role_word, _, token = rest.partition(":")
            if not _NAME.match(name) or role_word not in _ROLE_WORDS or not token:
                raise AuthError(
                    f"{TOKENS_ENV} item {position}: expected name:role:token"
                    " with role viewer or editor"
                )
            entries.append((hash_token(token), Principal(name, Role(role_word))))
        return cls(entries)

    @classmethod
    def parse_file_text(cls, text: str, *, source: str = "tokens file") -> TokenRegistry:
        """Parse the token file format: ``NAME ROLE SHA256HEX`` per line, ``#`` comments.

        Raises AuthError naming the line when one is malformed.
        """
        entries: list[tuple[bytes, Principal]] = []
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            if (
                len(fields) != 3
                or not _NAME.match(fields[0])
                or fields[1] not in _ROLE_WORDS
                or not _HEX_DIGEST.match(fields[2])
            ):
                raise AuthError(
                    f"{source}:{number}: expected NAME ROLE SHA256HEX with role viewer or editor"
                )
            entries.append((bytes.fromhex(fields[2]), Principal(fields[0], Role(fields[1]))))
        return cls(entries)

    @classmethod
    def from_env_or_file(
        cls,
        path: str | Path | None = None,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> TokenRegistry:
        """The tokens of the file at ``path`` plus those of ``SUGGESTFILTER_ADMIN_TOKENS``.

        Either source may be absent; with neither the registry is empty (and
        the admin port refuses every authenticated call). Raises AuthError
        when a source is malformed or the file cannot be read.
        """
        env = os.environ if environ is None else environ
        entries: list[tuple[bytes, Principal]] = []
        if path is not None:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError as error:
                raise AuthError(f"cannot read tokens file {path}: {error.strerror}") from error
            entries.extend(cls.parse_file_text(text, source=str(path))._entries)
        value = env.get(TOKENS_ENV, "")
        if value.strip():
            entries.extend(cls.parse_env(value)._entries)
        registry = cls(entries)
        if not registry:
            _LOGGER.warning(
                "no admin tokens configured (--tokens-file or %s): every admin call is refused",
                TOKENS_ENV,
            )
        return registry

    def authenticate(self, token: str) -> Principal:
        """The principal of ``token``; AuthError when it is unknown.

        Compares the token's digest with every known digest in constant time,
        so neither the match position nor a near miss shows in the timing.
        """
        digest = hash_token(token)
        found: Principal | None = None
        for known, principal in self._entries:
            if hmac.compare_digest(known, digest) and found is None:
                found = principal
        if found is None:
            raise AuthError("unknown token")
        return found


_ROLE_WORDS = frozenset(role.value for role in Role)

_current_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "suggestfilter_admin_principal", default=None
)


def current_principal() -> Principal:
    """The principal of the admin call running in this thread.

    Raises AuthError outside a call that `AuthInterceptor` authenticated.
    """
    principal = _current_principal.get()
    if principal is None:
        raise AuthError("no authenticated caller")
    return principal


def bearer_token(metadata: Iterable[tuple[str, str | bytes]] | None) -> str | None:
    """The token of the ``authorization: Bearer <token>`` metadata, or None."""
    for key, value in metadata or ():
        if key.lower() != "authorization":
            continue
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        scheme, _, token = text.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        return None
    return None


class AuthInterceptor(grpc.ServerInterceptor):  # type: ignore[type-arg]
    """Authenticates and authorizes every call before it reaches a servicer.

    ``required_roles`` maps full method names (``/pkg.Service/Method``) to the
    role they need; a method missing from it needs ``Role.EDITOR``. Methods
    under `OPEN_METHOD_PREFIXES` pass without a token.
    """

    def __init__(self, registry: TokenRegistry, required_roles: Mapping[str, Role]) -> None:
        self._registry = registry
        self._required_roles = dict(required_roles)

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        method: str = handler_call_details.method
        if method.startswith(OPEN_METHOD_PREFIXES):
            return continuation(handler_call_details)
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        token = bearer_token(handler_call_details.invocation_metadata)
        if token is None:
            _LOGGER.info("admin call %s refused: no bearer token", method)
            return _refusal(handler, AuthError("missing bearer token"))
        try:
            principal = self._registry.authenticate(token)
        except AuthError as unknown:
            _LOGGER.info("admin call %s refused: unknown token", method)
            return _refusal(handler, unknown)
        required = self._required_roles.get(method, Role.EDITOR)
        if not principal.role.allows(required):
            _LOGGER.info(
                "admin call %s refused: %s is a %s", method, principal.name, principal.role
            )
            denied = PermissionDeniedError(f"{method.rsplit('/', 1)[-1]} needs the {required} role")
            return _refusal(handler, denied)
        return _with_principal(handler, principal)


def _with_principal(
    handler: grpc.RpcMethodHandler[Any, Any], principal: Principal
) -> grpc.RpcMethodHandler[Any, Any]:
    """``handler`` with its behaviour running while `current_principal()` is ``principal``."""

    def bind(behavior: Callable[..., Any]) -> Callable[..., Any]:
        def run(request: Any, context: grpc.ServicerContext) -> Any:
            reset = _current_principal.set(principal)
            try:
                return behavior(request, context)
            finally:
                _current_principal.reset(reset)

        return run

    def bind_streaming(behavior: Callable[..., Any]) -> Callable[..., Any]:
        def run(request: Any, context: grpc.ServicerContext) -> Any:
            # A generator may be closed from another thread (cancellation), where
            # ContextVar.reset would fail; clearing the value is always allowed.
            _current_principal.set(principal)
            try:
                yield from behavior(request, context)
            finally:
                _current_principal.set(None)

        return run

    return _rebuild(handler, bind, bind_streaming)


def _refusal(
    handler: grpc.RpcMethodHandler[Any, Any], error: SuggestFilterError
) -> grpc.RpcMethodHandler[Any, Any]:
    """A handler of the same shape as ``handler`` that aborts with the status of ``error``."""
    status = status_for_error(error)

    def refuse(_request: Any, context: grpc.ServicerContext) -> Any:
        context.abort_with_status(status)

    def wrap(_behavior: Callable[..., Any]) -> Callable[..., Any]:
        return refuse

    return _rebuild(handler, wrap, wrap, deserialize=False)


def _rebuild(
    handler: grpc.RpcMethodHandler[Any, Any],
    unary_response: Callable[[Callable[..., Any]], Callable[..., Any]],
    streaming_response: Callable[[Callable[..., Any]], Callable[..., Any]],
    *,
    deserialize: bool = True,
) -> grpc.RpcMethodHandler[Any, Any]:
    """A handler like ``handler`` whose behaviour is wrapped by the matching wrapper.

    With ``deserialize=False`` the request stays raw bytes (a refusal never parses it).
    """
    deserializer = handler.request_deserializer if deserialize else None
    serializer = handler.response_serializer
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(
            unary_response(handler.unary_unary), deserializer, serializer
        )
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            streaming_response(handler.unary_stream), deserializer, serializer
        )
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(
            unary_response(handler.stream_unary), deserializer, serializer
        )
    assert handler.stream_stream is not None
    return grpc.stream_stream_rpc_method_handler(
        streaming_response(handler.stream_stream), deserializer, serializer
    )
