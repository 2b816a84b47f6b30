"""Backlog analysis and the live waits of backlog_watch (pure logic, a fake clock)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hadrill.scenarios.replay import analysis, watch
from hadrill.scenarios.replay.analysis import BacklogPoint


def series(values: list[float | None], *, start: float = 100.0, step: float = 1.0, failed: float = 0.0) -> list[BacklogPoint]:
    return [BacklogPoint(mono=start + index * step, ts=f"t{index}", backlog=value, failed=failed)
            for index, value in enumerate(values)]


def test_points_from_samples_sorts_and_keeps_unreadable_samples():
    rows = [{"mono": 2.0, "ts": "b", "backlog": 3, "failed": 0}, {"mono": 1.0, "ts": "a", "backlog": None, "failed": None},
            {"ts": "no time", "backlog": 1}, {"mono": 3.0, "backlog": True, "failed": 1.5}]
    points = analysis.points_from_samples(rows)
    assert [point.mono for point in points] == [1.0, 2.0, 3.0]
    assert [point.ok for point in points] == [False, True, False]  # a bool is not a reading
    assert points[2].failed == 1.5


def test_baseline_is_the_median_of_the_readable_samples():
    stats = analysis.baseline(series([0, 1, 9, None, 1]))
    assert stats is not None and (stats.median, stats.maximum, stats.count) == (1.0, 9.0, 4)
    assert stats.mean == pytest.approx(2.75)
    assert analysis.baseline(series([None, None])) is None


def test_envelope_takes_the_larger_bound():
    assert analysis.envelope(4.0, 1.5, None).upper == 6.0
    assert analysis.envelope(4.0, 1.5, 10.0).upper == 10.0
    assert analysis.envelope(0.0, 2.0, 5.0).describe() == "backlog <= 5, the larger of 2 x baseline 0 and absolute 5"
    assert analysis.envelope(3.0, None, 2.0).describe() == "backlog <= 2, absolute 2"
    with pytest.raises(ValueError):
        analysis.envelope(1.0, None, None)


def test_drained_needs_k_consecutive_samples_after_the_resume():
    env = analysis.envelope(1.0, 2.0, None)  # <= 2
    points = series([0, 50, 80, 40, 2, 1, 9, 2, 2, 1, 0])
    run = analysis.drained(points, after=101.0, env=env, steady=3)
    assert run is not None and [point.mono for point in run] == [107.0, 108.0, 109.0]
    # samples before the resume never count, even if inside
    assert analysis.drained(series([0, 0, 0, 90]), after=103.0, env=env, steady=1) is None


def test_an_unreadable_sample_breaks_a_steady_run():
    env = analysis.envelope(0.0, None, 1.0)
    assert analysis.drained(series([0, None, 0, 0]), after=100.0, env=env, steady=2)[0].mono == 102.0
    assert analysis.drained(series([0, None, 0]), after=100.0, env=env, steady=3) is None


def test_peak_cap_and_failed_counts():
    points = series([1, 5, 7, 7, 3])
    assert analysis.peak(points).mono == 102.0  # the first of equal highs
    assert analysis.first_above(points, 100.5, 6).mono == 102.0
    assert analysis.first_above(points, 100.0, 7) is None  # passing the cap means above it
    with_failed = [BacklogPoint(100, "a", 1, 0), BacklogPoint(101, "b", 1, None), BacklogPoint(102, "c", 1, 2)]
    assert analysis.last_failed_at_or_before(with_failed, 101.5).failed == 0
    assert analysis.last_failed(with_failed).failed == 2
    assert analysis.peak_ratio(10, 0) is None and analysis.peak_ratio(9, 2) == 4.5


class FakeTime:
    """A monotonic clock that only moves when the code sleeps; each sleep may append samples."""

    def __init__(self, path: Path, start: float, schedule: dict[float, float | None]):
        self.now = start
        self.path = path
        self.pending = sorted(schedule.items())
        self.sleeps = 0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += seconds
        with self.path.open("a") as handle:
            while self.pending and self.pending[0][0] <= self.now:
                mono, value = self.pending.pop(0)
                handle.write(json.dumps({"mono": mono, "ts": str(mono), "backlog": value, "failed": 0}) + "\n")


def test_hold_returns_at_the_deadline_or_when_the_cap_is_passed(tmp_path):
    path = tmp_path / "backlog.jsonl"
    fake = FakeTime(path, 10.0, {10.5: 5, 11.0: 50, 11.5: 500, 12.0: 600})
    held = watch.hold(watch.SampleTail(path), since=10.0, seconds=5.0, cap=100, poll_seconds=0.25,
                      clock=fake.clock, sleep=fake.sleep)
    assert held.reason == "cap" and held.cap_point.backlog == 500 and fake.now < 12.0
    fake = FakeTime(path.with_name("b.jsonl"), 10.0, {10.5: 5, 11.0: 50})
    held = watch.hold(watch.SampleTail(fake.path), since=10.0, seconds=2.0, cap=None, poll_seconds=0.25,
                      clock=fake.clock, sleep=fake.sleep)
    assert held.reason == "duration" and fake.now == pytest.approx(12.0) and held.peak.backlog == 50


def test_drain_finds_the_run_or_gives_up_at_the_timeout(tmp_path):
    env = analysis.envelope(1.0, 2.0, None)
    fake = FakeTime(tmp_path / "a.jsonl", 20.0, {20.5: 90, 21.0: 40, 21.5: 2, 22.0: 1, 22.5: 0, 23.0: 0})
    result = watch.drain(watch.SampleTail(fake.path), resumed=20.0, env=env, steady=3, timeout=30,
                         poll_seconds=0.1, clock=fake.clock, sleep=fake.sleep)
    assert result.drained and result.run[0].mono == 21.5 and fake.now < 23.0
    fake = FakeTime(tmp_path / "b.jsonl", 20.0, {20.5: 90, 21.0: 95})
    result = watch.drain(watch.SampleTail(fake.path), resumed=20.0, env=env, steady=3, timeout=4,
                         poll_seconds=0.5, clock=fake.clock, sleep=fake.sleep)
    assert not result.drained and fake.now == pytest.approx(24.0) and result.last.backlog == 95


def test_a_drain_is_in_time_only_when_its_first_steady_sample_is(tmp_path):
    env = analysis.envelope(1.0, 2.0, None)
    # The watch starts late (at 26.0, the timeout was 4 s): the samples drained at 25.0 - too late.
    late = tmp_path / "late.jsonl"
    late.write_text("".join(json.dumps({"mono": mono, "backlog": value, "failed": 0}) + "\n"
                            for mono, value in ((21.0, 90), (23.0, 40), (25.0, 2), (25.5, 1), (26.0, 0))))
    fake = FakeTime(late, 26.0, {})
    result = watch.drain(watch.SampleTail(late), resumed=20.0, env=env, steady=3, timeout=4,
                         poll_seconds=0.5, clock=fake.clock, sleep=fake.sleep)
    assert not result.drained and result.last.backlog == 0
    # A run that began just in time is waited for past the deadline, while it lasts.
    fake = FakeTime(tmp_path / "edge.jsonl", 20.0, {21.0: 90, 23.5: 2, 24.0: 1, 24.5: 0})
    result = watch.drain(watch.SampleTail(fake.path), resumed=20.0, env=env, steady=3, timeout=3.6,
                         poll_seconds=0.1, clock=fake.clock, sleep=fake.sleep)
    assert result.drained and result.run[0].mono == 23.5 and fake.now >= 24.5
    # ... but not when it breaks.
    fake = FakeTime(tmp_path / "broken.jsonl", 20.0, {21.0: 90, 23.5: 2, 24.0: 50, 24.5: 1, 25.0: 1, 25.5: 1})
    result = watch.drain(watch.SampleTail(fake.path), resumed=20.0, env=env, steady=3, timeout=3.6,
                         poll_seconds=0.1, clock=fake.clock, sleep=fake.sleep)
    assert not result.drained and fake.now < 24.5


def test_baseline_wait_reports_unreadable_sources(tmp_path):
    path = tmp_path / "c.jsonl"
    fake = FakeTime(path, 0.0, {0.5: None, 1.0: None})
    stats, taken = watch.baseline(watch.SampleTail(path), since=0.0, seconds=1.5, poll_seconds=0.5,
                                  clock=fake.clock, sleep=fake.sleep)
    assert stats is None and taken == 2


def test_sample_tail_reads_only_complete_lines(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"mono": 1, "backlog": 1}) + "\n" + '{"mono": 2, "back')
    tail = watch.SampleTail(path)
    assert [point.mono for point in tail.poll()] == [1.0]
    with path.open("a") as handle:
        handle.write('log": 2, "error": "boom"}\n')
    assert [point.mono for point in tail.poll()] == [1.0, 2.0]
    assert tail.last_error() == "boom"
    assert watch.SampleTail(tmp_path / "missing.jsonl").poll() == []
