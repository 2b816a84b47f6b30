"""The real outage: when the workers actually stopped and resumed processing.

The markers say when the drill asked: ``worker_stop_requested`` (just before the platform's stop
command), ``worker_paused`` (the platform reports every worker stopped) and ``worker_resumed``
(just before the start command). A worker may stop processing as soon as the stop command is
issued, seconds before the platform confirms it, and may begin processing seconds after its
start returned. Writes acknowledged in those seconds waited for the worker like the others, so
the replay proof covers them and the report shows this outage beside the pause.

Each readable backlog sample bounds the cumulative count of processed work, ``lo <= n <= hi``:

- ``processed``: the inventory names a reading that rises whenever the worker processes work
  (a count of processed events, a counter, the time of the newest processed event):
  ``lo = hi =`` that reading.
- ``backlog`` (the default): from the backlog and the drill's own writes, ``lo`` = writes
  acknowledged before the sample's reading started - backlog, ``hi`` = writes sent before the
  reading completed - backlog. A write is committed before it is acknowledged and not before
  it is sent, so the processed count (up to a constant) lies in between; work written by
  anyone else only lowers it.

Processing certainly happened between samples ``i < j`` when ``lo[j] > hi[i]``. Then:

- processing stopped after the last sample ``i`` taken before the resume request for which
  processing is certain after it (some ``j``, also before the resume request), and never
  before the stop command (the outage is the drill's);
- processing resumed by the first sample ``j`` for which processing is certain since a sample
  ``i`` taken at or after the resume request.

Both err on the long side, by up to about one sample interval each: the measured outage
covers the real one, and the proof window (stop command -> first processing after the
resume) covers every write that waited for a worker.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hadrill.scenarios.replay.analysis import BacklogPoint

METHOD_PROCESSED = "processed"
METHOD_BACKLOG = "backlog"
METHOD_TEXT = {
    METHOD_PROCESSED: "the inventory's processed reading",
    METHOD_BACKLOG: "the backlog and the drill's acknowledged writes",
}


@dataclass(frozen=True)
class Bound:
    """What one sample says about the cumulative processed count."""

    mono: float
    ts: str
    lo: float
    hi: float


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def bounds(points: Sequence[BacklogPoint], writes: Iterable[Mapping[str, Any]]) -> tuple[str, list[Bound]]:
    """The method used and the bounds of every usable sample, in time order."""
    if any(point.processed is not None for point in points):
        return METHOD_PROCESSED, [
            Bound(point.mono, point.ts, point.processed, point.processed)
            for point in points if point.processed is not None
        ]
    acked: list[float] = []
    sent: list[float] = []
    for item in writes:
        answered = _number(item.get("mono"))
        if answered is None:
            continue
        sent_at = _number(item.get("sent_mono"))
        sent.append(sent_at if sent_at is not None else answered)
        if item.get("ok"):
            acked.append(answered)
    acked.sort()
    sent.sort()
    return METHOD_BACKLOG, [
        Bound(point.mono, point.ts,
              lo=bisect.bisect_right(acked, point.read_from) - point.backlog,
              hi=bisect.bisect_right(sent, point.mono) - point.backlog)
        for point in points if point.backlog is not None
    ]


@dataclass(frozen=True)
class Outage:
    method: str
    stop_requested: float
    resume_requested: float
    # The sample after which processing was last certain before the resume request.
    last_processing: Bound | None
    # The first sample by which processing had certainly resumed.
    first_processing: Bound | None

    @property
    def stopped_at(self) -> float:
        """When processing stopped, at the earliest: never before the stop command."""
        if self.last_processing is None:
            return self.stop_requested
        return max(self.last_processing.mono, self.stop_requested)

    @property
    def stopped_at_stop_command(self) -> bool:
        return self.stopped_at == self.stop_requested

    @property
    def resumed_at(self) -> float | None:
        return self.first_processing.mono if self.first_processing else None

    @property
    def seconds(self) -> float | None:
        return self.resumed_at - self.stopped_at if self.resumed_at is not None else None


def measure(
    points: Sequence[BacklogPoint], writes: Iterable[Mapping[str, Any]], *,
    stop_requested: float, resume_requested: float,
) -> Outage:
    method, found = bounds(points, writes)
    last = None
    later_lo = -math.inf  # the largest lo of the samples after the one looked at
    for bound in reversed([item for item in found if item.mono <= resume_requested]):
        if bound.hi < later_lo:
            last = bound
            break
        later_lo = max(later_lo, bound.lo)
    first = None
    earlier_hi = math.inf  # the smallest hi since the resume request
    for bound in (item for item in found if item.mono >= resume_requested):
        if bound.lo > earlier_hi:
            first = bound
            break
        earlier_hi = min(earlier_hi, bound.hi)
    return Outage(method, stop_requested, resume_requested, last, first)


@dataclass(frozen=True)
class ProofWindow:
    """Writes acknowledged in [start, end] waited for a worker and must have been processed."""

    start: float
    end: float
    basis: str

    def as_dict(self) -> dict[str, Any]:
        return {"from_mono": self.start, "to_mono": self.end, "end": self.basis}


def proof_window(outage: Outage, points: Sequence[BacklogPoint]) -> ProofWindow:
    """From the stop command to the first processing after the resume; when no processing was
    seen after the resume, to the last backlog sample (every write acknowledged while no worker
    was seen working)."""
    if outage.resumed_at is not None:
        return ProofWindow(outage.stop_requested, outage.resumed_at, "first processing after the resume")
    last = max((point.mono for point in points), default=outage.resume_requested)
    return ProofWindow(outage.stop_requested, max(last, outage.resume_requested),
                       "last backlog sample (no processing seen after the resume)")


def describe(outage: Outage) -> dict[str, Any]:
    """The outage as recorded in the proof record and the summary's details."""
    return {
        "method": outage.method,
        "stop_requested_mono": outage.stop_requested,
        "stopped_mono": outage.stopped_at,
        "stopped_at_stop_command": outage.stopped_at_stop_command,
        "last_processing_sample": outage.last_processing.ts if outage.last_processing else None,
        "resume_requested_mono": outage.resume_requested,
        "resumed_mono": outage.resumed_at,
        "first_processing_sample": outage.first_processing.ts if outage.first_processing else None,
        "seconds": round(outage.seconds, 3) if outage.seconds is not None else None,
    }
