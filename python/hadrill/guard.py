"""The guard every fault passes, however the drill was started.

``hadrill.drills.drill_start`` validates the configuration and refuses a production inventory
without its opt-in, but a play can skip it (``--start-at-task``, ``--tags``, AWX job tags, a
scenario role included from another playbook). So each role and each action that changes a host
asks again, at the moment of the change:

1. did ``drill_start`` run for this drill in this very run? (its ``drill.json`` names the drill,
   and the environment's drill lock is held by a process this task runs under);
2. is the scenario one this drill selected?
3. is the environment class the inventory's, the same on every host, not lowered by extra vars,
   by play or task variables or by facts, and equal to the one the drill started with?
4. for production: is the opt-in given and confirmed for this drill id?

Everything here is pure logic over values the caller reads; the action plugins read them from
Ansible.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hadrill import lock, processes
from hadrill.config.guard import environment_class_problems, extra_var_problems

SCENARIO_TAGS = ("restore", "rollback", "replay")
# Tags that select nothing by themselves: Ansible's own selectors.
NEUTRAL_TAGS = ("all", "always")


class GuardRefused(RuntimeError):
    """A fault that must not happen; the message says why and what to do instead."""


def tag_selection(selected: Iterable[str], tags: Iterable[str], skip_tags: Iterable[str]) -> list[str]:
    """The scenarios a run with ``--tags``/``--skip-tags`` (AWX job tags and skip tags) performs.

    Scenario tags narrow the drill's selection; ``all``/``always`` leave it as it is. Any other tag
    is refused: every task of the drill is tagged ``always`` (preconditions, the guard, the
    evidence must run whatever is selected), so a tag that is not a scenario would select or skip
    nothing the operator could predict. Skipping ``always`` would skip the guard and the evidence.
    """
    chosen = [name for name in selected]
    tags = [tag for tag in tags if tag]
    skip = [tag for tag in skip_tags if tag]
    unknown = sorted({tag for tag in tags + skip if tag not in SCENARIO_TAGS + NEUTRAL_TAGS})
    if unknown:
        raise GuardRefused(
            f"--tags/--skip-tags {unknown}: a drill can only be narrowed to scenarios "
            f"({', '.join(SCENARIO_TAGS)}); set drill_scenarios or use hadrill run --scenario instead"
        )
    if any(tag in NEUTRAL_TAGS for tag in skip):
        raise GuardRefused("--skip-tags always/all would skip the drill's guard and its evidence; skip scenarios by name")
    narrowed = [tag for tag in tags if tag in SCENARIO_TAGS]
    if narrowed and not any(tag in NEUTRAL_TAGS for tag in tags):
        outside = [tag for tag in narrowed if tag not in chosen]
        if outside:
            raise GuardRefused(
                f"--tags {', '.join(outside)}: not among this drill's scenarios ({', '.join(chosen) or 'none'}, "
                "from drill_scenarios); tags can only narrow the selection"
            )
        chosen = [name for name in chosen if name in narrowed]
    return [name for name in chosen if name not in skip]


def environment_class(classes_by_host: Mapping[str, Any]) -> str:
    """The one environment class every host resolves to; refuse a missing or a mixed one
    (the rule ``hadrill.config.validate`` applies before the drill starts)."""
    problems = environment_class_problems(classes_by_host)
    if problems:
        raise GuardRefused("; ".join(problems))
    return str(next(iter(classes_by_host.values())))


def class_not_overridden(inventory_class: str, *, extra_vars: Mapping[str, Any], play_value: Any,
                         fact_hosts: Iterable[str]) -> None:
    """The class is the inventory's: not an extra var (as validation refuses it), not set by the
    play or a task, not a fact."""
    problems = extra_var_problems(list(extra_vars), inventory_class)
    if problems:
        raise GuardRefused("; ".join(problems))
    facts = sorted(fact_hosts)
    if facts:
        raise GuardRefused(f"drill_environment_class is set as a fact on {', '.join(facts)}: it belongs to the inventory")
    if play_value is not None and str(play_value) != inventory_class:
        raise GuardRefused(
            f"drill_environment_class is {play_value!r} in the play or task variables but {inventory_class!r} in the "
            "inventory: it cannot be overridden for a run"
        )


def drill_record(evidence_dir: str | None, drill_id: str | None, pid: int) -> dict[str, Any]:
    """drill.json of the drill this process runs; refuse when drill_start did not run in this run."""
    how = ("run the drill with hadrill run or playbooks/drill.yml from its start (--start-at-task, and a scenario "
           "role included from another playbook, skip the drill's first task hadrill.drills.drill_start)")
    if not evidence_dir or not drill_id:
        raise GuardRefused(f"this task changes a host, and no drill was started in this run: {how}")
    record_path = Path(evidence_dir) / "drill.json"
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise GuardRefused(f"drill {drill_id}: no readable {record_path}; {how}") from None
    if not isinstance(record, dict) or record.get("drill_id") != drill_id:
        raise GuardRefused(f"{record_path} does not belong to drill {drill_id}; {how}")
    environment = str(record.get("environment", ""))
    holder = lock.read_lock(Path(evidence_dir).parent, environment) or {}
    running_under = [pid, *processes.ancestors(pid)]
    if holder.get("drill_id") != drill_id or int(holder.get("pid") or 0) not in running_under:
        raise GuardRefused(
            f"drill {drill_id} was not started by this run (the drill lock of {environment!r} is held by "
            f"{holder.get('drill_id') or 'nobody'}, pid {holder.get('pid') or '-'}); {how}"
        )
    return record


def check_fault(record: Mapping[str, Any], *, scenario: str | None, live_class: str,
                allow_production: bool, confirm_id: str | None) -> None:
    """Refuse a fault the started drill did not agree to."""
    drill_id = record.get("drill_id")
    if scenario and scenario not in (record.get("scenarios") or []):
        raise GuardRefused(
            f"scenario {scenario} was not selected for drill {drill_id} (selected: {', '.join(record.get('scenarios') or []) or 'none'})"
        )
    started_class = record.get("environment_class")
    if live_class != started_class:
        raise GuardRefused(
            f"drill {drill_id} started as {started_class!r} but the inventory now says drill_environment_class "
            f"{live_class!r}: start the drill again"
        )
    if live_class == "production" and (not allow_production or confirm_id != drill_id):
        raise GuardRefused(
            f"drill {drill_id} runs on a production inventory without its confirmed opt-in "
            "(drill_allow_production: true and drill_confirm_id equal to the drill id): refused"
        )
