"""Benchmark: what the timer callback adds to a 500-task local playbook.

Prints the wall times with and without the callback, measured alternately in one run
(``HADRILL_BENCH_TIMER_ROUNDS`` rounds, default 16, at least 8: on a shared machine one run can
be 10 % off the next, and a 2 % difference needs many pairs to stand above that), the ratio of
the medians (target: under 1.02) with its bootstrap interval (tests.support.bench_stats: whether
the claim stands above the noise) and the spread: each side's relative interquartile range, and
the ratio of every round's pair. A benchmark, not a test of speed: it asserts only that both playbooks ran and that
the callback recorded every task.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from pathlib import Path

import pytest

from hadrill.events import read_lines
from tests.support.bench_stats import describe_ratio, spread

REPO = Path(__file__).resolve().parents[2]
TASKS = 500
ROUNDS = max(8, int(os.environ.get("HADRILL_BENCH_TIMER_ROUNDS", "16")))
TARGET_RATIO = 1.02


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


def run_once(book: Path, evidence: Path | None) -> float:
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    env["PATH"] = str(REPO / ".venv" / "bin") + os.pathsep + env["PATH"]
    if evidence is None:
        env["ANSIBLE_CONFIG"] = str(config_without_timer(book.parent / "no-timer.cfg"))
    else:
        env["HADRILL_EVIDENCE_DIR"] = str(evidence)
    started = time.perf_counter()
    subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", str(book)], env=env, check=True,
                   stdout=subprocess.DEVNULL, timeout=1800)
    return time.perf_counter() - started


@pytest.mark.benchmark
def test_timer_callback_overhead(tmp_path):
    book = playbook(tmp_path / "tasks.yml")
    without, with_timer = [], []
    for round_number in range(ROUNDS):
        evidence = tmp_path / f"evidence-{round_number}"
        sides = [(without, None), (with_timer, evidence)]
        # Which side goes first alternates: the second run of a round finds the caches the first
        # one warmed, and that should favour neither side.
        for times, evidence_dir in sides[::-1] if round_number % 2 else sides:
            times.append(run_once(book, evidence_dir))
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
