"""The frontends' client of the public filter service; it fails closed.

A search frontend asks, on every keystroke, which suggestions it may show::

    from suggestfilter.client import FilterClient

    client = FilterClient(["filter-a:50051", "filter-b:50051"])  # round robin
    result = client.filter("free bad", ["free badword videos", "#FreeHugs"], locale="en-GB")
    if result.intervention is not None:
        show_message(result.intervention.message, result.intervention.help_url)
    else:
        show(s.text for s in result.allowed)   # empty when the call failed

Every call has a deadline (25 ms by default). Any failure — the server is
down, has no list loaded yet (UNAVAILABLE), refuses the request
(INVALID_ARGUMENT), or the deadline expires — gives a result that shows
nothing: ``allowed`` is empty, ``ok`` is False and ``reason`` names the gRPC
status code (``"UNAVAILABLE"``, ``"DEADLINE_EXCEEDED"``...). The client
counts failures (:attr:`FilterClient.failures`, per reason in
:attr:`FilterClient.failure_counts`). It never raises on a filter call.

A server that runs out of its work budget for a keystroke leaves the texts
it has not decided *undecided*: their verdicts are BLOCK with ``undecided``
set, they are never in ``allowed`` (an undecided query empties it), and the
client counts each of them under ``failure_counts["UNDECIDED"]``.

:meth:`FilterClient.session` answers keystrokes over one FilterSession
stream, which costs the server about half as much per keystroke.

:class:`InProcessFilterClient` is a test double for frontends' own tests:
the same ``filter`` and result type, answered by a :class:`Matcher` in the
calling process, with an injectable failure.
"""

from __future__ import annotations

import itertools
import json
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import grpc

from suggestfilter._errors import InvalidInputError, NotServingError, SuggestFilterError
from suggestfilter._model import (
    UNDECIDED,
    Action,
    InterventionNotice,
    KeystrokeDecision,
    SuggestionKind,
    Verdict,
    WorkBudget,
)
from suggestfilter.rpc._limits import Limits, validate_keystroke, validate_report
from suggestfilter.rpc._status import error_from_rpc, error_from_status
from suggestfilter.v1 import filter_pb2, filter_pb2_grpc

if TYPE_CHECKING:
    from suggestfilter.engine import Matcher

__all__ = [
    "DEFAULT_DEADLINE_S",
    "FRONTEND_CHANNEL_OPTIONS",
    "RETRY_SERVICE_CONFIG",
    "UNDECIDED_REASON",
    "FilterClient",
    "FilterResult",
    "FilterSessionClient",
    "InProcessFilterClient",
    "Suggestion",
]

_LOGGER = logging.getLogger(__name__)

UNDECIDED_REASON = "UNDECIDED"
"""The key of ``failure_counts`` that counts the texts a server left undecided."""

DEFAULT_DEADLINE_S = 0.025
"""The default deadline of one filter call: 25 ms."""

RETRY_SERVICE_CONFIG = json.dumps(
    {
        "methodConfig": [
            {
                "name": [
                    {"service": "suggestfilter.v1.SuggestionFilterService", "method": "Filter"},
                    {
                        "service": "suggestfilter.v1.SuggestionFilterService",
                        "method": "FilterSession",
                    },
                ],
                "retryPolicy": {
                    "maxAttempts": 3,
                    "initialBackoff": "0.01s",
                    "maxBackoff": "0.1s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE", "CANCELLED"],
                },
            }
        ]
    }
)
"""The gRPC retry policy every frontend channel should carry.

Filter and FilterSession are read-only, so they are retried (up to 3 attempts,
within the call's deadline) on UNAVAILABLE or CANCELLED: the codes a call gets
when it races a worker generation that is draining during a hot reload (gRPC
core cancels calls not yet handed to a handler when ``server.stop`` begins).
Report is never retried.
"""

FRONTEND_CHANNEL_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("grpc.service_config", RETRY_SERVICE_CONFIG),
    # gRPC's default first reconnect backoff is 1 s, during which every call fails
    # fast; a reload resets at most a few connections, so reconnect sooner.
    ("grpc.initial_reconnect_backoff_ms", 50),
    ("grpc.min_reconnect_backoff_ms", 50),
    ("grpc.max_reconnect_backoff_ms", 1000),
)
"""Channel options :class:`FilterClient` uses unless the caller overrides them."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A candidate suggestion. ``UNSPECIFIED`` kind still treats a leading ``#`` as a hashtag."""

    text: str
    kind: SuggestionKind = SuggestionKind.UNSPECIFIED


SuggestionInput = str | Suggestion | tuple[str, SuggestionKind]
"""A suggestion as callers give it: text alone, a Suggestion, or ``(text, kind)``."""


@dataclass(frozen=True, slots=True)
class FilterResult:
    """The decision on one keystroke, or the fail-closed stand-in for one.

    ``allowed``: the suggestions that may be shown, in request order (empty
    when the query verdict is BLOCK or INTERVENE, and when the call failed).
    ``verdicts``: one per request suggestion (empty when the call failed).
    ``query_verdict``: the verdict on the typed query (None when failed).
    ``intervention``: the message to show instead of suggestions, when the
    query verdict is INTERVENE. ``list_version``: the term-list version that
    decided (0 when failed). A verdict with ``undecided`` set is on a text the
    server had no time left to decide: it is BLOCK and never allowed (an
    undecided query verdict empties ``allowed``); :attr:`undecided` counts
    them. ``ok``: the service answered; when not,
    ``reason`` is the gRPC status code name of the failure and ``error`` the
    exception that failure stands for (the status turned back into its
    :mod:`suggestfilter._errors` class, with the server's message), for a log
    line; it is never raised.
    """

    allowed: tuple[Suggestion, ...]
    verdicts: tuple[Verdict, ...]
    query_verdict: Verdict | None
    intervention: InterventionNotice | None
    list_version: int
    ok: bool = True
    reason: str = ""
    error: SuggestFilterError | None = field(default=None, compare=False)

    @property
    def failed(self) -> bool:
        """The call failed and this result shows nothing."""
        return not self.ok

    @property
    def undecided(self) -> int:
        """How many texts (suggestions, and the query) the server left undecided."""
        count = sum(1 for verdict in self.verdicts if verdict.undecided)
        if self.query_verdict is not None and self.query_verdict.undecided:
            count += 1
        return count

    @classmethod
    def fail_closed(cls, reason: str, error: SuggestFilterError | None = None) -> FilterResult:
        """A result that shows nothing, because of ``reason`` (a status code name) and ``error``."""
        if error is None:
            code = grpc.StatusCode.__members__.get(reason)
            error = SuggestFilterError(reason) if code is None else error_from_status(code, reason)
        return cls((), (), None, None, 0, ok=False, reason=reason, error=error)

    @classmethod
    def from_decision(
        cls, suggestions: Sequence[Suggestion], decision: KeystrokeDecision, list_version: int
    ) -> FilterResult:
        """The result of a matcher's decision on ``suggestions``."""
        notice = decision.intervention
        return cls(
            allowed=tuple(suggestions[index] for index in decision.allowed_indexes),
            verdicts=decision.suggestion_verdicts,
            query_verdict=decision.query_verdict,
            intervention=notice,
            list_version=list_version,
        )


def _as_suggestion(item: SuggestionInput) -> Suggestion:
    if isinstance(item, Suggestion):
        return item
    if isinstance(item, str):
        return Suggestion(item)
    text, kind = item
    return Suggestion(text, SuggestionKind(kind))


def _suggestion_message(text: str, kind: SuggestionKind) -> filter_pb2.Suggestion:
    return filter_pb2.Suggestion(text=text, kind=cast("filter_pb2.SuggestionKind", int(kind)))


def _request(
    query: str, suggestions: Sequence[Suggestion], locale: str
) -> filter_pb2.FilterRequest:
    return filter_pb2.FilterRequest(
        query=query,
        suggestions=[_suggestion_message(s.text, s.kind) for s in suggestions],
        locale=locale,
    )


def _verdict(message: filter_pb2.Verdict) -> Verdict:
    if message.undecided:
        return UNDECIDED  # BLOCK, whatever action the message names
    return Verdict(Action(message.action), message.category, message.rule_id)


_MALFORMED = "the server's response is malformed"


def _result(response: filter_pb2.FilterResponse, candidates: Sequence[Suggestion]) -> FilterResult:
    """Convert a response; a malformed one (wrong verdict count, no version) fails closed.

    No undecided suggestion is ever in ``allowed``, and an undecided query
    empties it, whatever the response says.
    """
    try:
        verdicts = tuple(_verdict(message) for message in response.verdicts)
        query_verdict = _verdict(response.query_verdict)
        kinds = [SuggestionKind(message.kind) for message in response.allowed]
    except ValueError:
        return FilterResult.fail_closed("INTERNAL", SuggestFilterError(_MALFORMED))
    if len(verdicts) != len(candidates) or response.list_version < 1:
        return FilterResult.fail_closed("INTERNAL", SuggestFilterError(_MALFORMED))
    intervention = None
    if response.HasField("intervention"):
        notice = response.intervention
        intervention = InterventionNotice(notice.category, notice.message, notice.help_url)
    allowed = tuple(
        Suggestion(message.text, kind)
        for message, kind in zip(response.allowed, kinds, strict=True)
    )
    if query_verdict.undecided:
        allowed = ()
    elif allowed and any(verdict.undecided for verdict in verdicts):
        hidden = {
            candidate
            for candidate, verdict in zip(candidates, verdicts, strict=True)
            if verdict.undecided
        }
        allowed = tuple(suggestion for suggestion in allowed if suggestion not in hidden)
    return FilterResult(
        allowed=allowed,
        verdicts=verdicts,
        query_verdict=query_verdict,
        intervention=intervention,
        list_version=int(response.list_version),
    )


class _FailureCounter:
    """Failures per reason, thread-safe; calls ``on_failure(reason)`` for each."""

    def __init__(self, on_failure: Callable[[str], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._on_failure = on_failure
        self.total = 0

    def add(self, reason: str) -> None:
        with self._lock:
            self.total += 1
            self._counts[reason] = self._counts.get(reason, 0) + 1
        self._hook(reason)

    def add_undecided(self, result: FilterResult) -> None:
        """Count the texts ``result`` leaves undecided (not failed calls: ``total`` stays)."""
        undecided = result.undecided
        if not undecided:
            return
        with self._lock:
            self._counts[UNDECIDED_REASON] = self._counts.get(UNDECIDED_REASON, 0) + undecided
        for _ in range(undecided):
            self._hook(UNDECIDED_REASON)

    def _hook(self, reason: str) -> None:
        if self._on_failure is not None:
            try:
                self._on_failure(reason)
            except Exception:
                _LOGGER.exception("on_failure hook failed")

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


class _FailClosedCounting:
    """Counts calls that failed closed; shared by the real client and its test double."""

    _failures: _FailureCounter

    @property
    def failures(self) -> int:
        """How many calls failed closed since the client was made."""
        return self._failures.total

    @property
    def failure_counts(self) -> dict[str, int]:
        """Failed calls by reason (gRPC status code name); under ``UNDECIDED``, the texts
        (suggestions and queries) of answered calls that the server left undecided."""
        return self._failures.snapshot()

    def _failed(self, reason: str, error: SuggestFilterError | None = None) -> FilterResult:
        self._failures.add(reason)
        return FilterResult.fail_closed(reason, error)

    def _failed_call(self, error: grpc.RpcError) -> FilterResult:
        code: grpc.StatusCode = error.code()  # type: ignore[attr-defined]
        return self._failed(code.name, error_from_rpc(error))


class FilterClient(_FailClosedCounting):
    """A fail-closed client of one or more filter servers (round robin over channels).

    ``targets``: ``host:port`` or a list of them, one channel each.
    ``deadline``: seconds per call (default 25 ms). ``credentials``: channel
    credentials for TLS; plaintext when None. ``options``: gRPC channel options,
    added to (and overriding by name) :data:`FRONTEND_CHANNEL_OPTIONS`, which
    retry a call that races a hot reload. ``on_failure(reason)`` is called
    for every failed call, and with ``"UNDECIDED"`` for every text the
    server left undecided, e.g. to count them in the frontend's own metrics
    (this module imports no metrics library). Thread-safe; close it when done
    (or use it as a context manager).
    """

    def __init__(
        self,
        targets: str | Sequence[str],
        *,
        deadline: float = DEFAULT_DEADLINE_S,
        credentials: grpc.ChannelCredentials | None = None,
        options: Sequence[tuple[str, Any]] = (),
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        target_list = [targets] if isinstance(targets, str) else list(targets)
        if not target_list:
            raise ValueError("FilterClient needs at least one target")
        if deadline <= 0:
            raise ValueError("deadline must be positive")
        self.deadline = deadline
        overridden = {name for name, _ in options}
        channel_options = [
            *(option for option in FRONTEND_CHANNEL_OPTIONS if option[0] not in overridden),
            *options,
        ]
        if credentials is None:
            self._channels = [
                grpc.insecure_channel(t, options=channel_options) for t in target_list
            ]
        else:
            self._channels = [
                grpc.secure_channel(t, credentials, options=channel_options) for t in target_list
            ]
        self._stubs = [
            filter_pb2_grpc.SuggestionFilterServiceStub(c)  # type: ignore[no-untyped-call]
            for c in self._channels
        ]
        self._turn = itertools.count()
        self._failures = _FailureCounter(on_failure)

    def _stub(self) -> filter_pb2_grpc.SuggestionFilterServiceStub:
        return self._stubs[next(self._turn) % len(self._stubs)]

    def connect(self, timeout: float = 5.0) -> bool:
        """Connect every channel now (a first call must not spend its deadline connecting).

        Returns True when every target is connected within ``timeout`` seconds.
        """
        connected = True
        for channel in self._channels:
            try:
                grpc.channel_ready_future(channel).result(timeout=timeout)
            except grpc.FutureTimeoutError:
                connected = False
        return connected

    def filter(
        self,
        query: str,
        suggestions: Iterable[SuggestionInput],
        locale: str = "",
        *,
        deadline: float | None = None,
    ) -> FilterResult:
        """Decide one keystroke; on any failure a result that shows nothing (never raises)."""
        candidates = [_as_suggestion(item) for item in suggestions]
        request = _request(query, candidates, locale)
        try:
            response = self._stub().Filter(request, timeout=deadline or self.deadline)
        except grpc.RpcError as error:
            return self._failed_call(error)
        result = _result(response, candidates)
        if not result.ok:
            self._failures.add(result.reason)
        else:
            self._failures.add_undecided(result)
        return result

    def report(
        self,
        text: str,
        kind: SuggestionKind = SuggestionKind.UNSPECIFIED,
        locale: str = "",
        reason: str = "",
        reporter: str = "",
        *,
        deadline: float = 1.0,
    ) -> str:
        """Report a shown suggestion as harmful; return the report id.

        On failure raises the :mod:`suggestfilter._errors` class the status
        stands for, with the server's message (RateLimitedError,
        InvalidInputError naming the field, StoreUnavailableError...; see
        :mod:`suggestfilter.rpc._status`).
        """
        request = filter_pb2.ReportRequest(
            suggestion=_suggestion_message(text, kind),
            locale=locale,
            reason=reason,
            reporter=reporter,
        )
        try:
            response = self._stub().Report(request, timeout=deadline)
        except grpc.RpcError as error:
            raise error_from_rpc(error) from None
        return str(response.report_id)

    def session(self, *, deadline: float | None = None) -> FilterSessionClient:
        """A FilterSession stream for one typing session (close it, or use ``with``)."""
        return FilterSessionClient(self, deadline=deadline or self.deadline)

    def close(self) -> None:
        """Close every channel."""
        for channel in self._channels:
            channel.close()

    def __enter__(self) -> FilterClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_CLOSE = object()


class FilterSessionClient:
    """Keystrokes over one FilterSession stream, each with its own deadline; fails closed.

    The stream is opened on first use. When a keystroke fails (stream error
    or deadline), the stream is cancelled and the next keystroke opens a new
    one, so a late answer never lands on a later keystroke. Failures count
    on the parent :class:`FilterClient`. Not for concurrent use by several
    threads (one session is one typing user).
    """

    def __init__(self, client: FilterClient, *, deadline: float) -> None:
        self._client = client
        self.deadline = deadline
        self._requests: queue.SimpleQueue[object] | None = None
        self._responses: queue.SimpleQueue[filter_pb2.FilterResponse | grpc.RpcError] | None = None
        self._call: Any = None

    def _open(self) -> None:
        requests: queue.SimpleQueue[object] = queue.SimpleQueue()
        responses: queue.SimpleQueue[filter_pb2.FilterResponse | grpc.RpcError] = (
            queue.SimpleQueue()
        )

        def request_iterator() -> Iterator[filter_pb2.FilterRequest]:
            while True:
                item = requests.get()
                if item is _CLOSE:
                    return
                assert isinstance(item, filter_pb2.FilterRequest)
                yield item

        call = self._client._stub().FilterSession(request_iterator())

        def read_responses() -> None:
            try:
                for response in call:
                    responses.put(response)
            except grpc.RpcError as error:
                responses.put(error)

        threading.Thread(target=read_responses, name="filter-session", daemon=True).start()
        self._requests, self._responses, self._call = requests, responses, call

    def _reset(self) -> None:
        if self._requests is not None:
            self._requests.put(_CLOSE)
        if self._call is not None:
            self._call.cancel()
        self._requests = self._responses = self._call = None

    def filter(
        self,
        query: str,
        suggestions: Iterable[SuggestionInput],
        locale: str = "",
        *,
        deadline: float | None = None,
    ) -> FilterResult:
        """Decide one keystroke on the stream; on any failure a result that shows nothing."""
        candidates = [_as_suggestion(item) for item in suggestions]
        if self._requests is None:
            self._open()
        assert self._requests is not None and self._responses is not None
        self._requests.put(_request(query, candidates, locale))
        try:
            answer = self._responses.get(timeout=deadline or self.deadline)
        except queue.Empty:
            self._reset()
            late = SuggestFilterError("no answer within the deadline")
            return self._client._failed("DEADLINE_EXCEEDED", late)
        if isinstance(answer, grpc.RpcError):
            self._reset()
            return self._client._failed_call(answer)
        result = _result(answer, candidates)
        if not result.ok:
            self._reset()
            self._client._failures.add(result.reason)
        else:
            self._client._failures.add_undecided(result)
        return result

    def close(self) -> None:
        """End the stream."""
        self._reset()

    def __enter__(self) -> FilterSessionClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class InProcessFilterClient(_FailClosedCounting):
    """A test double of :class:`FilterClient` answered by a Matcher in this process.

    Validates requests with the same :class:`Limits` as the server (a refused
    request fails closed with ``INVALID_ARGUMENT``) and decides them within
    the same work budget (``budget``, by default the limits'), counting
    undecided texts as the real client does. Set :attr:`fail_with` to a
    status code name (``"UNAVAILABLE"``) to make every call fail closed, as
    when the service is down; ``matcher=None`` behaves as a server with no
    list loaded.
    """

    def __init__(
        self,
        matcher: Matcher | None,
        *,
        list_version: int = 1,
        limits: Limits | None = None,
        budget: WorkBudget | None = None,
    ) -> None:
        self.matcher = matcher
        self.list_version = list_version
        self.limits = limits or Limits()
        self.budget = budget or self.limits.work_budget
        self.fail_with: str | None = None
        self.reports: list[tuple[str, SuggestionKind, str, str, str]] = []
        """Reports received, as ``(text, kind, locale, reason, reporter)``."""
        self._failures = _FailureCounter()

    def filter(
        self,
        query: str,
        suggestions: Iterable[SuggestionInput],
        locale: str = "",
        *,
        deadline: float | None = None,
    ) -> FilterResult:
        """Decide one keystroke as the service would; fail closed as the real client does."""
        candidates = [_as_suggestion(item) for item in suggestions]
        if self.fail_with is not None:
            return self._failed(self.fail_with)
        if self.matcher is None:
            return self._failed("UNAVAILABLE", NotServingError("no term list is loaded yet"))
        try:
            pairs = validate_keystroke(query, candidates, locale, self.limits)
        except InvalidInputError as error:
            return self._failed("INVALID_ARGUMENT", error)
        decision = self.matcher.decide(query, pairs, locale, budget=self.budget)
        result = FilterResult.from_decision(candidates, decision, self.list_version)
        self._failures.add_undecided(result)
        return result

    def report(
        self,
        text: str,
        kind: SuggestionKind = SuggestionKind.UNSPECIFIED,
        locale: str = "",
        reason: str = "",
        reporter: str = "",
        *,
        deadline: float = 1.0,
    ) -> str:
        """Record a report in :attr:`reports` after the server's validation; return its id."""
        if self.fail_with is not None:
            raise error_from_status(grpc.StatusCode[self.fail_with], self.fail_with)
        checked = validate_report(text, kind, locale, reason, reporter, self.limits)
        self.reports.append((text, checked, locale, reason, reporter))
        return f"in-process-{len(self.reports)}"

    def session(self, *, deadline: float | None = None) -> InProcessFilterClient:
        """The same client (sessions need no stream in process)."""
        return self

    def close(self) -> None:
        """Nothing to close."""

    def __enter__(self) -> InProcessFilterClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
