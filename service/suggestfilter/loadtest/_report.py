"""The load test's results and report: HDR latency histograms, the table and the JSON.

A :class:`LoadResult` is what one run measured: answered keystrokes, an HDR
latency histogram (1 µs to 60 s, 3 significant digits), errors by gRPC
status code, wrong verdicts and the list versions each connection saw.
Results of lanes, client processes and rounds merge into one.
:func:`format_report` prints them as a table beside the echo floor;
:func:`report_document` gives the same as plain JSON values.

Samples of wrong verdicts and errors describe fields and status codes, never
a typed query or a term.
"""

from __future__ import annotations

import array
import collections
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from hdrh.histogram import HdrHistogram

# Latency histogram range: 1 µs to 60 s, 3 significant figures.
_HDR_LOWEST_US: Final = 1
_HDR_HIGHEST_US: Final = 60_000_000
_HDR_DIGITS: Final = 3
PERCENTILES: Final = (50.0, 90.0, 99.0, 99.9)
MAX_SAMPLES: Final = 10
"""Wrong-verdict and error samples kept per result."""


def new_histogram() -> HdrHistogram:
    """An empty latency histogram in microseconds (1 µs to 60 s, 3 significant digits)."""
    return HdrHistogram(_HDR_LOWEST_US, _HDR_HIGHEST_US, _HDR_DIGITS)


@dataclass
class LoadResult:
    """What one load run measured. Results of lanes and processes merge with :meth:`merge`.

    ``requests`` counts answered keystrokes (right or wrong); ``errors`` failed
    calls by gRPC status code name; ``wrong`` answered keystrokes whose
    response differs from the oracle. ``switches`` counts changes of
    ``list_version`` seen on one connection (or stream), ``backwards`` the
    changes to a lower version. Latencies are in microseconds.
    ``window_histogram`` holds the calls started inside the settings' window
    (e.g. around a publish). ``version_first_seen``/``version_last_seen`` give,
    per list version, the first and last time (seconds after the clock
    started) a response named it. ``timeline_ms``/``timeline_us`` hold every
    timed call's start (ms after the clock started) and latency (µs), for
    :meth:`histogram_between`.
    """

    label: str = ""
    mode: str = ""
    elapsed: float = 0.0
    requests: int = 0
    wrong: int = 0
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    wrong_samples: list[str] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    versions: collections.Counter[int] = field(default_factory=collections.Counter)
    connections: int = 0
    switches: int = 0
    max_switches_per_connection: int = 0
    backwards: int = 0
    histogram: HdrHistogram = field(default_factory=new_histogram)
    window_histogram: HdrHistogram = field(default_factory=new_histogram)
    timeline_ms: array.array[int] = field(default_factory=lambda: array.array("I"))
    timeline_us: array.array[int] = field(default_factory=lambda: array.array("I"))
    version_first_seen: dict[int, float] = field(default_factory=dict)
    version_last_seen: dict[int, float] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        """Failed calls, all status codes."""
        return sum(self.errors.values())

    @property
    def requests_per_second(self) -> float:
        """Answered keystrokes per second of the measured window."""
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    def percentile_ms(self, percentile: float, *, window: bool = False) -> float:
        """The latency at ``percentile`` (0-100) in milliseconds (of the window's calls)."""
        histogram = self.window_histogram if window else self.histogram
        if histogram.get_total_count() == 0:
            return 0.0
        return float(histogram.get_value_at_percentile(percentile)) / 1000.0

    def histogram_between(self, start: float, end: float) -> HdrHistogram:
        """The latencies of the calls started from ``start`` to ``end`` seconds after the clock."""
        histogram = new_histogram()
        low, high = start * 1000.0, end * 1000.0
        for started_ms, latency_us in zip(self.timeline_ms, self.timeline_us, strict=True):
            if low <= started_ms < high:
                histogram.record_value(latency_us)
        return histogram

    @property
    def ok(self) -> bool:
        """True when nothing failed, nothing was wrong and no version went backwards."""
        return self.error_count == 0 and self.wrong == 0 and self.backwards == 0

    def merge(self, other: LoadResult, *, sequential: bool = False) -> None:
        """Add ``other``'s counts and histogram into this result.

        ``other`` ran at the same time (lanes, client processes: elapsed is the
        longer) or, with ``sequential``, after it (rounds: elapsed adds up).
        """
        self.elapsed = (
            self.elapsed + other.elapsed if sequential else max(self.elapsed, other.elapsed)
        )
        self.requests += other.requests
        self.wrong += other.wrong
        self.errors.update(other.errors)
        self.wrong_samples.extend(other.wrong_samples[: MAX_SAMPLES - len(self.wrong_samples)])
        self.error_samples.extend(other.error_samples[: MAX_SAMPLES - len(self.error_samples)])
        self.versions.update(other.versions)
        self.connections += other.connections
        self.switches += other.switches
        self.max_switches_per_connection = max(
            self.max_switches_per_connection, other.max_switches_per_connection
        )
        self.backwards += other.backwards
        self.histogram.add(other.histogram)
        self.window_histogram.add(other.window_histogram)
        self.timeline_ms.extend(other.timeline_ms)
        self.timeline_us.extend(other.timeline_us)
        for version, seen in other.version_first_seen.items():
            self.version_first_seen[version] = min(seen, self.version_first_seen.get(version, seen))
        for version, seen in other.version_last_seen.items():
            self.version_last_seen[version] = max(seen, self.version_last_seen.get(version, seen))

    def to_transport(self) -> dict[str, Any]:
        """A picklable form (the histogram HDR-encoded) for crossing processes."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["histogram"] = self.histogram.encode()
        data["window_histogram"] = self.window_histogram.encode()
        return data

    @classmethod
    def from_transport(cls, data: dict[str, Any]) -> LoadResult:
        """The inverse of :meth:`to_transport`."""
        values = dict(data)
        histogram = new_histogram()
        histogram.decode_and_add(values.pop("histogram"))
        window_histogram = new_histogram()
        window_histogram.decode_and_add(values.pop("window_histogram"))
        return cls(histogram=histogram, window_histogram=window_histogram, **values)

    def summary(self) -> dict[str, Any]:
        """The figures of this run as plain JSON values."""
        return {
            "label": self.label,
            "mode": self.mode,
            "seconds": round(self.elapsed, 3),
            "requests": self.requests,
            "requests_per_second": round(self.requests_per_second, 1),
            "latency_ms": {
                f"p{percentile:g}": round(self.percentile_ms(percentile), 3)
                for percentile in PERCENTILES
            }
            | {"max": round(self.histogram.get_max_value() / 1000.0, 3)},
            "errors": dict(sorted(self.errors.items())),
            "wrong_verdicts": self.wrong,
            "wrong_samples": list(self.wrong_samples),
            "error_samples": list(self.error_samples),
            "versions_seen": {str(k): v for k, v in sorted(self.versions.items())},
            "connections": self.connections,
            "version_switches": self.switches,
            "max_switches_per_connection": self.max_switches_per_connection,
            "versions_backwards": self.backwards,
            "version_first_seen_s": {
                str(k): round(v, 3) for k, v in sorted(self.version_first_seen.items())
            },
            "version_last_seen_s": {
                str(k): round(v, 3) for k, v in sorted(self.version_last_seen.items())
            },
        }


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------


def format_report(
    results: Sequence[LoadResult],
    *,
    floors: Mapping[str, LoadResult] | None = None,
    title: str = "",
) -> str:
    """A readable table of ``results`` and the echo ``floors`` (by mode), with ratios."""
    floors = floors or {}
    rows = [*results, *floors.values()]
    header = (
        f"{'run':<12}{'mode':<8}{'requests':>10}{'req/s':>10}{'p50 ms':>9}{'p90 ms':>9}"
        f"{'p99 ms':>9}{'p99.9 ms':>10}{'max ms':>9}{'errors':>8}{'wrong':>7}"
    )
    lines = [title] if title else []
    lines += [header, "-" * len(header)]
    for result in rows:
        lines.append(
            f"{result.label:<12}{result.mode:<8}{result.requests:>10}"
            f"{result.requests_per_second:>10.1f}"
            + "".join(
                f"{result.percentile_ms(p):>{10 if p == 99.9 else 9}.2f}" for p in PERCENTILES
            )
            + f"{result.histogram.get_max_value() / 1000.0:>9.2f}"
            f"{result.error_count:>8}{result.wrong:>7}"
        )
    lines.append("")
    for result in results:
        floor = floors.get(result.mode)
        if floor is not None and floor.requests_per_second > 0:
            ratio = result.requests_per_second / floor.requests_per_second
            lines.append(
                f"{result.label} {result.mode}: {ratio:.1%} of the echo floor's throughput "
                f"({result.requests_per_second:.0f} vs {floor.requests_per_second:.0f} req/s); "
                f"p99 {result.percentile_ms(99):.2f} ms vs {floor.percentile_ms(99):.2f} ms"
            )
    for result in rows:
        versions = ", ".join(f"v{v}: {n}" for v, n in sorted(result.versions.items()))
        lines.append(
            f"{result.label} {result.mode}: list versions {versions or 'none'}; "
            f"version switches {result.switches} over {result.connections} connections "
            f"(at most {result.max_switches_per_connection} per connection or stream), "
            f"backwards {result.backwards}"
        )
        if result.errors:
            codes = ", ".join(f"{code} {n}" for code, n in sorted(result.errors.items()))
            lines.append(f"{result.label} {result.mode}: errors by status: {codes}")
            lines.extend(f"    {sample}" for sample in result.error_samples)
        if result.wrong:
            lines.append(f"{result.label} {result.mode}: {result.wrong} wrong verdicts, e.g.")
            lines.extend(f"    {sample}" for sample in result.wrong_samples)
    return "\n".join(lines)


def report_document(
    results: Sequence[LoadResult],
    *,
    floors: Mapping[str, LoadResult] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The report as plain JSON values: settings, runs, floors, ratios and ``ok``."""
    floors = floors or {}
    return {
        "settings": dict(settings or {}),
        "runs": [result.summary() for result in results],
        "echo_floor": {mode: floor.summary() for mode, floor in floors.items()},
        "ratio_to_floor": {
            result.mode: round(
                result.requests_per_second / floors[result.mode].requests_per_second, 4
            )
            for result in results
            if result.mode in floors and floors[result.mode].requests_per_second > 0
        },
        "ok": all(result.ok for result in [*results, *floors.values()]),
    }
