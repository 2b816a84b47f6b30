"""Backlog series analysis: baseline, steady-state envelope, peak, cap and drain detection.

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

    @property
    def ok(self) -> bool:
        return self.backlog is not None


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
        found.append(BacklogPoint(
            mono=mono, ts=str(item.get("ts", "")),
            backlog=_number(item.get("backlog")), failed=_number(item.get("failed")),
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
