"""Benchmark: what the timer callback adds to a 500-task local playbook.

Prints the wall times with and without the callback, measured alternately in one run
(``HADRILL_BENCH_TIMER_ROUNDS`` rounds, default 16, at least 8: on a shared machine one run can
be 10 % off the next, and a 2 % difference needs many pairs to stand above that), the ratio of
the medians (target: under 1.02) with its bootstrap interval (tests.support.bench_stats: whether
the claim stands above the noise) and the spread: each side's relative interquartile range, and
the ratio of every round's pair.

Both sides run ansible-playbook through tests.support.callback_clock, which also adds up, inside
each run with the callback, the time its hooks take and the time ansible-core takes to copy each
task result for it: the callback's own time in that same run, as CPU time of the thread that ran
it (what it computed) and on the wall clock (an upper bound: it also holds the moments
ansible-playbook's other thread had the interpreter lock). The part and the whole see the same
machine, so this keeps still where the wall-clock ratio moves with the machine (on the machine
this was written on, one run can be 10 % off the next). It also prints the minor page faults the
hooks took: on that machine most of their CPU time (35,000 faults in the 1,503 hooks of a run, at
about 3.5 us each: 0.12 of their 0.15 CPU-s), as pages the controller touches after a worker fork
are copied or taken back from it. From the callback's own time, the in-run ratio: each run's wall
time against the same run without that time, with its bootstrap interval. It leaves out indirect
costs, which the wall-clock ratio keeps. A benchmark, not a test of speed: it asserts only that
both playbooks ran, that the callback recorded every task and that the clock saw its hooks called
and computing.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hadrill.events import read_lines
from tests.support.bench_stats import describe_ratio, spread

REPO = Path(__file__).resolve().parents[2]
TASKS = 500
ROUNDS = max(8, int(os.environ.get("HADRILL_BENCH_TIMER_ROUNDS", "16")))
TARGET_RATIO = 1.02
CALLBACK = "hadrill.drills.timer"


def playbook(path: Path) -> Path:
    lines = ["- hosts: localhost", "  gather_facts: false", "  tasks:"]
    for index in range(TASKS):
        kind = index % 3
        if kind == 0:
            lines += [f"    - name: task {index}", "      ansible.builtin.set_fact:", f"        value_{index % 7}: {index}"]
        elif kind == 1:
            lines += [f"    - name: task {index}", "      ansible.builtin.debug:", f"        msg: step {index}"]
        else:
            lines += [f"    - name: task {index}", "      ansible.builtin.assert:", f"        that: {index} >= 0", "        quiet: true"]
    path.write_text("\n".join(lines) + "\n")
    return path


def config_without_timer(path: Path) -> Path:
    """The project's ansible.cfg with the timer callback not enabled (everything else equal)."""
    text = (REPO / "ansible.cfg").read_text()
    text = text.replace("collections_path = ./.collections", f"collections_path = {REPO / '.collections'}")
    path.write_text("\n".join(line for line in text.splitlines() if not line.startswith("callbacks_enabled")) + "\n")
    return path


def run_once(book: Path, evidence: Path | None) -> tuple[float, dict]:
    """The run's wall time, and what tests.support.callback_clock saw the callback take inside it."""
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    env["PATH"] = str(REPO / ".venv" / "bin") + os.pathsep + env["PATH"]
    if evidence is None:
        env["ANSIBLE_CONFIG"] = str(config_without_timer(book.parent / "no-timer.cfg"))
    else:
        env["HADRILL_EVIDENCE_DIR"] = str(evidence)
    clock = book.parent / "callback-clock.json"
    clock.unlink(missing_ok=True)  # a run that fails before writing its clock leaves no stale one to read
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tests.support.callback_clock", str(clock), CALLBACK,
                    "-i", "localhost,", "-c", "local", str(book)], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL, timeout=1800)
    return time.perf_counter() - started, json.loads(clock.read_text())


@pytest.mark.benchmark
def test_timer_callback_overhead(tmp_path):
    book = playbook(tmp_path / "tasks.yml")
    without, with_timer = [], []
    # The callback's own time (its hooks and the result copies made for it) in each run with it.
    own_cpu: list[float] = []
    own_wall: list[float] = []
    page_faults: list[int] = []  # minor page faults taken inside its hooks
    for round_number in range(ROUNDS):
        evidence = tmp_path / f"evidence-{round_number}"
        sides = [(without, None), (with_timer, evidence)]
        # Which side goes first alternates: the second run of a round finds the caches the first
        # one warmed, and that should favour neither side.
        for times, evidence_dir in sides[::-1] if round_number % 2 else sides:
            seconds, clocked = run_once(book, evidence_dir)
            times.append(seconds)
            if evidence_dir is None:
                assert clocked["hooks"] == 0, clocked
            else:
                # task start, runner start and result for every task: the clock saw the callback work
                assert clocked["hooks"] >= 3 * TASKS, clocked
                assert clocked["hook_cpu_seconds"] > 0, clocked
                own_cpu.append(clocked["hook_cpu_seconds"] + clocked["copy_cpu_seconds"])
                own_wall.append(clocked["hook_seconds"] + clocked["copy_seconds"])
                page_faults.append(clocked["hook_page_faults"])
        recorded = [item for item in read_lines(evidence / "events.jsonl") if item["event"] == "task"]
        assert len(recorded) == TASKS
    base, timed = statistics.median(without), statistics.median(with_timer)
    pairs = [timer / plain for plain, timer in zip(without, with_timer)]
    print(f"\n[bench] {TASKS}-task local playbook, {ROUNDS} rounds (both sides in each, which goes first alternating)")
    print(f"[bench] without timer callback: median {base:.2f}s  IQR/median {spread(without):.1%}  "
          f"runs {[round(item, 2) for item in without]}")
    print(f"[bench] with timer callback:    median {timed:.2f}s  IQR/median {spread(with_timer):.1%}  "
          f"runs {[round(item, 2) for item in with_timer]}")
    print(f"[bench] per-round ratios: {[round(item, 3) for item in pairs]} "
          f"(median {statistics.median(pairs):.3f}, min {min(pairs):.3f}, max {max(pairs):.3f})")
    print(f"[bench] ratio with/without: {describe_ratio(with_timer, without, TARGET_RATIO, at_most=False)}")
    cpu_shares = [own / run for own, run in zip(own_cpu, with_timer)]
    wall_shares = [own / run for own, run in zip(own_wall, with_timer)]
    print(f"[bench] the callback's own time inside each run with it (its hooks, and ansible-core's copies of each "
          f"result for it): CPU median {statistics.median(cpu_shares):.2%} of the run (IQR/median "
          f"{spread(cpu_shares):.0%}, min {min(cpu_shares):.2%}, max {max(cpu_shares):.2%}); wall clock, an upper "
          f"bound, median {statistics.median(wall_shares):.2%} (min {min(wall_shares):.2%}, max {max(wall_shares):.2%})")
    print(f"[bench] minor page faults inside its hooks: median {statistics.median(page_faults):.0f} a run, "
          f"{statistics.median(page_faults) / TASKS:.0f} a task (a worker is forked for every task, and a page the "
          f"controller writes while a worker still shares it is copied first)")
    print("[bench] in-run ratio, each run against itself without the callback's own time (indirect costs not in it):")
    print(f"[bench]   CPU:  {describe_ratio(with_timer, [run - own for run, own in zip(with_timer, own_cpu)], TARGET_RATIO, at_most=False)}")
    print(f"[bench]   wall: {describe_ratio(with_timer, [run - own for run, own in zip(with_timer, own_wall)], TARGET_RATIO, at_most=False)}")
