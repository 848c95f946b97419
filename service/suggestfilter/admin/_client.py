"""RemoteAdmin: the :class:`~suggestfilter.admin._ops.AdminOps` methods over the admin gRPC API.

The CLI's store commands take either ``--db PATH`` (an ``AdminOps`` on a
local store) or ``--target HOST:PORT`` (a ``RemoteAdmin``); both objects have
the same method names and signatures, so a command does not care which it
has. The token goes in ``authorization: Bearer <token>`` metadata on every
call; the server records the token's name as the actor.

A failed call raises the :mod:`suggestfilter._errors` class the status
stands for (:func:`suggestfilter.rpc._status.error_from_rpc`, the inverse of
the table the server used: ``InvalidInputError`` with the field of the
``google.rpc.BadRequest`` detail), with the server's message, so the CLI
prints one clean line. A server that cannot be reached, or does not answer
in time, is a :class:`StoreUnavailableError` naming the target.

Entries are sent and received in batches of :data:`ENTRY_BATCH` (``add_terms``
streams them; the server stores them all as one draft when the stream ends).

TLS: pass ``tls_ca`` (PEM of the CA that signed the server certificate;
``tls=True`` alone uses the system roots), and for mutual TLS ``tls_cert`` and
``tls_key`` (the client's certificate and key).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import grpc

from suggestfilter._errors import AuthError, StoreUnavailableError, SuggestFilterError
from suggestfilter._model import MatchMode, Policy, SuggestionKind, TermEntry
from suggestfilter.admin import _convert as convert
from suggestfilter.admin._ops import (
    ChangeResult,
    ChangeSet,
    DryRunResult,
    Sample,
    VersionDiff,
)
from suggestfilter.rpc._status import error_from_rpc
from suggestfilter.store import (
    AuditRecord,
    ReportGroup,
    ReportStatus,
    StoreStatus,
    VersionInfo,
)
from suggestfilter.v1 import admin_pb2, admin_pb2_grpc

if TYPE_CHECKING:
    from suggestfilter.engine import Explanation

_LOGGER = logging.getLogger(__name__)

_T = TypeVar("_T")

ENTRY_BATCH = 1000
"""Entries per AddTerms message."""

DEFAULT_TIMEOUT = 120.0
"""Seconds a call may take before it fails with StoreUnavailableError."""

_MAX_MESSAGE_BYTES = 256 * 1024 * 1024


def admin_error(error: grpc.RpcError, target: str) -> SuggestFilterError:
    """The suggestfilter error a failed admin call stands for.

    UNAVAILABLE and DEADLINE_EXCEEDED (the admin API at ``target`` cannot be
    reached, or its store cannot) are a StoreUnavailableError naming the
    target; any other status is the class the status table maps it back to,
    and one no class names (INTERNAL, an unknown method) keeps the target and
    the code in its message.
    """
    code: grpc.StatusCode = error.code()  # type: ignore[attr-defined]
    details: str = error.details() or code.name  # type: ignore[attr-defined]
    if code is grpc.StatusCode.UNAVAILABLE:
        return StoreUnavailableError(f"admin API at {target} unavailable: {details}")
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        return StoreUnavailableError(f"admin API at {target} did not answer in time")
    mapped = error_from_rpc(error)
    if type(mapped) is SuggestFilterError:
        return SuggestFilterError(f"admin API at {target}: {code.name}: {details}")
    return mapped


def _read_pem(path: str | Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise SuggestFilterError(f"cannot read {path}: {error.strerror}") from error


class RemoteAdmin:
    """The AdminOps methods, run by the admin API at ``target`` with ``token``.

    Use as a context manager, or call :meth:`close`, to close the channel.
    """

    def __init__(
        self,
        target: str,
        token: str,
        *,
        tls: bool = False,
        tls_ca: str | Path | None = None,
        tls_cert: str | Path | None = None,
        tls_key: str | Path | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if not token:
            raise AuthError("no admin token")
        if (tls_cert is None) != (tls_key is None):
            raise SuggestFilterError("mutual TLS needs both --tls-cert and --tls-key")
        self.target = target
        self._metadata = (("authorization", f"Bearer {token}"),)
        self._timeout = timeout
        options = [
            ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
        ]
        if tls or tls_ca is not None or tls_cert is not None:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read_pem(tls_ca),
                private_key=_read_pem(tls_key),
                certificate_chain=_read_pem(tls_cert),
            )
            self._channel = grpc.secure_channel(target, credentials, options=options)
        else:
            self._channel = grpc.insecure_channel(target, options=options)
        self._stub = admin_pb2_grpc.TermAdminServiceStub(self._channel)  # type: ignore[no-untyped-call]

    def close(self) -> None:
        """Close the channel."""
        self._channel.close()

    def __enter__(self) -> RemoteAdmin:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, method: Callable[..., _T], request: Any) -> _T:
        try:
            return method(request, metadata=self._metadata, timeout=self._timeout)
        except grpc.RpcError as error:
            raise admin_error(error, self.target) from None

    # --- reading ------------------------------------------------------------------------

    def status(self) -> StoreStatus:
        """The published version and the open draft."""
        response = self._call(self._stub.GetStatus, admin_pb2.GetStatusRequest())
        return convert.status_from_proto(response)

    def versions(self) -> list[VersionInfo]:
        """Every version, newest first."""
        response = self._call(self._stub.ListVersions, admin_pb2.ListVersionsRequest())
        return [convert.version_info_from_proto(v) for v in response.versions]

    def version(self, number: int) -> VersionInfo:
        """One version's description (NotFoundError when unknown)."""
        response = self._call(self._stub.GetVersion, admin_pb2.GetVersionRequest(number=number))
        return convert.version_info_from_proto(response.version)

    def entries(
        self, version: int | None = None, *, category: str | None = None
    ) -> list[TermEntry]:
        """A version's entries in canonical order (None: the working version)."""
        request = admin_pb2.ListEntriesRequest()
        if version is not None:
            request.version = version
        if category is not None:
            request.category = category
        try:
            batches = self._stub.ListEntries(
                request, metadata=self._metadata, timeout=self._timeout
            )
            return [
                convert.entry_from_proto(message, "entries")
                for batch in batches
                for message in batch.entries
            ]
        except grpc.RpcError as error:
            raise admin_error(error, self.target) from None

    def policy(self, version: int | None = None) -> Policy:
        """A version's policy (None: the working version; empty when none)."""
        request = admin_pb2.GetPolicyRequest()
        if version is not None:
            request.version = version
        response = self._call(self._stub.GetPolicy, request)
        return convert.policy_from_proto(response.policy, "policy")

    def audit(self, *, limit: int = 100, before_id: int | None = None) -> list[AuditRecord]:
        """Audit records, newest first; ``before_id`` pages back."""
        request = admin_pb2.ListAuditRecordsRequest(limit=limit)
        if before_id is not None:
            request.before_id = before_id
        response = self._call(self._stub.ListAuditRecords, request)
        return [convert.audit_record_from_proto(r) for r in response.records]

    # --- changing the draft ---------------------------------------------------------------

    def apply_changes(self, changes: ChangeSet, *, reason: str) -> ChangeResult:
        """Apply a change set as a new draft version (see AdminOps.apply_changes)."""
        request = convert.change_set_to_proto(changes, reason=reason)
        response = self._call(self._stub.ApplyChanges, request)
        return convert.change_result_from_proto(response.result)

    def add_terms(self, entries: Sequence[TermEntry], *, reason: str) -> ChangeResult:
        """Add entries to the open draft, streamed in batches, stored as one draft."""

        def batches() -> Iterator[admin_pb2.AddTermsRequest]:
            for start in range(0, max(len(entries), 1), ENTRY_BATCH):
                yield admin_pb2.AddTermsRequest(
                    entries=[
                        convert.entry_to_proto(e) for e in entries[start : start + ENTRY_BATCH]
                    ],
                    reason=reason if start == 0 else "",
                )

        response = self._call(self._stub.AddTerms, batches())
        return convert.change_result_from_proto(response.result)

    def remove_terms(self, names: Sequence[str], *, reason: str) -> ChangeResult:
        """Remove entries by rule id or exact term."""
        request = admin_pb2.RemoveTermsRequest(names=list(names), reason=reason)
        response = self._call(self._stub.RemoveTerms, request)
        return convert.change_result_from_proto(response.result)

    def import_policy(self, policy: Policy, *, reason: str) -> ChangeResult:
        """Replace the whole policy in the open draft."""
        request = admin_pb2.ImportPolicyRequest(
            policy=convert.policy_to_proto(policy), reason=reason
        )
        response = self._call(self._stub.ImportPolicy, request)
        return convert.change_result_from_proto(response.result)

    def discard_draft(self, *, reason: str) -> VersionInfo:
        """Close the open draft without publishing it (ConflictError when none)."""
        response = self._call(self._stub.DiscardDraft, admin_pb2.DiscardDraftRequest(reason=reason))
        return convert.version_info_from_proto(response.version)

    # --- previewing -----------------------------------------------------------------------

    def diff(self, from_version: int | None = None, to_version: int | None = None) -> VersionDiff:
        """Compare two versions (defaults as AdminOps.diff)."""
        request = admin_pb2.DiffVersionsRequest()
        if from_version is not None:
            request.from_version = from_version
        if to_version is not None:
            request.to_version = to_version
        return convert.diff_from_proto(self._call(self._stub.DiffVersions, request))

    def dry_run(
        self,
        samples: Sequence[Sample],
        *,
        version: int | None = None,
        against: int | None = None,
    ) -> DryRunResult:
        """Which samples ``version`` would newly block or unblock (see AdminOps.dry_run)."""
        request = admin_pb2.DryRunRequest(samples=[convert.sample_to_proto(s) for s in samples])
        if version is not None:
            request.version = version
        if against is not None:
            request.against = against
        return convert.dry_run_from_proto(self._call(self._stub.DryRun, request))

    def explain_with_terms(
        self,
        text: str,
        kind: SuggestionKind = SuggestionKind.UNSPECIFIED,
        locale: str = "",
        *,
        version: int | None = None,
    ) -> tuple[Explanation, dict[str, str]]:
        """The explanation of ``text`` and the term of each matching rule id."""
        request = admin_pb2.ExplainRequest(
            text=text,
            kind=int(kind),  # type: ignore[arg-type]
            locale=locale,
        )
        if version is not None:
            request.version = version
        response = self._call(self._stub.Explain, request)
        return convert.explanation_from_proto(response), convert.explained_terms(response)

    def explain(
        self,
        text: str,
        kind: SuggestionKind = SuggestionKind.UNSPECIFIED,
        locale: str = "",
        *,
        version: int | None = None,
    ) -> Explanation:
        """The folded form of ``text`` and each match in a version (None: the working one)."""
        return self.explain_with_terms(text, kind, locale, version=version)[0]

    # --- publishing -------------------------------------------------------------------------

    def publish(self, *, reason: str = "", expected_draft: int | None = None) -> VersionInfo:
        """Publish the open draft atomically (ConflictError as AdminOps.publish)."""
        request = admin_pb2.PublishRequest(reason=reason)
        if expected_draft is not None:
            request.expected_draft = expected_draft
        response = self._call(self._stub.Publish, request)
        return convert.version_info_from_proto(response.version)

    def rollback(self, version: int, *, reason: str) -> VersionInfo:
        """Publish an earlier version again."""
        response = self._call(
            self._stub.Rollback, admin_pb2.RollbackRequest(version=version, reason=reason)
        )
        return convert.version_info_from_proto(response.version)

    # --- reports ----------------------------------------------------------------------------

    def report_groups(
        self, *, status: ReportStatus | None = ReportStatus.OPEN, limit: int = 100
    ) -> list[ReportGroup]:
        """Report groups by folded text, most reported first (None: every status)."""
        request = admin_pb2.ListReportGroupsRequest(
            status=convert.report_status_to_proto(status), limit=limit
        )
        response = self._call(self._stub.ListReportGroups, request)
        return [convert.report_group_from_proto(g) for g in response.groups]

    def resolve_report(
        self,
        group_id: str,
        decision: ReportStatus,
        *,
        reason: str,
        category: str | None = None,
        term: str | None = None,
        match: MatchMode = MatchMode.WORD,
        locale: str = "",
    ) -> VersionInfo | None:
        """Promote a report group to a term in the draft, or dismiss it (see AdminOps)."""
        request = admin_pb2.ResolveReportRequest(
            group_id=group_id,
            decision=convert.report_status_to_proto(decision),
            reason=reason,
            match=convert.match_mode_to_proto(match),
            locale=locale,
        )
        if category is not None:
            request.category = category
        if term is not None:
            request.term = term
        response = self._call(self._stub.ResolveReport, request)
        if not response.HasField("version"):
            return None
        return convert.version_info_from_proto(response.version)
