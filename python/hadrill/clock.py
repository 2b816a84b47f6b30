"""Controller clock: UTC wall time for the record, monotonic time for every duration."""

from __future__ import annotations

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
