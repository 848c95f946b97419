"""The public ``suggestfilter.v1.SuggestionFilterService``: Filter, FilterSession, Report.

Each keystroke is validated against the :class:`Limits`, decided by the
matcher of the list being served (read once per request from
:class:`ServingState`), and answered with one verdict per suggestion, the
query verdict, the intervention when the query verdict is INTERVENE, and the
list version. Before a list is loaded every keystroke is refused with
UNAVAILABLE (fail closed). Deciding a keystroke has a work budget
(``Limits.work_budget_ms``): the texts not decided when it runs out are
BLOCK with ``undecided`` set, never allowed, and counted in
``suggestfilter_undecided_suggestions_total``.

Errors become gRPC statuses in :mod:`suggestfilter.rpc._status` only. No text
of a request reaches a log, an error message or a metric label.

Report needs a ``report_sink(text, kind, locale, reason, reporter) ->
report_id`` (in a server, ``Store.add_report``). Without one, Report answers
UNIMPLEMENTED: the server is configured not to take reports, and retrying
will not help.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

import grpc
from google.protobuf.message import DecodeError

from suggestfilter._errors import (
    InvalidInputError,
    NotServingError,
    ReportsNotAcceptedError,
)
from suggestfilter._model import Action, KeystrokeDecision, SuggestionKind, Verdict
from suggestfilter.rpc._limits import Limits, validate_keystroke, validate_report
from suggestfilter.rpc._status import abort_with_error, code_for_error
from suggestfilter.serving import _metrics as _metrics
from suggestfilter.serving._state import SERVICE_NAME, ServingState
from suggestfilter.v1 import filter_pb2, filter_pb2_grpc

if TYPE_CHECKING:
    from prometheus_client.metrics import Counter, Histogram

_LOGGER = logging.getLogger(__name__)

ReportSink = Callable[[str, SuggestionKind, str, str, str], str]
"""``report_sink(text, kind, locale, reason, reporter) -> report_id``."""

_ACTION_NAMES = {action: action.name for action in Action}


class MalformedRequest:
    """Stands in for a request whose bytes do not parse (bad wire format or UTF-8).

    The servicer answers it with INVALID_ARGUMENT (field ``request``) instead
    of gRPC's own INTERNAL "Exception deserializing request!".
    """

    __slots__ = ()


MALFORMED = MalformedRequest()


def _malformed() -> InvalidInputError:
    return InvalidInputError("request", "not a well-formed message (wire format or UTF-8)")


def tolerant_parser(message_type: type[Any]) -> Callable[[bytes], Any]:
    """A request deserializer that returns MALFORMED instead of raising on bad bytes."""
    parse = message_type.FromString

    def deserialize(data: bytes) -> Any:
        try:
            return parse(data)
        except DecodeError:
            return MALFORMED

    return deserialize


def add_servicer_to_server(servicer: SuggestionFilterServicer, server: grpc.Server) -> None:
    """Register ``servicer`` like the generated function, with tolerant request parsing."""
    handlers = {
        "Filter": grpc.unary_unary_rpc_method_handler(
            servicer.Filter,
            request_deserializer=tolerant_parser(filter_pb2.FilterRequest),
            response_serializer=filter_pb2.FilterResponse.SerializeToString,
        ),
        "FilterSession": grpc.stream_stream_rpc_method_handler(
            servicer.FilterSession,
            request_deserializer=tolerant_parser(filter_pb2.FilterRequest),
            response_serializer=filter_pb2.FilterResponse.SerializeToString,
        ),
        "Report": grpc.unary_unary_rpc_method_handler(
            servicer.Report,
            request_deserializer=tolerant_parser(filter_pb2.ReportRequest),
            response_serializer=filter_pb2.ReportResponse.SerializeToString,
        ),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE_NAME, handlers),))
    server.add_registered_method_handlers(SERVICE_NAME, handlers)  # type: ignore[attr-defined]


class _MethodMetrics:
    """Pre-bound metric children of one method (label lookups are not free)."""

    __slots__ = ("_codes", "method", "ok", "seconds")

    def __init__(self, method: str) -> None:
        self.method = method
        self.ok: Counter = _metrics.REQUESTS.labels(method, "OK")
        self.seconds: Histogram = _metrics.REQUEST_SECONDS.labels(method)
        self._codes: dict[grpc.StatusCode, Counter] = {}

    def failed(self, error: BaseException, started: float) -> None:
        code = code_for_error(error)
        counter = self._codes.get(code)
        if counter is None:
            counter = self._codes[code] = _metrics.REQUESTS.labels(self.method, code.name)
        counter.inc()
        self.seconds.observe(time.perf_counter() - started)


class _VerdictCounter:
    """Counts a keystroke's verdicts with one metric update per distinct (category, action)."""

    def __init__(self) -> None:
        self._children: dict[tuple[str, str, Action], Counter] = {}
        self._allowed_suggestions = _metrics.VERDICTS.labels("suggestion", "", "ALLOW")
        self._allowed_queries = _metrics.VERDICTS.labels("query", "", "ALLOW")
        self._undecided_suggestions = _metrics.UNDECIDED.labels("suggestion")
        self._undecided_queries = _metrics.UNDECIDED.labels("query")

    def _child(self, subject: str, category: str, action: Action) -> Counter:
        key = (subject, category, action)
        child = self._children.get(key)
        if child is None:
            child = _metrics.VERDICTS.labels(subject, category, _ACTION_NAMES[action])
            self._children[key] = child
        return child

    def count(self, decision: KeystrokeDecision) -> None:
        """Count the query verdict and the suggestion verdicts of one keystroke."""
        allow = Action.ALLOW
        query_verdict = decision.query_verdict
        if query_verdict.action == allow:
            self._allowed_queries.inc()
        else:
            self._child("query", query_verdict.category, query_verdict.action).inc()
            if query_verdict.undecided:
                self._undecided_queries.inc()
        allowed = 0
        others: dict[tuple[str, Action], int] | None = None
        undecided = 0
        for verdict in decision.suggestion_verdicts:
            if verdict.action == allow:
                allowed += 1
            else:
                if others is None:
                    others = {}
                key = (verdict.category, verdict.action)
                others[key] = others.get(key, 0) + 1
                if verdict.undecided:
                    undecided += 1
        if allowed:
            self._allowed_suggestions.inc(allowed)
        if others:
            for (category, action), count in others.items():
                self._child("suggestion", category, action).inc(count)
        if undecided:
            self._undecided_suggestions.inc(undecided)


def _verdict_message(verdict: Verdict) -> filter_pb2.Verdict:
    action = cast("filter_pb2.Action", int(verdict.action))
    return filter_pb2.Verdict(
        action=action,
        category=verdict.category,
        rule_id=verdict.rule_id,
        undecided=verdict.undecided,
    )


class SuggestionFilterServicer(filter_pb2_grpc.SuggestionFilterServiceServicer):
    """Answers keystrokes from the list in ``state``; takes reports through ``report_sink``."""

    def __init__(
        self,
        state: ServingState,
        *,
        limits: Limits | None = None,
        report_sink: ReportSink | None = None,
    ) -> None:
        self._state = state
        self._limits = limits or Limits()
        self._budget = self._limits.work_budget
        self._report_sink = report_sink
        self._filter_metrics = _MethodMetrics("Filter")
        self._session_metrics = _MethodMetrics("FilterSession")
        self._report_metrics = _MethodMetrics("Report")
        self._verdicts = _VerdictCounter()
        self._verdict_messages: dict[Verdict, filter_pb2.Verdict] = {}

    def _verdict_pb(self, verdict: Verdict) -> filter_pb2.Verdict:
        message = self._verdict_messages.get(verdict)
        if message is None:
            message = _verdict_message(verdict)
            if len(self._verdict_messages) < 65536:
                self._verdict_messages[verdict] = message
        return message

    def decide(
        self, request: filter_pb2.FilterRequest | MalformedRequest
    ) -> filter_pb2.FilterResponse:
        """The response to one keystroke; raises SuggestFilterError on bad input or no list."""
        if isinstance(request, MalformedRequest):
            raise _malformed()
        loaded = self._state.current
        if loaded is None:
            raise NotServingError("no term list is loaded yet")
        suggestions = request.suggestions
        pairs = validate_keystroke(request.query, suggestions, request.locale, self._limits)
        decision = loaded.matcher.decide(request.query, pairs, request.locale, budget=self._budget)
        self._verdicts.count(decision)
        verdict_pb = self._verdict_pb
        response = filter_pb2.FilterResponse(
            allowed=[suggestions[index] for index in decision.allowed_indexes],
            verdicts=[verdict_pb(verdict) for verdict in decision.suggestion_verdicts],
            query_verdict=verdict_pb(decision.query_verdict),
            list_version=loaded.version,
        )
        notice = decision.intervention
        if notice is not None:
            intervention = response.intervention
            intervention.category = notice.category
            intervention.message = notice.message
            intervention.help_url = notice.help_url
        return response

    def Filter(
        self, request: filter_pb2.FilterRequest | MalformedRequest, context: grpc.ServicerContext
    ) -> filter_pb2.FilterResponse:
        """Decide one keystroke."""
        metrics = self._filter_metrics
        started = time.perf_counter()
        try:
            response = self.decide(request)
        except Exception as error:
            metrics.failed(error, started)
            abort_with_error(context, error, "Filter")
        metrics.seconds.observe(time.perf_counter() - started)
        metrics.ok.inc()
        return response

    def FilterSession(
        self,
        request_iterator: Iterator[filter_pb2.FilterRequest | MalformedRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[filter_pb2.FilterResponse]:
        """Decide a typing session: one response per request, in order.

        The first refused request ends the stream with its status.
        """
        metrics = self._session_metrics
        for request in request_iterator:
            started = time.perf_counter()
            try:
                response = self.decide(request)
            except Exception as error:
                metrics.failed(error, started)
                abort_with_error(context, error, "FilterSession")
            metrics.seconds.observe(time.perf_counter() - started)
            metrics.ok.inc()
            yield response

    def Report(
        self, request: filter_pb2.ReportRequest | MalformedRequest, context: grpc.ServicerContext
    ) -> filter_pb2.ReportResponse:
        """Record a reported suggestion through the report sink; answer its id."""
        metrics = self._report_metrics
        started = time.perf_counter()
        try:
            report_id = self._report(request)
        except Exception as error:
            metrics.failed(error, started)
            abort_with_error(context, error, "Report")
        metrics.seconds.observe(time.perf_counter() - started)
        metrics.ok.inc()
        return filter_pb2.ReportResponse(report_id=report_id)

    def _report(self, request: filter_pb2.ReportRequest | MalformedRequest) -> str:
        if isinstance(request, MalformedRequest):
            raise _malformed()
        suggestion = request.suggestion
        kind = validate_report(
            suggestion.text,
            suggestion.kind,
            request.locale,
            request.reason,
            request.reporter,
            self._limits,
        )
        if self._report_sink is None:
            raise ReportsNotAcceptedError("this server does not accept reports")
        report_id = self._report_sink(
            suggestion.text, kind, request.locale, request.reason, request.reporter
        )
        _LOGGER.debug("report %s stored", report_id)
        return report_id
