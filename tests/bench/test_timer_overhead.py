"""Benchmark: what the timer callback adds to a 500-task local playbook.

Each round runs the playbook twice at the same moment, one run with the callback and one without
(launched together, which one first alternating): on a shared machine one run can be 10 % off the
next, but a slow moment slows both runs of a round, and each round's own ratio keeps still where
runs made one after the other do not (on the machine this was written on, the ratios of runs made
one after the other went from 0.88 to 1.11 in 8 rounds; those of runs made together, from 0.98 to
1.04 in 24). ``HADRILL_BENCH_TIMER_ROUNDS`` rounds (default 24, at least 8). Both sides are plain
``ansible-playbook`` runs that differ only in the callback being enabled. It prints the wall times
of each side with their spread (relative interquartile range), every round's ratio, and the median
of those ratios (target: under 1.02) with its bootstrap interval (tests.support.bench_stats: whether
the claim stands above the noise); the same for the CPU time of each run's whole process tree, and
the unpaired ratio of the medians. A control (``HADRILL_BENCH_TIMER_CONTROL_ROUNDS`` rounds, default
8; 0 leaves it out) runs both sides without the callback: its ratio is the method's own error.

Then ``HADRILL_BENCH_TIMER_CLOCK_RUNS`` runs with the callback (default 4, at least 1), one at a
time, go through tests.support.callback_clock, which adds up inside each run the time the callback's
hooks take and the time ansible-core takes to copy each task result for it: the callback's own time
in that same run, as CPU time of the thread that ran it (what it computed) and on the wall clock (an
upper bound: it also holds the moments ansible-playbook's other thread had the interpreter lock, and
those its thread waited for a core). It also prints the minor page faults the hooks took: most of
their CPU time, as pages the controller touches after a worker fork are copied or taken back from it
(ansible-playbook forks a worker for every task). From the callback's own time, the in-run ratio:
each run's wall time against the same run without that time, with its bootstrap interval. It leaves
out indirect costs, which the wall-clock ratio keeps. Those runs are not in the ratio: the clock
wraps every hook of the callback in readings of its own (a few system calls a hook), which only
the side with the callback would pay.

A benchmark, not a test of speed: it asserts only that every playbook ran, that the callback
recorded every task in every run with it and wrote nothing in any run without it, and that the clock
saw its hooks called and computing.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from hadrill.events import read_lines
from tests.support.bench_stats import CONFIDENCE, describe_ratio, median_of_ratios, ratio_interval, spread

REPO = Path(__file__).resolve().parents[2]
TASKS = 500
ROUNDS = max(8, int(os.environ.get("HADRILL_BENCH_TIMER_ROUNDS", "24")))
CONTROL_ROUNDS = max(0, int(os.environ.get("HADRILL_BENCH_TIMER_CONTROL_ROUNDS", "8")))
CLOCK_RUNS = max(1, int(os.environ.get("HADRILL_BENCH_TIMER_CLOCK_RUNS", "4")))
RUN_TIMEOUT = 1800
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


@dataclass
class Run:
    wall: float  # seconds, from its launch to its exit
    cpu: float  # CPU seconds of its whole process tree (ansible-playbook and every worker it forked)
    clock: dict | None  # what tests.support.callback_clock saw the callback take inside it, when clocked


class Launched:
    """One ansible-playbook run, waited for by a thread of its own, so that two runs launched
    together each get their own end time and resource usage. With ``clock``, the run goes through
    tests.support.callback_clock, which writes what it saw there."""

    def __init__(self, book: Path, evidence: Path, timer: bool, clock: Path | None = None) -> None:
        env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "HADRILL_EVIDENCE_DIR": str(evidence)}
        env["PATH"] = str(REPO / ".venv" / "bin") + os.pathsep + env["PATH"]
        if not timer:
            env["ANSIBLE_CONFIG"] = str(config_without_timer(book.parent / "no-timer.cfg"))
        command = [str(Path(sys.executable).parent / "ansible-playbook")]
        if clock is not None:
            clock.unlink(missing_ok=True)  # a run that fails before writing its clock leaves no stale one to read
            command = [sys.executable, "-m", "tests.support.callback_clock", str(clock), CALLBACK]
        self.clock_path = clock
        self.started = time.perf_counter()
        self.process = subprocess.Popen([*command, "-i", "localhost,", "-c", "local", str(book)], cwd=REPO, env=env,
                                        stdout=subprocess.DEVNULL)
        self.ended: tuple[float, int, float] | None = None
        self.waiter = threading.Thread(target=self._wait, daemon=True)
        self.waiter.start()

    def _wait(self) -> None:
        _, status, usage = os.wait4(self.process.pid, 0)
        self.ended = (time.perf_counter(), os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime)

    def result(self) -> Run:
        self.waiter.join(RUN_TIMEOUT)
        if self.ended is None:
            self.process.kill()
            self.waiter.join()
            raise AssertionError(f"ansible-playbook ran over {RUN_TIMEOUT}s")
        ended, exit_code, cpu = self.ended
        self.process.returncode = exit_code  # reaped here: Popen must not wait for it again
        assert exit_code == 0, f"ansible-playbook exited {exit_code}"
        clock = json.loads(self.clock_path.read_text()) if self.clock_path is not None else None
        return Run(ended - self.started, cpu, clock)


def run_round(book: Path, evidence: tuple[Path, Path], timer: tuple[bool, bool], first: int) -> tuple[Run, Run]:
    """Both sides at the same moment (with the callback where ``timer`` says, each writing into its
    own evidence directory), ``first`` launched first."""
    order = (first, 1 - first)
    launched = {side: Launched(book, evidence[side], timer[side]) for side in order}
    return launched[0].result(), launched[1].result()


def recorded_tasks(evidence: Path) -> int:
    return sum(1 for item in read_lines(evidence / "events.jsonl") if item["event"] == "task")


def check_clock(run: Run) -> None:
    assert run.clock is not None
    # a worker's start and a result for every task: the clock saw the callback work
    assert run.clock["hooks"] >= 2 * TASKS, run.clock
    assert run.clock["hook_cpu_seconds"] > 0, run.clock


def runs(values: list[float]) -> list[float]:
    return [round(item, 2) for item in values]


def ratios(numerators: list[float], denominators: list[float]) -> list[float]:
    return [round(top / bottom, 3) for top, bottom in zip(numerators, denominators)]


@pytest.mark.benchmark
def test_timer_callback_overhead(tmp_path):
    book = playbook(tmp_path / "tasks.yml")
    without: list[Run] = []
    with_timer: list[Run] = []
    for round_number in range(ROUNDS):
        plain_evidence, timed_evidence = tmp_path / f"plain-{round_number}", tmp_path / f"evidence-{round_number}"
        # Which side is launched first alternates: neither should gain from going first.
        plain, timed = run_round(book, (plain_evidence, timed_evidence), (False, True), first=round_number % 2)
        assert recorded_tasks(timed_evidence) == TASKS
        assert not (plain_evidence / "events.jsonl").exists()  # the side without it really ran without it
        without.append(plain)
        with_timer.append(timed)
    control: list[tuple[Run, Run]] = []
    for round_number in range(CONTROL_ROUNDS):
        pair = run_round(book, (tmp_path / f"control-{round_number}-a", tmp_path / f"control-{round_number}-b"),
                         (False, False), first=round_number % 2)
        control.append(pair)
    clocked: list[Run] = []
    for number in range(CLOCK_RUNS):
        evidence = tmp_path / f"clocked-{number}"
        run = Launched(book, evidence, timer=True, clock=tmp_path / f"callback-clock-{number}.json").result()
        check_clock(run)
        assert recorded_tasks(evidence) == TASKS
        clocked.append(run)

    plain_wall, timed_wall = [run.wall for run in without], [run.wall for run in with_timer]
    plain_cpu, timed_cpu = [run.cpu for run in without], [run.cpu for run in with_timer]
    print(f"\n[bench] {TASKS}-task local playbook, {ROUNDS} rounds; in each, both sides run at the same moment "
          f"(launched together, which first alternating)")
    print(f"[bench] without timer callback: median {statistics.median(plain_wall):.2f}s  IQR/median "
          f"{spread(plain_wall):.1%}  runs {runs(plain_wall)}")
    print(f"[bench] with timer callback:    median {statistics.median(timed_wall):.2f}s  IQR/median "
          f"{spread(timed_wall):.1%}  runs {runs(timed_wall)}")
    print(f"[bench] per-round ratios: {ratios(timed_wall, plain_wall)}")
    print("[bench] ratio with/without, the median of the rounds' own ratios: "
          f"{describe_ratio(timed_wall, plain_wall, TARGET_RATIO, at_most=False, statistic=median_of_ratios)}")
    print(f"[bench]   unpaired, the ratio of the medians: {describe_ratio(timed_wall, plain_wall, TARGET_RATIO, at_most=False)}")
    print(f"[bench] CPU time of each run's process tree: without median {statistics.median(plain_cpu):.2f}s (IQR/median "
          f"{spread(plain_cpu):.1%}), with median {statistics.median(timed_cpu):.2f}s (IQR/median {spread(timed_cpu):.1%}); "
          f"per-round ratios {ratios(timed_cpu, plain_cpu)}")
    print("[bench]   ratio with/without, the median of the rounds' own ratios: "
          f"{describe_ratio(timed_cpu, plain_cpu, TARGET_RATIO, at_most=False, statistic=median_of_ratios)}")
    if control:
        first, second = [pair[0].wall for pair in control], [pair[1].wall for pair in control]
        low, high = ratio_interval(second, first, statistic=median_of_ratios)
        print(f"[bench] control, both sides without the callback ({len(control)} rounds; the method's own error): "
              f"per-round ratios {ratios(second, first)}; median {median_of_ratios(second, first):.3f} "
              f"({CONFIDENCE:.0%} bootstrap interval {low:.3f}-{high:.3f})")
    # The callback's own time (its hooks and the result copies made for it) in each clocked run.
    clocks = [run.clock for run in clocked if run.clock is not None]
    clocked_wall = [run.wall for run in clocked]
    own_cpu = [clock["hook_cpu_seconds"] + clock["copy_cpu_seconds"] for clock in clocks]
    own_wall = [clock["hook_seconds"] + clock["copy_seconds"] for clock in clocks]
    page_faults = [clock["hook_page_faults"] for clock in clocks]  # minor page faults taken inside its hooks
    cpu_shares = [own / run for own, run in zip(own_cpu, clocked_wall)]
    wall_shares = [own / run for own, run in zip(own_wall, clocked_wall)]
    print(f"[bench] {len(clocked)} more runs with the callback, one at a time, with the clock on its hooks (not in the "
          f"ratios above: the clock's own readings are paid by the side with the callback only); runs {runs(clocked_wall)}")
    print(f"[bench] the callback's own time inside each clocked run (its hooks, and ansible-core's copies of each "
          f"result for it): CPU median {statistics.median(cpu_shares):.2%} of the run (IQR/median "
          f"{spread(cpu_shares):.0%}, min {min(cpu_shares):.2%}, max {max(cpu_shares):.2%}); wall clock, an upper "
          f"bound, median {statistics.median(wall_shares):.2%} (min {min(wall_shares):.2%}, max {max(wall_shares):.2%})")
    print(f"[bench] minor page faults inside its hooks: median {statistics.median(page_faults):.0f} a run, "
          f"{statistics.median(page_faults) / TASKS:.0f} a task (a worker is forked for every task, and a page the "
          f"controller writes while a worker still shares it is copied first)")
    print("[bench] in-run ratio, each run against itself without the callback's own time (indirect costs not in it):")
    print(f"[bench]   CPU:  {describe_ratio(clocked_wall, [run - own for run, own in zip(clocked_wall, own_cpu)], TARGET_RATIO, at_most=False)}")
    print(f"[bench]   wall: {describe_ratio(clocked_wall, [run - own for run, own in zip(clocked_wall, own_wall)], TARGET_RATIO, at_most=False)}")
