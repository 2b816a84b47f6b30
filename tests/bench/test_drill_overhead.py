"""Benchmark: where a three-scenario sandbox drill spends its time (issue 17: in the failure, not in Ansible).

Runs one drill (`hadrill run`, scenarios restore, rollback and replay) against the sandbox
(HADRILL_SANDBOX_VARS selects another one) and splits its time with hadrill.overhead, from the
task events the timer callback recorded: **intrinsic** (the waits the inventory configures, each
counted up to its configured seconds, and the services at work: restore, promotion, deploy, drain,
readiness...) and **overhead** (everything else: Ansible and hadrill's bookkeeping). Prints both,
their ratio (target: at most 0.25), the task count and where the overhead goes (by role and task
name, by action).

A benchmark, not a test of speed: it asserts only that the drill ran every scenario to its end and
that the split adds up (against the benchmark's own clock too), never a duration.
"""

from __future__ import annotations

import json
import os
import statistics
import time

import pytest

from hadrill.events import read_lines
from hadrill.overhead import OVERHEAD, SERVICE, WAIT, intrinsic_interval, kind_of, split
from tests.integration.conftest import Sandbox, bring_up, load_inventory_facts
from tests.support.drill import drill_env, hadrill

SCENARIOS = ("restore", "rollback", "replay")
TARGET_RATIO = 0.25
TOP = int(os.environ.get("HADRILL_BENCH_OVERHEAD_TOP", "15"))


def load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


@pytest.mark.benchmark
def test_overhead_of_a_three_scenario_sandbox_drill(tmp_path):
    sandbox = Sandbox(load_inventory_facts())
    if not sandbox.healthy():
        bring_up(sandbox)
    load_before = load()
    started = time.monotonic()
    run = hadrill("run", *sandbox.inventory_args, "--scenario", ",".join(SCENARIOS), env=drill_env(tmp_path),
                  timeout=1800)
    elapsed = time.monotonic() - started
    bundles = sorted(path for path in tmp_path.glob("ha_drill_*") if path.is_dir())
    assert len(bundles) == 1, run.stdout[-3000:] + run.stderr[-3000:]
    bundle = bundles[0]
    events = list(read_lines(bundle / "events.jsonl"))
    summary = json.loads((bundle / "summary.json").read_text())

    # The drill ran: every scenario reached its end (whatever its figures' verdicts on a busy machine).
    assert summary["run_status"] == "completed", run.stdout[-3000:]
    finished = {item.get("scenario") for item in events if item.get("event") == "marker" and item["name"] == "scenario_finished"}
    assert set(SCENARIOS) <= finished, (finished, run.stdout[-3000:])

    tasks = [item for item in events if item.get("event") == "task" and item.get("end_mono") is not None]
    result = split(events)
    # The split adds up, and every task says what its time is.
    assert all(item.get("time") in (WAIT, SERVICE, OVERHEAD) for item in tasks), [
        item["task"] for item in tasks if item.get("time") not in (WAIT, SERVICE, OVERHEAD)][:5]
    assert result.tasks == len(tasks)
    assert result.intrinsic_seconds + result.overhead_seconds == pytest.approx(result.wall_seconds, abs=1e-6)
    assert 0 < result.intrinsic_seconds <= result.wait_seconds + result.service_seconds + 1e-6
    assert result.wall_seconds <= elapsed  # the benchmark's own clock ran around the whole drill
    waits = [item for item in tasks if kind_of(item) == WAIT]
    assert waits and all(item.get("wait_s") is not None for item in waits), [item["task"] for item in waits]
    for item in waits:
        counted = intrinsic_interval(item)
        assert counted[1] - counted[0] <= float(item["wait_s"]) + 1e-6
    assert sum(seconds for _, _, seconds in result.overhead_by_task) >= result.overhead_in_tasks_seconds - 1e-6

    configured = sum(float(item["wait_s"]) for item in waits)
    service_tasks = [item for item in tasks if kind_of(item) == SERVICE]
    trivial = [item["duration_s"] for item in tasks if item["action"] in ("ansible.builtin.set_fact", "hadrill.drills.mark")]
    per_task = statistics.median(trivial) if trivial else 0.0
    ratio = result.ratio or 0.0
    print(f"\n[bench] three-scenario sandbox drill ({', '.join(SCENARIOS)}): result {summary.get('result')}, "
          f"load average {load_before} before, {load()} after")
    print(f"[bench] drill wall time {result.wall_seconds:.1f}s (first task start to last task end; "
          f"hadrill run {elapsed:.1f}s with start-up and seal)")
    print(f"[bench] intrinsic {result.intrinsic_seconds:.1f}s: configured waits {result.wait_seconds:.1f}s "
          f"({len(waits)} waits configured for {configured:.1f}s, ended early where the drill ends them), "
          f"services at work {result.service_seconds:.1f}s ({len(service_tasks)} tasks)")
    print(f"[bench] overhead {result.overhead_seconds:.1f}s: in tasks {result.overhead_in_tasks_seconds:.1f}s, "
          f"between tasks {result.between_tasks_seconds:.1f}s")
    print(f"[bench] overhead/intrinsic {ratio:.3f} (target <= {TARGET_RATIO}) -> "
          f"{'OK' if ratio <= TARGET_RATIO else 'ABOVE TARGET'}")
    print(f"[bench] tasks {result.tasks}; a trivial task (set_fact, mark) takes {per_task:.3f}s (median), so the "
          f"service tasks' own Ansible start is about {per_task * len(service_tasks):.1f}s of the intrinsic time")
    by_role: dict[str, float] = {}
    for key, _, seconds in result.overhead_by_task:
        role = key.split(":", 1)[0]
        by_role[role] = by_role.get(role, 0.0) + seconds
    print("[bench] overhead in tasks by role: " + ", ".join(
        f"{role} {seconds:.1f}s" for role, seconds in sorted(by_role.items(), key=lambda row: -row[1])))
    print("[bench] longest intrinsic tasks: " + "; ".join(
        f"{str(item['task']).split(' : ', 1)[-1][:60]} {item['duration_s']:.1f}s"
        for item in sorted((item for item in tasks if kind_of(item) != OVERHEAD), key=lambda row: -row["duration_s"])[:5]))
    print("[bench] top overhead by role: task name (count, seconds; a wait counts its time beyond its configured seconds)")
    for key, count, seconds in result.overhead_by_task[:TOP]:
        print(f"[bench]   {seconds:6.2f}s {count:3d}x  {key[:120]}")
    print("[bench] overhead by action (role)")
    for key, count, seconds in result.overhead_by_action[:TOP]:
        print(f"[bench]   {seconds:6.2f}s {count:3d}x  {key}")
