"""The abort rule, evaluated live on the traffic probe's sample file during the observation window.

The probe appends one line per *completed* request, so the live rule looks at requests by
completion time (``mono``): the error rate of the requests answered in the last ``window``
seconds. The rule fires once that rate stayed above the threshold (with enough requests to
mean something) for ``sustain`` seconds.

The rule judges the candidate, so with ``since`` it counts only requests *sent* at or after that
moment (the start of the observation): errors answered before the candidate was observed (a
drained replica, a neighbour going down during the deployment) never make it fire.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hadrill import clock


@dataclass(frozen=True)
class Evaluation:
    at: float  # monotonic time of the evaluation
    requests: int
    failed: int
    above: bool
    above_since: float | None
    fired: bool

    @property
    def error_rate(self) -> float | None:
        return self.failed / self.requests if self.requests else None


class AbortRule:
    def __init__(self, *, threshold: float, sustain: float, window: float, min_requests: int,
                 since: float | None = None):
        self.threshold = threshold
        self.sustain = sustain
        self.window = window
        self.min_requests = min_requests
        self.since = since
        self.ignored = 0  # requests sent before ``since``
        self._recent: deque[tuple[float, bool]] = deque()
        self._above_since: float | None = None

    def feed(self, records: Iterable[Mapping[str, Any]]) -> None:
        for record in records:
            mono = record.get("mono")
            if not isinstance(mono, (int, float)):
                continue
            sent = record.get("sent_mono", mono)
            if self.since is not None and isinstance(sent, (int, float)) and sent < self.since:
                self.ignored += 1
                continue
            self._recent.append((float(mono), bool(record.get("ok"))))

    def evaluate(self, now: float) -> Evaluation:
        # Records arrive in (almost) completion order: drop the old head, count within both bounds.
        low = now - self.window
        while self._recent and self._recent[0][0] <= low:
            self._recent.popleft()
        inside = [ok for mono, ok in self._recent if low < mono <= now]
        requests = len(inside)
        failed = inside.count(False)
        above = requests >= self.min_requests and failed / requests > self.threshold
        if not above:
            self._above_since = None
        elif self._above_since is None:
            self._above_since = now
        fired = above and self._above_since is not None and now - self._above_since >= self.sustain
        return Evaluation(at=now, requests=requests, failed=failed, above=above,
                          above_since=self._above_since, fired=fired)


class SampleTail:
    """Reads the complete lines appended to a JSON-lines file since the last call."""

    def __init__(self, path: Path):
        self.path = path
        self._offset = 0
        self._partial = b""

    def read(self) -> list[dict[str, Any]]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except FileNotFoundError:
            return []
        self._offset += len(chunk)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()
        records = []
        for line in lines:
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
        return records


@dataclass(frozen=True)
class WatchResult:
    fired: bool
    stalled: bool
    moment: clock.Instant  # when the rule fired, the window ended or the probe was found stalled
    last: Evaluation | None
    evaluations: int
    samples_seen: int
    peak_error_rate: float | None


def watch(
    tail: SampleTail,
    rule: AbortRule,
    *,
    duration: float,
    poll_interval: float = 0.2,
    stall_seconds: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> WatchResult:
    """Evaluate the rule every ``poll_interval`` until it fires or ``duration`` has passed.

    With ``stall_seconds``, stop early (``stalled``) when the probe wrote nothing for that long:
    without traffic the rule cannot see a regression, and the drill must not pretend it watched.
    """
    started = time.monotonic()
    deadline = started + duration
    last_sample = started
    evaluations = 0
    seen = 0
    peak: float | None = None
    last: Evaluation | None = None
    while True:
        records = tail.read()
        seen += len(records)
        rule.feed(records)
        moment = clock.now()
        if records:
            last_sample = moment.mono
        last = rule.evaluate(moment.mono)
        evaluations += 1
        if last.requests >= rule.min_requests and last.error_rate is not None:
            peak = last.error_rate if peak is None else max(peak, last.error_rate)
        if last.fired:
            return WatchResult(True, False, moment, last, evaluations, seen, peak)
        if stall_seconds is not None and moment.mono - last_sample >= stall_seconds:
            return WatchResult(False, True, moment, last, evaluations, seen, peak)
        if moment.mono >= deadline:
            return WatchResult(False, False, moment, last, evaluations, seen, peak)
        sleep(max(0.0, min(poll_interval, deadline - time.monotonic())))
