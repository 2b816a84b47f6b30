"""The live abort rule and the sample file tail it reads."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from hadrill.scenarios.rollback.watch import AbortRule, SampleTail, watch


def records(start: float, count: int, step: float, ok) -> list[dict]:
    return [{"mono": start + index * step, "ok": ok(index)} for index in range(count)]


def test_the_rule_fires_only_after_the_breach_lasted_the_sustain_time():
    rule = AbortRule(threshold=0.1, sustain=2.0, window=3.0, min_requests=10)
    rule.feed(records(0.0, 100, 0.1, ok=lambda i: i % 4 != 0))  # 25% errors from t=0 to t=9.9
    first = rule.evaluate(3.0)
    assert first.above and not first.fired and first.above_since == 3.0
    # the window is (0, 3]: records 1..30, of which 4, 8 ... 28 failed
    assert first.requests == 30 and first.error_rate == pytest.approx(7 / 30)
    assert not rule.evaluate(4.9).fired
    fired = rule.evaluate(5.0)
    assert fired.fired and fired.above_since == 3.0


def test_a_dip_below_the_threshold_restarts_the_sustain_clock():
    rule = AbortRule(threshold=0.1, sustain=2.0, window=1.0, min_requests=5)
    rule.feed(records(0.0, 10, 0.1, ok=lambda i: False))     # 0..0.9 all failing
    rule.feed(records(1.0, 10, 0.1, ok=lambda i: True))      # 1.0..1.9 all fine
    rule.feed(records(2.0, 30, 0.1, ok=lambda i: False))     # 2.0..4.9 all failing
    assert rule.evaluate(1.0).above
    assert not rule.evaluate(2.0).above                      # the dip
    assert rule.evaluate(2.5).above_since == 2.5
    assert not rule.evaluate(4.4).fired
    assert rule.evaluate(4.5).fired


def test_too_few_requests_never_breach():
    rule = AbortRule(threshold=0.1, sustain=0.0, window=10.0, min_requests=10)
    rule.feed(records(0.0, 9, 0.1, ok=lambda i: False))
    evaluation = rule.evaluate(1.0)
    assert evaluation.error_rate == 1.0 and not evaluation.above and not evaluation.fired


def test_zero_sustain_fires_on_the_first_breach():
    rule = AbortRule(threshold=0.5, sustain=0.0, window=1.0, min_requests=1)
    rule.feed([{"mono": 0.5, "ok": False}])
    assert rule.evaluate(0.6).fired


def test_the_tail_returns_complete_new_lines_only(tmp_path: Path):
    path = tmp_path / "probe.jsonl"
    tail = SampleTail(path)
    assert tail.read() == []
    with path.open("w") as handle:
        handle.write(json.dumps({"seq": 0}) + "\n" + '{"seq": 1')
    assert tail.read() == [{"seq": 0}]
    with path.open("a") as handle:
        handle.write("}\nnot json\n" + json.dumps({"seq": 2}) + "\n")
    assert tail.read() == [{"seq": 1}, {"seq": 2}]
    assert tail.read() == []


def test_watch_returns_as_soon_as_the_rule_fires(tmp_path: Path):
    path = tmp_path / "probe.jsonl"
    now = time.monotonic()
    with path.open("w") as handle:
        for index in range(40):
            handle.write(json.dumps({"mono": now - 2.0 + index * 0.05, "ok": False}) + "\n")
    rule = AbortRule(threshold=0.1, sustain=0.0, window=3.0, min_requests=10)
    outcome = watch(SampleTail(path), rule, duration=30.0, poll_interval=0.05)
    assert outcome.fired and not outcome.stalled and outcome.evaluations == 1
    assert outcome.samples_seen == 40 and outcome.peak_error_rate == 1.0


def test_watch_ends_with_the_window_and_detects_a_stalled_probe(tmp_path: Path):
    path = tmp_path / "probe.jsonl"
    path.write_text(json.dumps({"mono": time.monotonic(), "ok": True}) + "\n")
    rule = AbortRule(threshold=0.1, sustain=0.0, window=1.0, min_requests=1)
    started = time.monotonic()
    outcome = watch(SampleTail(path), rule, duration=0.3, poll_interval=0.05)
    assert not outcome.fired and not outcome.stalled and time.monotonic() - started >= 0.3
    stalled = watch(SampleTail(path), AbortRule(threshold=0.1, sustain=0.0, window=1.0, min_requests=1),
                    duration=30.0, poll_interval=0.05, stall_seconds=0.2)
    assert stalled.stalled and not stalled.fired
