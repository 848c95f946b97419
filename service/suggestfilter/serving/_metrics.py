"""The Prometheus metrics of the public service.

Importing this module imports ``prometheus_client``, which decides at import
time whether to run in multiprocess mode (``PROMETHEUS_MULTIPROC_DIR`` set).
A process that forks serving workers sets that variable before anything
imports this module; ``import suggestfilter`` never imports it.

Labels carry methods, status codes, categories and actions, never text. The
label values are bounded: methods are the three RPCs, codes the canonical
gRPC codes, categories those the policy defines.

Metrics:

- ``suggestfilter_requests_total{method, code}``: finished requests; a
  FilterSession counts one per stream message.
- ``suggestfilter_verdicts_total{subject, category, action}``: verdicts,
  ``subject`` is ``suggestion`` or ``query``; ``category`` is empty for ALLOW
  and for a text left undecided (counted as BLOCK).
- ``suggestfilter_undecided_suggestions_total{subject}``: texts left
  undecided because their request's work budget ran out (they fail closed);
  ``subject`` as above.
- ``suggestfilter_request_seconds{method}``: server time per request (per
  stream message), from validation to the built response.
- ``suggestfilter_list_version``: the published term-list version this
  process serves (0 before the first).
- ``suggestfilter_terms``: entries in the list this process serves.
- ``suggestfilter_reload_seconds``: time to load and build a version.
- ``suggestfilter_reload_failures_total``: versions that failed to load.
- ``suggestfilter_store_unreachable``: 1 while the store cannot be reached.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Server time per request: a keystroke costs microseconds in the matcher and
# hundreds of microseconds in gRPC; the buckets cover 5 µs .. 1 s.
LATENCY_BUCKETS = (
    5e-6,
    1e-5,
    2.5e-5,
    5e-5,
    1e-4,
    2.5e-4,
    5e-4,
    1e-3,
    2.5e-3,
    5e-3,
    1e-2,
    2.5e-2,
    0.1,
    1.0,
)

RELOAD_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

REQUESTS = Counter(
    "suggestfilter_requests",
    "Finished public requests by method and gRPC status code (stream messages count singly).",
    ["method", "code"],
)

VERDICTS = Counter(
    "suggestfilter_verdicts",
    "Verdicts by subject (suggestion or query), deciding category and action.",
    ["subject", "category", "action"],
)

UNDECIDED = Counter(
    "suggestfilter_undecided_suggestions",
    "Texts (subject: suggestion or query) left undecided, and so blocked, because their "
    "request's work budget ran out.",
    ["subject"],
)

REQUEST_SECONDS = Histogram(
    "suggestfilter_request_seconds",
    "Server time per public request or stream message, by method.",
    ["method"],
    buckets=LATENCY_BUCKETS,
)

LIST_VERSION = Gauge(
    "suggestfilter_list_version",
    "The published term-list version being served (0 before the first).",
    multiprocess_mode="livemostrecent",
)

TERM_COUNT = Gauge(
    "suggestfilter_terms",
    "Term entries in the list being served.",
    multiprocess_mode="livemostrecent",
)

RELOAD_SECONDS = Histogram(
    "suggestfilter_reload_seconds",
    "Time from loading a newly published version until it is ready to serve "
    "(built for a new worker generation, or switched in place in every worker).",
    buckets=RELOAD_BUCKETS,
)

RELOAD_FAILURES = Counter(
    "suggestfilter_reload_failures",
    "Published versions that failed to load or build (the old one kept serving).",
)

STORE_UNREACHABLE = Gauge(
    "suggestfilter_store_unreachable",
    "1 while the term store cannot be reached, else 0.",
    multiprocess_mode="livemax",
)
