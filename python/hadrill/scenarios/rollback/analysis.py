"""Traffic analysis of the probe's request log: windowed error rate, percentiles, envelope, recovery.

Every request is placed at the controller's monotonic time it was *sent* (``sent_mono``): that
is the state of the service the user met. Windows are half-open ``[start, end)``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
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


@dataclass(frozen=True)
class Outage:
    """A run of consecutive failed requests (by send time): from the first one's send to the send of
    the next successful request, or to the end of the window when none came (``open``)."""

    start: float
    end: float
    failed: int
    open: bool = False

    @property
    def seconds(self) -> float:
        return self.end - self.start


def outages(log: RequestLog, start: float, end: float) -> list[Outage]:
    """Every run of consecutive failed requests among those sent in ``[start, end)``."""
    found: list[Outage] = []
    first: float | None = None
    count = 0
    for request in log.between(start, end):
        if not request.ok:
            first = request.t if first is None else first
            count += 1
        elif first is not None:
            found.append(Outage(first, request.t, count))
            first, count = None, 0
    if first is not None:
        found.append(Outage(first, end, count, open=True))
    return found


def longest_outage(log: RequestLog, start: float, end: float) -> Outage | None:
    """The longest time without a successful request in ``[start, end)`` (None: nothing failed)."""
    return max(outages(log, start, end), key=lambda item: item.seconds, default=None)


@dataclass(frozen=True)
class ReplicaSample:
    """One look at one replica: its own health check straight to it, and the load balancer's view."""

    t: float  # controller monotonic time the health request was sent
    host: str
    probe_ok: bool
    lb_status: str | None  # HAProxy's status of the server (UP, DOWN, MAINT, DRAIN...), None when not read
    error: str = ""

    @property
    def lb_down(self) -> bool:
        """HAProxy's own checks found the server down (administrative states are not "down")."""
        return bool(self.lb_status) and str(self.lb_status).startswith("DOWN")

    @property
    def lb_out(self) -> bool:
        """Out of rotation by an administrative state (MAINT, DRAIN), whoever set it."""
        return bool(self.lb_status) and str(self.lb_status).split()[0] in {"MAINT", "DRAIN", "NOLB"}


def replica_samples(records: Iterable[Mapping[str, Any]]) -> dict[str, list[ReplicaSample]]:
    """Replica-watch records -> samples per host, sorted by send time."""
    found: dict[str, list[ReplicaSample]] = {}
    for item in records:
        t = item.get("sent_mono", item.get("mono"))
        host = item.get("host")
        if not isinstance(t, (int, float)) or not isinstance(host, str):
            continue
        status = item.get("lb_status")
        found.setdefault(host, []).append(ReplicaSample(
            t=float(t), host=host, probe_ok=bool(item.get("ok")),
            lb_status=str(status) if status else None, error=str(item.get("error") or ""),
        ))
    for samples in found.values():
        samples.sort(key=lambda item: item.t)
    return found


def drill_spans(windows: Sequence[SwitchWindow], end: float) -> dict[str, list[tuple[float, float]]]:
    """Per host, when the drill had it in hand: each switch window, and for a canary host the whole
    time from its switch to the candidate until the end of its next switch (or ``end``), since a
    replica running the candidate is the drill's experiment, not an untouched replica."""
    spans: dict[str, list[tuple[float, float]]] = {}
    by_host: dict[str, list[SwitchWindow]] = {}
    for window in sorted(windows, key=lambda item: item.start):
        by_host.setdefault(window.host, []).append(window)
    for host, items in by_host.items():
        for index, window in enumerate(items):
            stop = window.end
            if window.phase == "candidate":
                stop = items[index + 1].end if index + 1 < len(items) else end
            spans.setdefault(host, []).append((window.start, stop))
    return spans


@dataclass(frozen=True)
class ReplicaRun:
    """Consecutive samples of one replica matching a condition while the drill was not switching
    it: from the first one to the next sample that no longer matched (``end``), or to the last
    one (``recovered`` false: the scenario ended, or the drill took the replica in hand)."""

    host: str
    start: float
    end: float
    samples: int
    probe_failures: int
    lb_statuses: tuple[str, ...]
    errors: tuple[str, ...]
    recovered: bool

    @property
    def seconds(self) -> float:
        return self.end - self.start


def is_down(sample: ReplicaSample) -> bool:
    """Its own health check failed, or HAProxy's checks found it DOWN."""
    return not sample.probe_ok or sample.lb_down


def untouched_runs(
    samples: Mapping[str, Sequence[ReplicaSample]], spans: Mapping[str, Sequence[tuple[float, float]]],
    condition: Callable[[ReplicaSample], bool],
) -> list[ReplicaRun]:
    """Runs of samples matching ``condition`` outside the host's drill spans (which end a run)."""
    found: list[ReplicaRun] = []
    for host, items in samples.items():
        excluded = spans.get(host, ())
        run: list[ReplicaSample] = []

        def close(until: float | None) -> None:
            if run:
                found.append(ReplicaRun(
                    host=host, start=run[0].t, end=until if until is not None else run[-1].t, samples=len(run),
                    probe_failures=sum(1 for item in run if not item.probe_ok),
                    lb_statuses=tuple(dict.fromkeys(str(item.lb_status) for item in run if item.lb_status)),
                    errors=tuple(dict.fromkeys(item.error for item in run if item.error))[:3],
                    recovered=until is not None,
                ))
                run.clear()

        for sample in items:
            if any(start <= sample.t <= stop for start, stop in excluded):
                close(None)
            elif condition(sample):
                run.append(sample)
            else:
                close(sample.t)
        close(None)
    return sorted(found, key=lambda item: item.start)


def untouched_downs(
    samples: Mapping[str, Sequence[ReplicaSample]], spans: Mapping[str, Sequence[tuple[float, float]]],
    *, min_probe_failures: int = 2,
) -> list[ReplicaRun]:
    """Times a replica was down while the drill was not switching it.

    A run of down samples counts when HAProxy saw the replica DOWN or its own health check failed
    ``min_probe_failures`` times in a row: one lost health request on a busy network is not an
    outage, HAProxy's DOWN already needed its own consecutive failed checks.
    """
    return [
        item for item in untouched_runs(samples, spans, is_down)
        if any(status.startswith("DOWN") for status in item.lb_statuses) or item.probe_failures >= min_probe_failures
    ]
