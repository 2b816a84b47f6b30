"""Where a drill's time goes: intrinsic time and overhead, from its recorded tasks.

A drill should spend its time in the failure. Its **intrinsic** time is what it cannot do
without:

- the **waits the inventory configures** (the canary warm-up, the baselines, the observation
  window, the pause, the resume check, the recovery and post-drain windows): a waiting task counts
  for at most the seconds it was configured to wait, its own start and end are Ansible's;
- the **time the services themselves take**: the WAL switch, the restore and promotion, the
  verification instance's teardown, the verification API's start, smoke and stop, a replica's
  drain, deploy and readiness, the worker's stop and start, the load balancer seeing every backend
  up, reading the replayed writes back, the inventory's validation commands, removing what the
  drill wrote.

Everything else is **overhead**: Ansible running tasks (and the time between them), and hadrill's
own bookkeeping (validation, preconditions and every other read of a state, markers, checks, the
journal, samplers, sealing). A task that only reads (a platform adapter's ``status``, a load
balancer read without waiting, a port check, the work directories) is overhead, whatever action
runs it.

The timer callback classifies every task as it records it (``time``: ``wait``, ``service`` or
``overhead``, and ``wait_s`` for a configured wait), from its action and arguments, with
:func:`classify`. The split is then computed from ``events.jsonl``: intrinsic time is the union
of the intervals of the waiting and service tasks (their own durations, never a marker interval
that would hide the Ansible tasks inside it); overhead is the drill's wall time minus that union.
A service task's own start (a fork, a connection: a few hundredths of a second) is counted with it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

WAIT, SERVICE, OVERHEAD = "wait", "service", "overhead"

# Actions whose whole task is a configured wait, and the argument that says how long.
WAIT_ACTIONS = {
    "ansible.builtin.pause": "seconds",
    "ansible.builtin.wait_for": "timeout",     # a plain sleep: no port, path or search
    "hadrill.drills.backlog_watch": "seconds",   # baseline, pause hold, resume check, drain watch, post-drain window
    "hadrill.drills.traffic_watch": "duration_seconds",  # the observation window (ends early when the abort rule fires)
}
# Actions whose whole task is a service doing its work (restoring, starting, draining, answering).
SERVICE_ACTIONS = frozenset({
    "hadrill.drills.restore_incident",   # the WAL switch and its archiving
    "hadrill.drills.restore_smoke",      # the smoke's requests (waiting for the API and the index)
    "hadrill.drills.haproxy_server",     # draining a replica, waiting for it to be up
    "hadrill.drills.rollback_wait_ready",  # a replica becoming ready
    "hadrill.drills.replay_proof",       # reading every write back from the application
    "hadrill.drills.gate",               # the inventory's validation commands
})
# Actions whose task is a service at work only for some values of one argument (the rest are
# reads or bookkeeping): action -> (argument, its default, the values that are service work).
SERVICE_WHEN = {
    "hadrill.drills.platform": ("operation", None, frozenset({"stop", "start", "deploy"})),
    "hadrill.drills.restore_instance": ("state", "present", frozenset({"present", "absent"})),
    "hadrill.drills.restore_process": ("state", "started", frozenset({"started", "stopped", "serving"})),
    "hadrill.drills.haproxy_info": ("wait_all_up", False, frozenset({True})),
    "hadrill.drills.drill_cleanup": ("state", "done", frozenset({"done", "send"})),
}

BUILTIN_SHORT = {"pause": "ansible.builtin.pause", "wait_for": "ansible.builtin.wait_for"}


@functools.lru_cache(maxsize=512)
def _short(action: str) -> str:
    """``hadrill.drills.X`` for the collection's actions however they were named (FQCN or short)."""
    if "." not in action and action not in BUILTIN_SHORT:
        return f"hadrill.drills.{action}"
    return BUILTIN_SHORT.get(action, action)


@functools.lru_cache(maxsize=512)  # asked for every task by the timer callback, of a few actions
def may_wait_or_serve(action: str) -> bool:
    """Whether a task of ``action`` can be anything but overhead (its arguments decide the rest)."""
    name = _short(str(action or ""))
    return name in WAIT_ACTIONS or name in SERVICE_ACTIONS or name in SERVICE_WHEN


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _flag(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "yes", "on", "1", "false", "no", "off", "0"):
        return value.lower() in ("true", "yes", "on", "1")
    return value


def classify(action: str, args: Mapping[str, Any] | None, *, skipped: bool = False) -> tuple[str, float | None]:
    """``(kind, configured wait seconds or None)`` of one task from its action and arguments.

    ``args`` may be None (unknown): an action in SERVICE_WHEN then counts as what its argument's
    default makes it, or as overhead when the argument has no default. A skipped task is overhead.
    """
    if skipped:
        return OVERHEAD, None
    name = _short(str(action or ""))
    args = args if isinstance(args, Mapping) else {}
    if name in WAIT_ACTIONS:
        if name == "ansible.builtin.wait_for" and any(key in args for key in ("port", "path", "search_regex")):
            return SERVICE, None  # waiting for a service to open a port or write a file
        seconds = _number(args.get(WAIT_ACTIONS[name]))
        if name == "ansible.builtin.pause" and seconds is None and _number(args.get("minutes")) is not None:
            seconds = 60 * float(args["minutes"])
        return WAIT, seconds
    if name in SERVICE_ACTIONS:
        return SERVICE, None
    if name in SERVICE_WHEN:
        argument, default, service = SERVICE_WHEN[name]
        value = _flag(args.get(argument, default))
        return (SERVICE if isinstance(value, (str, bool)) and value in service else OVERHEAD), None
    return OVERHEAD, None


def kind_of(task: Mapping[str, Any]) -> str:
    """``wait``, ``service`` or ``overhead`` for one task event (as recorded, else from its action)."""
    recorded = task.get("time")
    if recorded in (WAIT, SERVICE, OVERHEAD):
        return str(recorded)
    return classify(str(task.get("action", "")), None, skipped=task.get("status") == "skipped")[0]


def intrinsic_interval(task: Mapping[str, Any]) -> tuple[float, float]:
    """The part of a waiting or service task that is intrinsic: all of it, except that a wait
    counts for at most the seconds it was configured to wait."""
    start, end = float(task["start_mono"]), float(task["end_mono"])
    configured = _number(task.get("wait_s"))
    if kind_of(task) == WAIT and configured is not None:
        end = min(end, start + configured)
    return start, end


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
    # Overhead spent inside tasks (the rest is Ansible between tasks).
    overhead_in_tasks_seconds: float = 0.0
    # Where the overhead goes: (key, count, seconds), largest first; by action and role, and by
    # role and task name.
    overhead_by_action: list[tuple[str, int, float]] = field(default_factory=list)
    overhead_by_task: list[tuple[str, int, float]] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        """Overhead relative to the intrinsic time (the target for a sandbox drill: at most 0.25)."""
        return self.overhead_seconds / self.intrinsic_seconds if self.intrinsic_seconds else None

    @property
    def between_tasks_seconds(self) -> float:
        return max(self.overhead_seconds - self.overhead_in_tasks_seconds, 0.0)


def _ranked(table: Mapping[str, list[float]]) -> list[tuple[str, int, float]]:
    return sorted(((key, int(count), seconds) for key, (count, seconds) in table.items()), key=lambda row: -row[2])


def split(events: Iterable[Mapping[str, Any]]) -> TimeSplit:
    """The time split of one drill from its events (task events carry start/end on the monotonic clock)."""
    tasks = [item for item in events if item.get("event") == "task" and item.get("end_mono") is not None]
    if not tasks:
        return TimeSplit(0.0, 0.0, 0.0, 0.0, 0.0, 0)
    wall = max(item["end_mono"] for item in tasks) - min(item["start_mono"] for item in tasks)
    intervals: dict[str, list[tuple[float, float]]] = {WAIT: [], SERVICE: []}
    overhead_intervals: list[tuple[float, float]] = []
    by_action: dict[str, list[float]] = {}
    by_task: dict[str, list[float]] = {}
    for item in tasks:
        kind = kind_of(item)
        start, end = float(item["start_mono"]), float(item["end_mono"])
        if kind == OVERHEAD:
            spent = end - start
            overhead_intervals.append((start, end))
        else:
            start_in, end_in = intrinsic_interval(item)
            intervals[kind].append((start_in, end_in))
            spent = (end - start) - (end_in - start_in)  # a wait's Ansible time beyond its configured seconds
            if spent <= 0:
                continue
            overhead_intervals.append((end_in, end))
        role = item.get("role") or "drill"
        for table, key in ((by_action, f"{item.get('action')} ({role})"),
                           (by_task, f"{role}: {str(item.get('task', '')).split(' : ', 1)[-1]}")):
            entry = table.setdefault(key, [0, 0.0])
            entry[0] += 1
            entry[1] += spent
    intrinsic = _union(intervals[WAIT] + intervals[SERVICE])
    overhead = max(wall - intrinsic, 0.0)
    in_tasks = _union(intervals[WAIT] + intervals[SERVICE] + overhead_intervals) - intrinsic
    return TimeSplit(wall_seconds=wall, wait_seconds=_union(intervals[WAIT]), service_seconds=_union(intervals[SERVICE]),
                     intrinsic_seconds=intrinsic, overhead_seconds=overhead, tasks=len(tasks),
                     overhead_in_tasks_seconds=min(max(in_tasks, 0.0), overhead),
                     overhead_by_action=_ranked(by_action), overhead_by_task=_ranked(by_task))
