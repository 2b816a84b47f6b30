"""events.jsonl: every task and marker of a drill, one JSON object per line.

Several processes append to the same file (the timer callback in ansible-playbook, action
plugins in forked workers). Each record is written with a single ``os.write`` on an
``O_APPEND`` descriptor, so lines never interleave and whatever was written before a crash
stays on disk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from hadrill import clock
from hadrill.jsonl import append_line, read_lines

__all__ = ["append_line", "read_lines"]

EVENTS_FILE = "events.jsonl"


class Marker(BaseModel):
    """A named milestone (``incident``, ``smoke_passed``...) that figures are computed from."""

    model_config = ConfigDict(extra="allow")

    event: Literal["marker"] = "marker"
    name: str
    scenario: str | None = None
    ts: str
    mono: float
    data: dict[str, Any] = {}


class TaskEvent(BaseModel):
    """One task on one host, as the timer callback saw it."""

    model_config = ConfigDict(extra="allow")

    event: Literal["task"] = "task"
    task: str
    host: str
    status: Literal["ok", "failed", "skipped", "unreachable"]
    scenario: str | None = None
    phase: str | None = None
    start_ts: str
    end_ts: str
    start_mono: float
    end_mono: float
    duration_s: float
    changed: bool = False
    # A delegated task: the inventory host it ran on (a loop: the hosts of its items, comma-separated).
    delegated_to: str | None = None


def make_marker(
    name: str,
    *,
    scenario: str | None = None,
    data: Mapping[str, Any] | None = None,
    at: clock.Instant | None = None,
) -> dict[str, Any]:
    moment = at or clock.now()
    return Marker(
        name=name, scenario=scenario, ts=moment.iso, mono=moment.mono, data=dict(data or {})
    ).model_dump()


def record_marker(evidence_dir: Path, marker: Mapping[str, Any]) -> None:
    append_line(evidence_dir / EVENTS_FILE, marker)


def load_markers(evidence_dir: Path) -> list[Marker]:
    return [
        Marker.model_validate(item)
        for item in read_lines(evidence_dir / EVENTS_FILE)
        if item.get("event") == "marker"
    ]


def load_tasks(evidence_dir: Path) -> list[TaskEvent]:
    return [
        TaskEvent.model_validate(item)
        for item in read_lines(evidence_dir / EVENTS_FILE)
        if item.get("event") == "task"
    ]


class MarkerIndex:
    """Look up markers by name (and scenario); the first occurrence wins unless asked otherwise."""

    def __init__(self, markers: Iterable[Marker]):
        self._markers = sorted(markers, key=lambda item: item.mono)

    def all(self, name: str, scenario: str | None = None) -> list[Marker]:
        return [
            item
            for item in self._markers
            if item.name == name and (scenario is None or item.scenario == scenario)
        ]

    def first(self, name: str, scenario: str | None = None) -> Marker | None:
        found = self.all(name, scenario)
        return found[0] if found else None

    def last(self, name: str, scenario: str | None = None) -> Marker | None:
        found = self.all(name, scenario)
        return found[-1] if found else None

    def with_data(self, key: str) -> list[Marker]:
        """Markers carrying a given data key (for example ``mitigation``), in time order."""
        return [item for item in self._markers if item.data.get(key)]

    def between(self, start: str, end: str, scenario: str | None = None) -> float | None:
        """Monotonic seconds from the first ``start`` marker to the first ``end`` after it."""
        first = self.first(start, scenario)
        if first is None:
            return None
        later = [item for item in self.all(end, scenario) if item.mono >= first.mono]
        return later[0].mono - first.mono if later else None


class CheckEvent(BaseModel):
    """A verified fact: a precondition, a restored-data check, a replay proof."""

    model_config = ConfigDict(extra="allow")

    event: Literal["check"] = "check"
    name: str
    label: str = ""
    scenario: str | None = None
    passed: bool
    observed: Any = None
    expected: Any = None
    detail: str = ""
    # Why a passed check had nothing to compare; such a check is a warning, never a pass.
    compared_nothing: str = ""
    ts: str
    mono: float

    @property
    def status(self) -> str:
        if not self.passed:
            return "fail"
        return "warn" if self.compared_nothing else "pass"


class GateEvent(BaseModel):
    """One validation command: exit code, duration and where its output was saved."""

    model_config = ConfigDict(extra="allow")

    event: Literal["gate"] = "gate"
    name: str
    command: str
    host: str
    scenario: str | None = None
    rc: int | None
    passed: bool
    timed_out: bool = False
    duration_s: float
    started_at: str
    ts: str
    mono: float
    output_file: str | None = None


def load_checks(evidence_dir: Path) -> list[CheckEvent]:
    return [
        CheckEvent.model_validate(item)
        for item in read_lines(evidence_dir / EVENTS_FILE)
        if item.get("event") == "check"
    ]


def load_gates(evidence_dir: Path) -> list[GateEvent]:
    return [
        GateEvent.model_validate(item)
        for item in read_lines(evidence_dir / EVENTS_FILE)
        if item.get("event") == "gate"
    ]
