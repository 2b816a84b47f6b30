"""The restore phase (``restore_started`` to ``promoted``) step by step, from a drill's own events.

The phase is what the restore benchmark compares with pgBackRest run by hand. Its steps come
from the scenario's markers and what they carry:

- ``restore_finished``: ``host_seconds``, how long pgBackRest itself ran, timed on the database
  host around it;
- ``instance_started``: ``settings_seconds`` and ``start_seconds`` (appending the instance's
  settings, ``pg_ctl start``), timed there too, and ``command_seconds``, the whole command on the
  host from its first step to its last;
- ``promoted``: ``waited_seconds`` (from the instance's start to promotion) and ``polls`` (the
  ``pg_is_in_recovery()`` queries and connection attempts of the wait).

What the markers span and the command did not is the command's start and its round trip (the
connection, ``become``, the shell). The rest is what no step accounts for (nothing but rounding
when the host's timings are there: they follow each other). A bundle from before
these figures were recorded gives the marker intervals only. The phase lies inside one task, the
restore (a service task for :mod:`hadrill.overhead`); what that task spends outside the phase
(checking the port and the backup sets, the journal) is reported beside it, not in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hadrill import overhead

SCENARIO = "restore"
ROUND_TRIPS = "command start and round trips"
RESTORE = "pgBackRest restore"
SETTINGS = "settings appended"
START = "server start (pg_ctl start)"
PROMOTION = "promotion wait (replay, promotion, polls)"
RESTORE_COMMAND = "restore command (round trip included)"
START_COMMAND = "settings and start command (round trip included)"
REST = "rest"


@dataclass
class PhaseSteps:
    """The phase's total and its steps, in order; ``polls`` of the promotion wait when known."""

    total_seconds: float
    steps: list[tuple[str, float]]
    polls: int | None = None
    # The restore task around the phase (hadrill.overhead's kind and the time outside the phase).
    task_kind: str | None = None
    task_outside_seconds: float | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, float]:
        return dict(self.steps)


def _first_markers(events: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    first: dict[str, Mapping[str, Any]] = {}
    for item in sorted((item for item in events if item.get("event") == "marker" and item.get("scenario") == SCENARIO),
                       key=lambda item: float(item["mono"])):
        first.setdefault(str(item["name"]), item)
    return first


def _number(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def drill_steps(events: Iterable[Mapping[str, Any]]) -> PhaseSteps | None:
    """The restore phase of one drill from its ``events.jsonl`` records; None if it never promoted."""
    events = list(events)
    first = _first_markers(events)
    names = ("restore_started", "restore_finished", "instance_started", "promoted")
    if any(name not in first for name in names):
        return None
    started, finished, running, promoted = (float(first[name]["mono"]) for name in names)
    total = promoted - started
    restore_data = dict(first["restore_finished"].get("data") or {})
    start_data = dict(first["instance_started"].get("data") or {})
    promoted_data = dict(first["promoted"].get("data") or {})
    on_host = [_number(restore_data, "host_seconds"), _number(start_data, "settings_seconds"),
               _number(start_data, "start_seconds"), _number(start_data, "command_seconds")]
    steps: list[tuple[str, float]]
    if all(value is not None for value in on_host):
        restore, settings, start, command = (float(value or 0.0) for value in on_host)
        steps = [(ROUND_TRIPS, (running - started) - command), (RESTORE, restore), (SETTINGS, settings),
                 (START, start), (PROMOTION, promoted - running)]
    else:
        steps = [(RESTORE_COMMAND, finished - started), (START_COMMAND, running - finished),
                 (PROMOTION, promoted - running)]
    steps.append((REST, total - sum(seconds for _, seconds in steps)))
    polls = promoted_data.get("polls")
    result = PhaseSteps(total_seconds=total, steps=steps, polls=int(polls) if isinstance(polls, int) else None)
    task = _restore_task(events, started, promoted)
    if task is not None:
        result.task_kind = overhead.kind_of(task)
        result.task_outside_seconds = float(task["end_mono"]) - float(task["start_mono"]) - total
    return result


def _restore_task(events: list[Mapping[str, Any]], start: float, end: float) -> Mapping[str, Any] | None:
    """The task event whose interval holds the phase (the restore task)."""
    holding = [item for item in events if item.get("event") == "task" and item.get("end_mono") is not None
               and float(item["start_mono"]) <= start and float(item["end_mono"]) >= end]
    return min(holding, key=lambda item: float(item["end_mono"]) - float(item["start_mono"]), default=None)
