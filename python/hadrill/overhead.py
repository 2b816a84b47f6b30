"""Where a drill's time goes: intrinsic time and overhead, from its recorded tasks.

A drill should spend its time in the failure. Its **intrinsic** time is what it cannot do
without: the waits the inventory configures (the canary warm-up, baselines, the observation
window, the pause, recovery windows) and the time the services themselves take (the restore and
promotion, the verification API's start and smoke, draining, restarting and readying a replica,
stopping and starting the worker, the backlog's drain, the WAL switch, the replay proof's reads,
the validation commands). Everything else is **overhead**: Ansible running tasks, and hadrill's
own bookkeeping (validation, preconditions, markers, checks, the journal, samplers, sealing).

The split is computed from ``events.jsonl`` task events: intrinsic time is the union of the
intervals of the tasks listed below (their own durations, never a marker interval that would hide
the Ansible tasks inside it); overhead is the drill's wall time minus that union.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Actions whose whole task is a configured wait.
WAIT_ACTIONS = frozenset({
    "ansible.builtin.pause", "ansible.builtin.wait_for",
    "hadrill.drills.backlog_watch",     # baseline, pause hold, drain watch, post-drain window
    "hadrill.drills.traffic_watch",     # the observation window (ends early when the abort rule fires)
})
# Actions whose whole task is a service doing its work (restoring, starting, draining, answering).
SERVICE_ACTIONS = frozenset({
    "hadrill.drills.restore_incident",   # the WAL switch and its archiving
    "hadrill.drills.restore_instance",   # restore, start, promotion; the instance's teardown
    "hadrill.drills.restore_process",    # the verification API and worker starting and stopping
    "hadrill.drills.restore_smoke",      # the smoke's requests (waiting for the API and the index)
    "hadrill.drills.haproxy_server",     # draining a replica, waiting for it to be up
    "hadrill.drills.rollback_wait_ready",
    "hadrill.drills.platform",           # stopping, starting, deploying through the platform adapter
    "hadrill.drills.replay_proof",       # reading every write back from the application
    "hadrill.drills.gate",               # the inventory's validation commands
    "hadrill.drills.drill_cleanup",      # removing what the drill wrote
})
# Tasks of the platform role that run the adapter's commands (the role's other tasks are plumbing).
PLATFORM_COMMAND_TASKS = (
    "Stop, start or restart the program", "Run the inventory's stop, start or deploy command",
)


def kind_of(task: Mapping[str, Any]) -> str:
    """``wait``, ``service`` or ``overhead`` for one task event."""
    action = str(task.get("action", ""))
    if action in WAIT_ACTIONS:
        return "wait"
    if action in SERVICE_ACTIONS:
        return "service"
    name = str(task.get("task", "")).split(" : ", 1)[-1]  # the callback prefixes a role's tasks with it
    if task.get("role") == "platform" and name.startswith(PLATFORM_COMMAND_TASKS):
        return "service"
    return "overhead"


def _union(intervals: Iterable[tuple[float, float]]) -> float:
    total, current_start, current_end = 0.0, None, None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None and current_start is not None:
        total += current_end - current_start
    return total


@dataclass
class TimeSplit:
    wall_seconds: float
    wait_seconds: float
    service_seconds: float
    intrinsic_seconds: float
    overhead_seconds: float
    tasks: int
    # Where the overhead goes: (action, role) -> (count, seconds), largest first.
    overhead_by_action: list[tuple[str, int, float]] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        """Overhead relative to the intrinsic time (the target for a sandbox drill: at most 0.25)."""
        return self.overhead_seconds / self.intrinsic_seconds if self.intrinsic_seconds else None


def split(events: Iterable[Mapping[str, Any]]) -> TimeSplit:
    """The time split of one drill from its events (task events carry start/end on the monotonic clock)."""
    tasks = [item for item in events if item.get("event") == "task" and item.get("end_mono") is not None]
    if not tasks:
        return TimeSplit(0.0, 0.0, 0.0, 0.0, 0.0, 0)
    wall = max(item["end_mono"] for item in tasks) - min(item["start_mono"] for item in tasks)
    intervals: dict[str, list[tuple[float, float]]] = {"wait": [], "service": []}
    by_action: dict[str, list[float]] = {}
    for item in tasks:
        kind = kind_of(item)
        if kind == "overhead":
            key = f"{item.get('action')} ({item.get('role') or 'drill'})"
            entry = by_action.setdefault(key, [0, 0.0])
            entry[0] += 1
            entry[1] += float(item.get("duration_s") or 0.0)
        else:
            intervals[kind].append((float(item["start_mono"]), float(item["end_mono"])))
    wait = _union(intervals["wait"])
    service = _union(intervals["service"])
    intrinsic = _union(intervals["wait"] + intervals["service"])
    ranked = sorted(((key, int(count), seconds) for key, (count, seconds) in by_action.items()),
                    key=lambda row: -row[2])
    return TimeSplit(wall_seconds=wall, wait_seconds=wait, service_seconds=service, intrinsic_seconds=intrinsic,
                     overhead_seconds=max(wall - intrinsic, 0.0), tasks=len(tasks), overhead_by_action=ranked)
