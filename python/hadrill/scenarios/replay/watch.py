"""Watch the backlog sample file while the drill runs (controller side of ``backlog_watch``).

Three bounded waits, each ending at a deadline on the monotonic clock whatever the samples say:

- ``hold``: until ``since + seconds``; with a cap, earlier as soon as a sample passes the cap.
- ``drain``: until ``steady`` consecutive samples after the resume are inside the envelope, the
  first of them within ``resumed + timeout``; or ``resumed + timeout`` (a run that began by then
  is waited for while it lasts, a few samples at most).
- ``baseline``: a hold without cap, then the baseline of the window's samples.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hadrill.scenarios.replay import analysis
from hadrill.scenarios.replay.analysis import BacklogPoint, Envelope

Clock = Callable[[], float]
Sleep = Callable[[float], None]


@dataclass
class SampleTail:
    """The complete lines appended to a JSON-lines file since the last read."""

    path: Path
    offset: int = 0
    records: list[dict[str, Any]] = field(default_factory=list)

    def poll(self) -> list[BacklogPoint]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except FileNotFoundError:
            chunk = b""
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits for the next poll
        self.offset += len(complete)
        for raw in complete.splitlines():
            try:
                self.records.append(json.loads(raw))
            except ValueError:
                continue
        return analysis.points_from_samples(self.records)

    def last_error(self) -> str | None:
        for record in reversed(self.records):
            if record.get("error"):
                return str(record["error"])
        return None


def _wait(until: float, poll_seconds: float, clock: Clock, sleep: Sleep) -> bool:
    """Sleep one poll step; False once the deadline has passed."""
    remaining = until - clock()
    if remaining <= 0:
        return False
    sleep(min(poll_seconds, remaining))
    return True


@dataclass(frozen=True)
class HoldResult:
    reason: str  # "duration" or "cap"
    cap_point: BacklogPoint | None
    peak: BacklogPoint | None
    samples: int


def hold(
    tail: SampleTail, *, since: float, seconds: float, cap: float | None = None,
    poll_seconds: float = 0.1, clock: Clock = time.monotonic, sleep: Sleep = time.sleep,
) -> HoldResult:
    deadline = since + seconds
    while True:
        points = analysis.window(tail.poll(), since)
        if cap is not None:
            above = analysis.first_above(points, since, cap)
            if above is not None:
                return HoldResult("cap", above, analysis.peak(points), len(points))
        if not _wait(deadline, poll_seconds, clock, sleep):
            return HoldResult("duration", None, analysis.peak(points), len(points))


@dataclass(frozen=True)
class DrainResult:
    run: list[BacklogPoint] | None
    last: BacklogPoint | None
    peak: BacklogPoint | None

    @property
    def drained(self) -> bool:
        return self.run is not None


def _trailing_run(points: list[BacklogPoint], after: float, env: Envelope) -> list[BacklogPoint]:
    """The newest samples after ``after``, all inside the envelope (a run still growing)."""
    run: list[BacklogPoint] = []
    for point in points:
        if point.mono < after:
            continue
        run = run + [point] if point.backlog is not None and env.contains(point.backlog) else []
    return run


def _sample_gap(points: list[BacklogPoint]) -> float:
    gaps = [later.mono - earlier.mono for earlier, later in zip(points, points[1:]) if later.mono > earlier.mono]
    return statistics.median(gaps) if gaps else 1.0


def drain(
    tail: SampleTail, *, resumed: float, env: Envelope, steady: int, timeout: float,
    poll_seconds: float = 0.1, clock: Clock = time.monotonic, sleep: Sleep = time.sleep,
) -> DrainResult:
    """Drained when the first of ``steady`` consecutive samples inside the envelope was taken
    within ``timeout`` of the resume (the drain time is measured to that sample). A run that began
    in time is waited for past the deadline while it lasts (bounded by its remaining samples); a
    run that began later is a drain, but not within the timeout."""
    deadline = resumed + timeout
    while True:
        points = tail.poll()
        after = analysis.window(points, resumed)
        run = analysis.drained(points, resumed, env, steady)
        if run is not None or clock() >= deadline:
            if run is not None and run[0].mono <= deadline:
                return DrainResult(run, after[-1] if after else None, analysis.peak(after))
            growing = _trailing_run(points, resumed, env)
            grace = deadline + (steady + 1) * _sample_gap(after) + 1.0
            if run is None and growing and growing[0].mono <= deadline and clock() < grace:
                sleep(poll_seconds)
                continue
            return DrainResult(None, after[-1] if after else None, analysis.peak(after))
        _wait(deadline, poll_seconds, clock, sleep)


def baseline(
    tail: SampleTail, *, since: float, seconds: float,
    poll_seconds: float = 0.1, clock: Clock = time.monotonic, sleep: Sleep = time.sleep,
) -> tuple[analysis.Baseline | None, int]:
    """Wait out the baseline window; its baseline (None if no sample was readable) and the
    number of samples taken in it, readable or not."""
    hold(tail, since=since, seconds=seconds, poll_seconds=poll_seconds, clock=clock, sleep=sleep)
    points = tail.poll()
    taken = [point for point in points if point.mono >= since]
    return analysis.baseline(analysis.window(points, since)), len(taken)


def point_data(point: BacklogPoint | None) -> dict[str, Any] | None:
    if point is None:
        return None
    return {"ts": point.ts, "mono": point.mono, "backlog": point.backlog, "failed": point.failed}
