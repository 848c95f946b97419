"""The admin gRPC servicer: ``suggestfilter.v1.TermAdminService`` over :class:`AdminOps`.

Each call has already been authenticated by
:class:`~suggestfilter.admin._auth.AuthInterceptor` (see `REQUIRED_ROLES`); the
servicer converts the request (validating it, so bad input is
INVALID_ARGUMENT with a ``google.rpc.BadRequest`` naming the field), runs
the matching :class:`AdminOps` method with the caller's token name as the
audit actor, and converts the result. Errors become statuses through
:mod:`suggestfilter.rpc._status`, the one place where that happens.

One store connection serves the whole port, so calls into the store run one
at a time (admin traffic is a few calls a minute; a store object is used by
one thread at a time).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import grpc

from suggestfilter._errors import InvalidInputError, StoreUnavailableError
from suggestfilter._model import MatchMode, Policy, SuggestionKind, TermEntry
from suggestfilter.admin import _convert as convert
from suggestfilter.admin._auth import Role, current_principal
from suggestfilter.admin._ops import AdminOps, Sample
from suggestfilter.rpc._status import abort_with_error
from suggestfilter.store import ReportStatus, Store
from suggestfilter.v1 import admin_pb2, admin_pb2_grpc

_LOGGER = logging.getLogger(__name__)

_T = TypeVar("_T")

SERVICE_NAME = admin_pb2.DESCRIPTOR.services_by_name["TermAdminService"].full_name
"""``suggestfilter.v1.TermAdminService``."""

VIEWER_METHODS = frozenset(
    {
        "GetStatus",
        "ListVersions",
        "GetVersion",
        "ListEntries",
        "GetPolicy",
        "ListAuditRecords",
        "DiffVersions",
        "DryRun",
        "Explain",
        "ListReportGroups",
    }
)
"""The read methods a viewer token may call; every other method needs an editor token."""

REQUIRED_ROLES: dict[str, Role] = {
    f"/{SERVICE_NAME}/{method.name}": (
        Role.VIEWER if method.name in VIEWER_METHODS else Role.EDITOR
    )
    for method in admin_pb2.DESCRIPTOR.services_by_name["TermAdminService"].methods
}
"""The role each full method name needs, for the auth interceptor."""

ENTRY_BATCH = 1000
"""Entries per ListEntries response message."""

MAX_LIST_LIMIT = 10000
"""The largest ``limit`` accepted by the list methods."""

DEFAULT_LIST_LIMIT = 100


class TermAdminServicer(admin_pb2_grpc.TermAdminServiceServicer):
    """Serves TermAdminService from one store; the actor of each call is its token's name."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._closed = False

    def close(self) -> None:
        """Close the store once no call uses it; later calls fail with StoreUnavailableError."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._store.close()

    def _run(
        self, context: grpc.ServicerContext, method: str, action: Callable[[AdminOps], _T]
    ) -> _T:
        """Run ``action`` on an AdminOps acting as the caller; errors abort the call."""
        try:
            ops = AdminOps(self._store, actor=current_principal().name)
            with self._lock:
                if self._closed:
                    raise StoreUnavailableError("the admin server is shutting down")
                return action(ops)
        except Exception as error:  # every failure becomes one status, in _status
            abort_with_error(context, error, method)

    def _convert(self, context: grpc.ServicerContext, method: str, build: Callable[[], _T]) -> _T:
        """Validate a request by converting it; InvalidInputError aborts the call."""
        try:
            return build()
        except InvalidInputError as error:
            abort_with_error(context, error, method)

    # --- reading ------------------------------------------------------------------------

    def GetStatus(
        self, request: admin_pb2.GetStatusRequest, context: grpc.ServicerContext
    ) -> admin_pb2.GetStatusResponse:
        return convert.status_to_proto(self._run(context, "GetStatus", lambda ops: ops.status()))

    def ListVersions(
        self, request: admin_pb2.ListVersionsRequest, context: grpc.ServicerContext
    ) -> admin_pb2.ListVersionsResponse:
        versions = self._run(context, "ListVersions", lambda ops: ops.versions())
        return admin_pb2.ListVersionsResponse(
            versions=[convert.version_info_to_proto(v) for v in versions]
        )

    def GetVersion(
        self, request: admin_pb2.GetVersionRequest, context: grpc.ServicerContext
    ) -> admin_pb2.GetVersionResponse:
        number = self._convert(
            context, "GetVersion", lambda: convert.version_number(request.number, "number")
        )
        info = self._run(context, "GetVersion", lambda ops: ops.version(number))
        return admin_pb2.GetVersionResponse(version=convert.version_info_to_proto(info))

    def ListEntries(
        self, request: admin_pb2.ListEntriesRequest, context: grpc.ServicerContext
    ) -> Iterator[admin_pb2.ListEntriesResponse]:
        version = self._convert(
            context, "ListEntries", lambda: convert.optional_version(request, "version")
        )
        category = request.category if request.HasField("category") else None
        entries = self._run(
            context, "ListEntries", lambda ops: ops.entries(version, category=category)
        )
        for start in range(0, len(entries), ENTRY_BATCH):
            batch = entries[start : start + ENTRY_BATCH]
            yield admin_pb2.ListEntriesResponse(entries=[convert.entry_to_proto(e) for e in batch])

    def GetPolicy(
        self, request: admin_pb2.GetPolicyRequest, context: grpc.ServicerContext
    ) -> admin_pb2.GetPolicyResponse:
        version = self._convert(
            context, "GetPolicy", lambda: convert.optional_version(request, "version")
        )
        policy = self._run(context, "GetPolicy", lambda ops: ops.policy(version))
        return admin_pb2.GetPolicyResponse(policy=convert.policy_to_proto(policy))

    def ListAuditRecords(
        self, request: admin_pb2.ListAuditRecordsRequest, context: grpc.ServicerContext
    ) -> admin_pb2.ListAuditRecordsResponse:
        limit = self._convert(context, "ListAuditRecords", lambda: _limit(request.limit))
        before = int(request.before_id) if request.HasField("before_id") else None
        records = self._run(
            context, "ListAuditRecords", lambda ops: ops.audit(limit=limit, before_id=before)
        )
        return admin_pb2.ListAuditRecordsResponse(
            records=[convert.audit_record_to_proto(r) for r in records]
        )

    # --- changing the draft ---------------------------------------------------------------

    def ApplyChanges(
        self, request: admin_pb2.ApplyChangesRequest, context: grpc.ServicerContext
    ) -> admin_pb2.ApplyChangesResponse:
        changes = self._convert(
            context, "ApplyChanges", lambda: convert.change_set_from_proto(request)
        )
        reason = self._convert(
            context, "ApplyChanges", lambda: convert.text_field(request.reason, "reason")
        )
        result = self._run(
            context, "ApplyChanges", lambda ops: ops.apply_changes(changes, reason=reason)
        )
        return admin_pb2.ApplyChangesResponse(result=convert.change_result_to_proto(result))

    def AddTerms(
        self, request_iterator: Iterator[admin_pb2.AddTermsRequest], context: grpc.ServicerContext
    ) -> admin_pb2.AddTermsResponse:
        entries, reason = self._convert(
            context, "AddTerms", lambda: _collect_added_terms(request_iterator)
        )
        result = self._run(context, "AddTerms", lambda ops: ops.add_terms(entries, reason=reason))
        return admin_pb2.AddTermsResponse(result=convert.change_result_to_proto(result))

    def RemoveTerms(
        self, request: admin_pb2.RemoveTermsRequest, context: grpc.ServicerContext
    ) -> admin_pb2.RemoveTermsResponse:
        def build() -> tuple[list[str], str]:
            if not request.names:
                raise InvalidInputError("names", "name at least one rule id or term")
            names = [
                convert.text_field(n, f"names[{i}]", required=True)
                for i, n in enumerate(request.names)
            ]
            return names, convert.text_field(request.reason, "reason")

        names, reason = self._convert(context, "RemoveTerms", build)
        result = self._run(
            context, "RemoveTerms", lambda ops: ops.remove_terms(names, reason=reason)
        )
        return admin_pb2.RemoveTermsResponse(result=convert.change_result_to_proto(result))

    def ImportPolicy(
        self, request: admin_pb2.ImportPolicyRequest, context: grpc.ServicerContext
    ) -> admin_pb2.ImportPolicyResponse:
        def build() -> tuple[Policy, str]:
            policy = convert.policy_from_proto(request.policy, "policy")
            return policy, convert.text_field(request.reason, "reason")

        policy, reason = self._convert(context, "ImportPolicy", build)
        result = self._run(
            context, "ImportPolicy", lambda ops: ops.import_policy(policy, reason=reason)
        )
        return admin_pb2.ImportPolicyResponse(result=convert.change_result_to_proto(result))

    def DiscardDraft(
        self, request: admin_pb2.DiscardDraftRequest, context: grpc.ServicerContext
    ) -> admin_pb2.DiscardDraftResponse:
        reason = self._convert(
            context, "DiscardDraft", lambda: convert.text_field(request.reason, "reason")
        )
        info = self._run(context, "DiscardDraft", lambda ops: ops.discard_draft(reason=reason))
        return admin_pb2.DiscardDraftResponse(version=convert.version_info_to_proto(info))

    # --- previewing -----------------------------------------------------------------------

    def DiffVersions(
        self, request: admin_pb2.DiffVersionsRequest, context: grpc.ServicerContext
    ) -> admin_pb2.DiffVersionsResponse:
        def build() -> tuple[int | None, int | None]:
            return (
                convert.optional_version(request, "from_version"),
                convert.optional_version(request, "to_version"),
            )

        from_version, to_version = self._convert(context, "DiffVersions", build)
        diff = self._run(context, "DiffVersions", lambda ops: ops.diff(from_version, to_version))
        return convert.diff_to_proto(diff)

    def DryRun(
        self, request: admin_pb2.DryRunRequest, context: grpc.ServicerContext
    ) -> admin_pb2.DryRunResponse:
        def build() -> tuple[list[Sample], int | None, int | None]:
            samples = [
                convert.sample_from_proto(s, f"samples[{i}]") for i, s in enumerate(request.samples)
            ]
            return (
                samples,
                convert.optional_version(request, "version"),
                convert.optional_version(request, "against"),
            )

        samples, version, against = self._convert(context, "DryRun", build)
        result = self._run(
            context,
            "DryRun",
            lambda ops: ops.dry_run(samples, version=version, against=against),
        )
        return convert.dry_run_to_proto(result)

    def Explain(
        self, request: admin_pb2.ExplainRequest, context: grpc.ServicerContext
    ) -> admin_pb2.ExplainResponse:
        def build() -> tuple[str, SuggestionKind, str, int | None]:
            return (
                convert.text_field(request.text, "text"),
                convert.suggestion_kind_from_proto(int(request.kind), "kind"),
                convert.text_field(request.locale, "locale"),
                convert.optional_version(request, "version"),
            )

        text, kind, locale, version = self._convert(context, "Explain", build)

        def explain(ops: AdminOps) -> admin_pb2.ExplainResponse:
            explanation = ops.explain(text, kind, locale, version=version)
            terms: dict[str, str] = {}
            if explanation.matches:
                wanted = {m.rule_id for m in explanation.matches}
                terms = {e.rule_id: e.term for e in ops.entries(version) if e.rule_id in wanted}
            return convert.explanation_to_proto(explanation, terms)

        return self._run(context, "Explain", explain)

    # --- publishing -------------------------------------------------------------------------

    def Publish(
        self, request: admin_pb2.PublishRequest, context: grpc.ServicerContext
    ) -> admin_pb2.PublishResponse:
        def build() -> tuple[str, int | None]:
            return (
                convert.text_field(request.reason, "reason"),
                convert.optional_version(request, "expected_draft"),
            )

        reason, expected = self._convert(context, "Publish", build)
        info = self._run(
            context, "Publish", lambda ops: ops.publish(reason=reason, expected_draft=expected)
        )
        return admin_pb2.PublishResponse(version=convert.version_info_to_proto(info))

    def Rollback(
        self, request: admin_pb2.RollbackRequest, context: grpc.ServicerContext
    ) -> admin_pb2.RollbackResponse:
        def build() -> tuple[int, str]:
            return (
                convert.version_number(request.version, "version"),
                convert.text_field(request.reason, "reason"),
            )

        version, reason = self._convert(context, "Rollback", build)
        info = self._run(context, "Rollback", lambda ops: ops.rollback(version, reason=reason))
        return admin_pb2.RollbackResponse(version=convert.version_info_to_proto(info))

    # --- reports ------------------------------------------------------------------------------

    def ListReportGroups(
        self, request: admin_pb2.ListReportGroupsRequest, context: grpc.ServicerContext
    ) -> admin_pb2.ListReportGroupsResponse:
        def build() -> tuple[ReportStatus | None, int]:
            return (
                convert.report_status_from_proto(int(request.status), "status"),
                _limit(request.limit),
            )

        status, limit = self._convert(context, "ListReportGroups", build)
        groups = self._run(
            context, "ListReportGroups", lambda ops: ops.report_groups(status=status, limit=limit)
        )
        return admin_pb2.ListReportGroupsResponse(
            groups=[convert.report_group_to_proto(g) for g in groups]
        )

    def ResolveReport(
        self, request: admin_pb2.ResolveReportRequest, context: grpc.ServicerContext
    ) -> admin_pb2.ResolveReportResponse:
        def build() -> _Resolution:
            decision = convert.report_status_from_proto(int(request.decision), "decision")
            if decision not in (ReportStatus.PROMOTED, ReportStatus.DISMISSED):
                raise InvalidInputError(
                    "decision", "must be REPORT_STATUS_PROMOTED or REPORT_STATUS_DISMISSED"
                )
            category = request.category if request.HasField("category") else None
            if decision is ReportStatus.PROMOTED and not (category or "").strip():
                raise InvalidInputError("category", "required to promote a report")
            return _Resolution(
                group_id=convert.text_field(request.group_id, "group_id", required=True),
                decision=decision,
                reason=convert.text_field(request.reason, "reason"),
                category=category,
                term=(
                    convert.text_field(request.term, "term", required=True)
                    if request.HasField("term")
                    else None
                ),
                match=convert.match_mode_from_proto(int(request.match), "match"),
                locale=convert.text_field(request.locale, "locale"),
            )

        resolution = self._convert(context, "ResolveReport", build)
        info = self._run(
            context,
            "ResolveReport",
            lambda ops: ops.resolve_report(
                resolution.group_id,
                resolution.decision,
                reason=resolution.reason,
                category=resolution.category,
                term=resolution.term,
                match=resolution.match,
                locale=resolution.locale,
            ),
        )
        response = admin_pb2.ResolveReportResponse()
        if info is not None:
            response.version.CopyFrom(convert.version_info_to_proto(info))
        return response


@dataclass(frozen=True, slots=True)
class _Resolution:
    """A validated ResolveReport request."""

    group_id: str
    decision: ReportStatus
    reason: str
    category: str | None
    term: str | None
    match: MatchMode
    locale: str


def _limit(value: int) -> int:
    if value == 0:
        return DEFAULT_LIST_LIMIT
    if value > MAX_LIST_LIMIT:
        raise InvalidInputError("limit", f"at most {MAX_LIST_LIMIT}")
    return value


MAX_ADDED_TERMS = 5_000_000
"""The most entries one AddTerms stream may carry."""


def _collect_added_terms(
    requests: Iterable[admin_pb2.AddTermsRequest],
) -> tuple[list[TermEntry], str]:
    """Every entry of an AddTerms stream (validated, numbered across the stream) and its reason."""
    entries: list[TermEntry] = []
    reason = ""
    for request in requests:
        if not reason and request.reason:
            reason = convert.text_field(request.reason, "reason")
        for message in request.entries:
            field = f"entries[{len(entries)}]"
            if len(entries) >= MAX_ADDED_TERMS:
                raise InvalidInputError(field, f"more than {MAX_ADDED_TERMS} entries")
            entries.append(convert.entry_from_proto(message, field))
    if not entries:
        raise InvalidInputError("entries", "send at least one entry")
    return entries, reason
