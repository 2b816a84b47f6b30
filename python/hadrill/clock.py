"""Controller clock: UTC wall time for the record, monotonic time for every duration."""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone


@dataclass(frozen=True)
class Instant:
    """One reading of both clocks, taken together.

    Wall time is what an operator reads in the report; monotonic time is immune to NTP steps
    and is the only clock durations are computed from. CLOCK_MONOTONIC is system wide on Linux,
    so readings from the callback, action plugins and sampler processes compare directly.
    """

    wall: datetime
    mono: float

    @property
    def iso(self) -> str:
        return format_utc(self.wall)


def now() -> Instant:
    return Instant(wall=datetime.now(timezone.utc), mono=time.monotonic())


def format_utc(moment: datetime) -> str:
    """ISO 8601 UTC with microseconds and a trailing Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def format_epoch(epoch: float) -> str:
    """What ``format_utc(datetime.fromtimestamp(epoch, timezone.utc))`` writes (microseconds rounded
    half to even, as datetime rounds them), with each second formatted once.

    The timer callback formats two per task in ansible-playbook's own process, where every object
    touched after a worker fork costs a page copy: the datetime way touched about twice as many.
    """
    fraction, whole = math.modf(epoch)
    micros, seconds = round(fraction * 1e6), int(whole)
    if micros >= 1_000_000:
        micros, seconds = micros - 1_000_000, seconds + 1
    elif micros < 0:  # before 1970: the fraction of a negative epoch is negative
        micros, seconds = micros + 1_000_000, seconds - 1
    return f"{_utc_second(seconds)}.{micros:06d}Z"


@functools.lru_cache(maxsize=4)
def _utc_second(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def parse_utc(text: str) -> datetime:
    """Parse what format_utc wrote (and any ISO 8601 with an offset)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"timestamp without a UTC offset: {text!r}")
    return value.astimezone(timezone.utc)


def parse_utc_or_none(text: str | None) -> datetime | None:
    """parse_utc, or None for no text or a text that is not such a timestamp (a step not reached)."""
    if not text:
        return None
    try:
        return parse_utc(text)
    except ValueError:
        return None


def format_duration(seconds: float | None) -> str:
    """Human duration as in the reference record: 18m40s, 7m, 2.4s."""
    if seconds is None:
        return "n/a"
    if seconds < 0:
        return "-" + format_duration(-seconds)
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{hours}h" if hours else ""
    if minutes:
        text += f"{minutes}m"
    if secs:
        text += f"{secs}s"
    return text or "0s"
