"""Backlog series analysis: baseline and its trend, steady-state envelope, peak, cap and drain.

One implementation for the two readers: the ``backlog_watch`` action decides when to resume
or when the drain is over while the drill runs, and the figures recompute the same answers
from the recorded samples afterwards, so what the drill did and what the report says agree.

Every sample is placed at the controller's monotonic time its reading completed (``mono``).
A sample whose backlog could not be read counts as unknown: it never proves a drain and it
breaks a run of steady samples.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BacklogPoint:
    mono: float
    ts: str
    backlog: float | None
    failed: float | None
    # The inventory's processed reading (a number that rises whenever the worker processes
    # work), when one is configured; and when the sample's reading started (controller mono).
    processed: float | None = None
    started: float | None = None

    @property
    def ok(self) -> bool:
        return self.backlog is not None

    @property
    def read_from(self) -> float:
        """When the reading started: every value of the sample was read after this moment."""
        return self.started if self.started is not None else self.mono


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def points_from_samples(samples: Iterable[Mapping[str, Any]]) -> list[BacklogPoint]:
    """Backlog sampler records -> points in time order (records without a time are dropped)."""
    found = []
    for item in samples:
        mono = _number(item.get("mono"))
        if mono is None:
            continue
        started = _number(item.get("started_mono"))
        latency_ms = _number(item.get("latency_ms"))
        if started is None and latency_ms is not None:
            started = mono - latency_ms / 1000.0
        found.append(BacklogPoint(
            mono=mono, ts=str(item.get("ts", "")),
            backlog=_number(item.get("backlog")), failed=_number(item.get("failed")),
            processed=_number(item.get("processed")), started=started,
        ))
    found.sort(key=lambda point: point.mono)
    return found


def window(points: Sequence[BacklogPoint], start: float | None, end: float | None = None) -> list[BacklogPoint]:
    """Readable points with start <= mono <= end (an open bound when None)."""
    return [
        point for point in points
        if point.ok and (start is None or point.mono >= start) and (end is None or point.mono <= end)
    ]


@dataclass(frozen=True)
class Baseline:
    """The backlog in normal operation: the median resists the odd busy sample."""

    median: float
    mean: float
    maximum: float
    count: int


def baseline(points: Sequence[BacklogPoint]) -> Baseline | None:
    values = [point.backlog for point in points if point.backlog is not None]
    if not values:
        return None
    return Baseline(
        median=float(statistics.median(values)), mean=float(statistics.fmean(values)),
        maximum=float(max(values)), count=len(values),
    )


# Fewer readable baseline samples than this cannot tell a steady backlog from a moving one.
MIN_TREND_SAMPLES = 3
# The slope is computed from at most this many samples (evenly spread) to bound its cost.
MAX_TREND_SAMPLES = 400


def theil_sen_slope(points: Sequence[BacklogPoint]) -> float | None:
    """Robust slope (backlog per second): the median of the slopes between every two readable
    samples (Theil-Sen). One odd sample moves it little, unlike a least-squares fit."""
    readable = [point for point in points if point.backlog is not None]
    if len(readable) > MAX_TREND_SAMPLES:
        step = (len(readable) - 1) / (MAX_TREND_SAMPLES - 1)
        readable = [readable[round(index * step)] for index in range(MAX_TREND_SAMPLES)]
    slopes = [
        (later.backlog - earlier.backlog) / (later.mono - earlier.mono)  # type: ignore[operator]
        for index, earlier in enumerate(readable)
        for later in readable[index + 1:]
        if later.mono > earlier.mono
    ]
    return float(statistics.median(slopes)) if slopes else None


@dataclass(frozen=True)
class Trend:
    """Is the baseline steady? Its robust slope over the window must not move the backlog by more
    than the envelope's margin (upper bound - baseline median): a baseline whose own trend leaves
    the envelope it defines is no reference for a drain."""

    slope_per_second: float | None
    window_seconds: float
    drift: float | None
    allowed: float
    samples: int

    @property
    def measured(self) -> bool:
        return self.drift is not None and self.samples >= MIN_TREND_SAMPLES

    @property
    def steady(self) -> bool:
        return self.measured and abs(self.drift) <= self.allowed  # type: ignore[arg-type]

    def describe(self) -> str:
        if not self.measured:
            return (f"only {self.samples} readable backlog samples in the baseline window; at least "
                    f"{MIN_TREND_SAMPLES} are needed to tell a steady backlog from a moving one")
        verdict = "steady" if self.steady else "rising" if (self.drift or 0) > 0 else "falling"
        return (f"{verdict} (Theil-Sen slope {self.slope_per_second:+.3g}/s over {self.window_seconds:.3g}s "
                f"= {self.drift:+.3g}, allowed +/-{self.allowed:.3g}, the envelope's margin above the baseline)")

    def as_dict(self) -> dict[str, Any]:
        return {"slope_per_second": self.slope_per_second, "window_seconds": self.window_seconds, "drift": self.drift,
                "allowed": self.allowed, "samples": self.samples, "steady": self.steady, "rule": self.describe()}


def trend(points: Sequence[BacklogPoint], env: "Envelope") -> Trend:
    """The trend test of the baseline window's readable samples against the envelope's margin."""
    readable = [point for point in points if point.backlog is not None]
    span = readable[-1].mono - readable[0].mono if len(readable) > 1 else 0.0
    slope = theil_sen_slope(readable) if len(readable) >= MIN_TREND_SAMPLES else None
    return Trend(
        slope_per_second=slope, window_seconds=span, drift=slope * span if slope is not None else None,
        allowed=max(0.0, env.upper - env.reference), samples=len(readable),
    )


@dataclass(frozen=True)
class Envelope:
    """Steady state: the backlog is at most ``upper``."""

    upper: float
    reference: float
    ratio: float | None
    absolute: float | None

    def contains(self, value: float) -> bool:
        return value <= self.upper

    def describe(self) -> str:
        """``backlog <= 5, the larger of 2 x baseline 1 and absolute 5``."""
        parts = []
        if self.ratio is not None:
            parts.append(f"{self.ratio:g} x baseline {self.reference:g}")
        if self.absolute is not None:
            parts.append(f"absolute {self.absolute:g}")
        rule = f"the larger of {parts[0]} and {parts[1]}" if len(parts) == 2 else parts[0]
        return f"backlog <= {self.upper:g}, {rule}"


def envelope(reference: float, ratio: float | None, absolute: float | None) -> Envelope:
    """Upper bound max(ratio x reference, absolute); either part may be left out, not both."""
    bounds = []
    if ratio is not None:
        bounds.append(ratio * reference)
    if absolute is not None:
        bounds.append(absolute)
    if not bounds:
        raise ValueError("an envelope needs a ratio, an absolute bound or both")
    return Envelope(upper=max(bounds), reference=reference, ratio=ratio, absolute=absolute)


def drained(points: Sequence[BacklogPoint], after: float, env: Envelope, steady: int) -> list[BacklogPoint] | None:
    """The first ``steady`` consecutive samples after ``after`` inside the envelope, or None.

    The drain time is the first of them minus the resume time. An unreadable sample breaks
    the run: nobody knows the backlog was inside then.
    """
    run: list[BacklogPoint] = []
    for point in points:
        if point.mono < after:
            continue
        if point.backlog is not None and env.contains(point.backlog):
            run.append(point)
            if len(run) >= steady:
                return run
        else:
            run = []
    return None


def peak(points: Sequence[BacklogPoint]) -> BacklogPoint | None:
    readable = [point for point in points if point.backlog is not None]
    return max(readable, key=lambda point: (point.backlog, -point.mono)) if readable else None


def first_above(points: Sequence[BacklogPoint], after: float, cap: float) -> BacklogPoint | None:
    """The first sample after ``after`` whose backlog passed the cap (strictly above it)."""
    for point in points:
        if point.mono >= after and point.backlog is not None and point.backlog > cap:
            return point
    return None


def last_failed_at_or_before(points: Sequence[BacklogPoint], moment: float) -> BacklogPoint | None:
    """The newest sample with a failed count taken no later than ``moment``."""
    found = None
    for point in points:
        if point.mono > moment:
            break
        if point.failed is not None:
            found = point
    return found


def last_failed(points: Sequence[BacklogPoint]) -> BacklogPoint | None:
    readable = [point for point in points if point.failed is not None]
    return readable[-1] if readable else None


def peak_ratio(peak_value: float, baseline_value: float) -> float | None:
    """peak / baseline; undefined (None) when the baseline is 0."""
    if baseline_value <= 0:
        return None
    return peak_value / baseline_value
