"""Traffic analysis of the probe's request log: windowed error rate, percentiles, envelope, recovery.

Every request is placed at the controller's monotonic time it was *sent* (``sent_mono``): that
is the state of the service the user met. Windows are half-open ``[start, end)``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Request:
    t: float  # controller monotonic time the request was sent
    ok: bool
    status: int | None
    latency_ms: float | None

    @property
    def done(self) -> float:
        """When the answer (or the error) came back."""
        return self.t + (self.latency_ms or 0.0) / 1000.0


def requests_from_samples(samples: Iterable[Mapping[str, Any]]) -> list[Request]:
    """Probe records -> requests sorted by send time (records without a send time use completion)."""
    found = []
    for item in samples:
        t = item.get("sent_mono", item.get("mono"))
        if not isinstance(t, (int, float)):
            continue
        status = item.get("status")
        latency = item.get("latency_ms")
        found.append(Request(
            t=float(t),
            ok=bool(item.get("ok")),
            status=int(status) if isinstance(status, int) else None,
            latency_ms=float(latency) if isinstance(latency, (int, float)) else None,
        ))
    found.sort(key=lambda item: item.t)
    return found


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class WindowStats:
    start: float
    end: float
    requests: int
    failed: int
    p50_ms: float | None
    p95_ms: float | None

    @property
    def error_rate(self) -> float | None:
        return self.failed / self.requests if self.requests else None


class RequestLog:
    """Requests sorted by send time, with fast window queries."""

    def __init__(self, requests: Sequence[Request]):
        self.requests = sorted(requests, key=lambda item: item.t)
        self._times = [item.t for item in self.requests]

    def between(self, start: float, end: float) -> Sequence[Request]:
        return self.requests[bisect.bisect_left(self._times, start):bisect.bisect_left(self._times, end)]

    def stats(self, start: float, end: float) -> WindowStats:
        chosen = self.between(start, end)
        latencies = [item.latency_ms for item in chosen if item.latency_ms is not None]
        return WindowStats(
            start=start, end=end, requests=len(chosen), failed=sum(1 for item in chosen if not item.ok),
            p50_ms=percentile(latencies, 50), p95_ms=percentile(latencies, 95),
        )

    def trailing_series(self, start: float, end: float, window: float, step: float) -> list[WindowStats]:
        """Stats of the trailing window ``[t - window, t)`` for t = start + step, start + 2*step ... <= end."""
        series = []
        count = int(math.floor((end - start) / step + 1e-9))
        for index in range(1, count + 1):
            t = start + index * step
            series.append(self.stats(max(start, t - window), t))
        return series


def envelope_upper(baseline: WindowStats, margin: float) -> float | None:
    """Highest error rate still inside the baseline envelope: baseline rate plus the margin."""
    rate = baseline.error_rate
    return None if rate is None else rate + margin


def recovery_seconds(
    log: RequestLog, *, restored: float, end: float, window: float, upper: float, step: float
) -> float | None:
    """Seconds from ``restored`` to the first moment from which every window is in the envelope.

    Windows start on the grid ``restored + k * step`` and last ``window`` seconds; a window is
    inside when it holds requests and its error rate is at most ``upper``. None when no full
    window fits before ``end`` or the last window is still outside (not recovered yet).
    """
    starts = []
    k = 0
    while restored + k * step + window <= end + 1e-9:
        starts.append(restored + k * step)
        k += 1
    if not starts:
        return None
    inside = []
    for start in starts:
        stats = log.stats(start, start + window)
        inside.append(stats.requests > 0 and stats.error_rate is not None and stats.error_rate <= upper + 1e-12)
    if not inside[-1]:
        return None
    last_outside = max((index for index, flag in enumerate(inside) if not flag), default=-1)
    return starts[last_outside + 1] - restored


@dataclass(frozen=True)
class SwitchWindow:
    """One host out of rotation: from its drain to its re-enabling in the load balancer."""

    host: str
    phase: str
    start: float
    end: float


def restart_failures(
    log: RequestLog, windows: Sequence[SwitchWindow], statuses: Iterable[int]
) -> list[tuple[Request, SwitchWindow]]:
    """Failed requests the drill's own restarts explain.

    A request counts when it failed without an application answer (connection error, or a
    status the load balancer gives for a missing or vanished backend, ``statuses``) and its
    lifetime ``[sent, done]`` overlaps a window in which a host was drained, switched and
    re-enabled. Application errors (a regressing candidate's 500s) never count.
    """
    codes = set(statuses)
    found = []
    for request in log.requests:
        if request.ok or not (request.status is None or request.status in codes):
            continue
        for window in windows:
            if request.t <= window.end and request.done >= window.start:
                found.append((request, window))
                break
    return found
