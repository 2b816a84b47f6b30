"""The real outage (when the worker really stopped and resumed processing) and the baseline trend
test, against a simulated queue whose truth the test knows: writes with random commit and answer
delays, backlog readings taken at a random moment inside each sample, a worker that stops and
resumes at known times, optionally other writers the drill does not see."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import pytest

from hadrill.scenarios.replay import analysis, outage
from hadrill.scenarios.replay.analysis import BacklogPoint

STEP = 0.01
INTERVAL = 0.5


@dataclass
class Queue:
    """Ground truth: every commit and every processing, at 10 ms resolution."""

    seed: int
    write_rate: float = 10.0
    worker_rate: float = 40.0  # events/s the worker processes when it runs
    others_rate: float = 0.0  # writes by others (not in the drill's write records)
    off: tuple[float, float] = (20.0, 40.0)  # the worker processes nothing in [off[0], off[1])
    end: float = 60.0
    writes: list[dict[str, Any]] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    processed_at: list[float] = field(default_factory=list)

    def run(self) -> "Queue":
        rng = random.Random(self.seed)
        commits: list[float] = []
        for index in range(int(self.end * self.write_rate)):
            sent = 2.0 + index / self.write_rate
            committed = sent + rng.uniform(0.002, 0.15)
            answered = committed + rng.uniform(0.001, 0.08)
            ok = rng.random() > 0.02  # some answers are lost (timeouts): committed, never acknowledged
            self.writes.append({"sent_mono": sent, "mono": answered, "ok": ok, "captured": {"id": index}})
            commits.append(committed)
        others = [2.0 + index / self.others_rate for index in range(int(self.end * self.others_rate))] \
            if self.others_rate else []
        due = sorted(commits + others)
        done, budget, moment = 0, 0.0, 0.0
        reading_at = {}
        for k in range(int(self.end / INTERVAL)):
            start = 2.0 + k * INTERVAL + rng.uniform(0.0, 0.05)
            snapshot = start + rng.uniform(0.0, 0.05)
            reading_at[round(snapshot / STEP)] = (start, snapshot, snapshot + rng.uniform(0.0, 0.05))
        while moment < self.end + 2.0:
            moment = round(moment + STEP, 2)
            running = not (self.off[0] <= moment < self.off[1])
            if running:
                budget = min(budget + self.worker_rate * STEP, 5.0)
                while budget >= 1 and done < len(due) and due[done] <= moment:
                    done += 1
                    budget -= 1
                    self.processed_at.append(moment)
            else:
                budget = 0.0
            if round(moment / STEP) in reading_at:
                start, snapshot, completed = reading_at[round(moment / STEP)]
                committed = sum(1 for item in due if item <= moment)
                self.samples.append({"started_mono": start, "mono": completed, "ts": f"t{completed:.2f}",
                                     "backlog": committed - done, "failed": 0, "processed": done})
        return self

    def points(self, *, processed: bool) -> list[BacklogPoint]:
        rows = [dict(item) if processed else {k: v for k, v in item.items() if k != "processed"}
                for item in self.samples]
        return analysis.points_from_samples(rows)

    @property
    def true_stop(self) -> float:
        return max(moment for moment in self.processed_at if moment < self.off[1])

    @property
    def true_resume(self) -> float:
        return min(moment for moment in self.processed_at if moment >= self.off[1])


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("processed", [False, True], ids=["from-backlog", "processed-reading"])
def test_the_measured_outage_covers_the_real_one_within_a_sample_interval(seed, processed):
    queue = Queue(seed=seed).run()
    stop_command, resume_command = 19.6, 36.0  # the platform's stop takes 0.4 s; the start 4 s
    seen = outage.measure(queue.points(processed=processed), queue.writes,
                          stop_requested=stop_command, resume_requested=resume_command)
    assert seen.method == ("processed" if processed else "backlog")
    # Never later than the real stop, never earlier than the stop command; at most ~2 samples early.
    assert stop_command <= seen.stopped_at <= queue.true_stop
    assert queue.true_stop - seen.stopped_at <= 2 * INTERVAL + 0.1
    # Never before the real resume; at most ~2 samples late.
    assert queue.true_resume <= seen.resumed_at <= queue.true_resume + 2 * INTERVAL + 0.1
    assert seen.seconds >= queue.true_resume - queue.true_stop


@pytest.mark.parametrize("seed", range(6))
def test_writes_by_others_never_make_a_stopped_worker_look_busy(seed):
    # Others write 15/s that the drill does not see: the estimate may only see less processing.
    queue = Queue(seed=seed, others_rate=15.0, worker_rate=60.0).run()
    seen = outage.measure(queue.points(processed=False), queue.writes, stop_requested=19.6, resume_requested=36.0)
    assert seen.stopped_at <= queue.true_stop
    assert seen.resumed_at is not None and seen.resumed_at >= queue.true_resume


def test_a_worker_that_never_stopped_has_almost_no_outage():
    queue = Queue(seed=3, off=(999.0, 999.0)).run()
    seen = outage.measure(queue.points(processed=False), queue.writes, stop_requested=20.0, resume_requested=30.0)
    # Processing went on up to the resume request and right after it (within ~2 sample intervals:
    # writes in flight blur what one interval shows).
    assert 30.0 - 2 * INTERVAL - 0.6 <= seen.stopped_at <= 30.0 and seen.resumed_at <= 30.0 + 2 * INTERVAL + 0.1


def test_a_worker_that_never_resumed_has_no_resume_and_the_proof_runs_to_the_last_sample():
    queue = Queue(seed=4, off=(20.0, 999.0)).run()
    points = queue.points(processed=False)
    seen = outage.measure(points, queue.writes, stop_requested=19.8, resume_requested=36.0)
    assert seen.resumed_at is None and seen.seconds is None
    window = outage.proof_window(seen, points)
    assert (window.start, window.end) == (19.8, points[-1].mono)
    assert window.basis.startswith("last backlog sample")
    described = outage.describe(seen)
    assert described["resumed_mono"] is None and described["method"] == "backlog"


def test_the_proof_window_runs_from_the_stop_command_to_the_first_processing():
    queue = Queue(seed=5).run()
    points = queue.points(processed=True)
    seen = outage.measure(points, queue.writes, stop_requested=19.6, resume_requested=36.0)
    window = outage.proof_window(seen, points)
    assert window.start == 19.6 and window.end == seen.resumed_at
    assert window.as_dict() == {"from_mono": 19.6, "to_mono": seen.resumed_at,
                                "end": "first processing after the resume"}


def test_a_stop_before_the_stop_command_is_counted_from_the_command():
    # Nothing to process before the command (no writes yet): the outage starts at the command.
    points = analysis.points_from_samples(
        [{"mono": 1.0 + index, "backlog": 0, "failed": 0, "processed": 5} for index in range(10)]
        + [{"mono": 11.0 + index, "backlog": 0, "failed": 0, "processed": 6 + index} for index in range(3)])
    seen = outage.measure(points, [], stop_requested=4.0, resume_requested=9.0)
    assert seen.last_processing is None and seen.stopped_at == 4.0 and seen.stopped_at_stop_command
    assert seen.resumed_at == 11.0  # the first reading above one taken after the resume (9.0, 10.0)


# --- the baseline trend test -----------------------------------------------------------------

def series(values: list[float | None], step: float = INTERVAL) -> list[BacklogPoint]:
    return [BacklogPoint(mono=index * step, ts=f"t{index}", backlog=value, failed=0.0)
            for index, value in enumerate(values)]


def test_a_rising_baseline_is_not_steady():
    env = analysis.envelope(6.0, 2.0, 5.0)  # upper 12, margin 6 above the median
    # A worker that processes 5/s under 10 writes/s: +2.5 per sample over 3 s.
    rising = analysis.trend(series([1, 3.5, 6, 8.5, 11, 13.5, 16]), env)
    assert rising.measured and not rising.steady
    assert rising.slope_per_second == pytest.approx(5.0) and rising.drift == pytest.approx(15.0)
    assert rising.describe().startswith("rising (Theil-Sen slope +5/s over 3s = +15, allowed +/-6")
    assert analysis.trend(series([16, 13.5, 11, 8.5, 6, 3.5, 1]), env).describe().startswith("falling")


def test_a_noisy_flat_baseline_is_steady_and_one_odd_sample_does_not_tip_it():
    env = analysis.envelope(1.0, 2.0, 5.0)  # upper 5, margin 4
    noisy = analysis.trend(series([1, 2, 0, 1, 40, 1, 2, 0, 1, 1]), env)
    assert noisy.steady and abs(noisy.slope_per_second) < 0.5
    assert noisy.as_dict()["steady"] is True and noisy.as_dict()["rule"].startswith("steady (Theil-Sen slope")


def test_a_trend_needs_three_readable_samples():
    env = analysis.envelope(1.0, 2.0, 5.0)
    short = analysis.trend(series([1, None, 2]), env)
    assert not short.measured and not short.steady
    assert short.describe().startswith("only 2 readable backlog samples in the baseline window; at least 3")


def test_the_margin_never_goes_below_zero():
    env = analysis.envelope(10.0, None, 5.0)  # a baseline already above its absolute envelope
    assert analysis.trend(series([10, 10, 10, 10]), env).steady
    assert not analysis.trend(series([10, 10, 11, 12]), env).steady


def test_the_slope_of_a_long_window_is_bounded_in_cost():
    points = series([float(index) for index in range(5000)], step=0.1)
    assert analysis.theil_sen_slope(points) == pytest.approx(10.0)
