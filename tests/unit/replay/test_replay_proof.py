"""Proof of replay: which writes count, the even sample, retries until the timeout, the record."""

from __future__ import annotations

import json

from hadrill.scenarios.replay import proof
from hadrill.scenarios.replay.proof import Write

SAMPLES = [
    {"mono": 9.9, "ok": True, "token": "t0", "captured": {"id": 100}},
    {"mono": 10.0, "ok": True, "token": "t1", "captured": {"id": 101}},
    {"mono": 12.0, "ok": False, "token": "t2", "error": "status 500"},
    {"mono": 13.0, "ok": True, "token": "t3", "captured": {"id": 103}},
    {"mono": 14.0, "ok": True, "token": "t4", "captured": {}},
    {"mono": 20.0, "ok": True, "token": "t5", "captured": {"id": "105"}},
    {"mono": 20.1, "ok": True, "token": "t6", "captured": {"id": 106}},
]


def test_only_writes_acknowledged_inside_the_window_count():
    writes = proof.acknowledged_between(SAMPLES, "id", 10.0, 20.0)
    assert [write.id for write in writes] == [101, 103, "105"]
    assert [write.token for write in writes] == ["t1", "t3", "t5"]


def test_spread_sample_covers_the_window_evenly():
    writes = [Write(id=index, token=None, mono=float(index), ts="") for index in range(10)]
    assert proof.spread_sample(writes, None) == writes
    assert proof.spread_sample(writes, 50) == writes
    assert [write.id for write in proof.spread_sample(writes, 4)] == [0, 3, 6, 9]
    assert [write.id for write in proof.spread_sample(writes, 1)] == [5]


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_unproven_writes_are_checked_again_until_processed():
    writes = [Write(id=index, token=f"t{index}", mono=float(index), ts="") for index in range(5)]
    asked: list[list[int]] = []

    def checker(batch):
        asked.append([write.id for write in batch])
        # the worker catches up: one more write per attempt
        return {str(write.id) for write in batch if write.id < len(asked) + 2}

    clock = Clock()
    outcome = proof.prove(writes, checker, method="sql", acknowledged=7, timeout_seconds=30, clock=clock, sleep=clock.sleep)
    assert outcome.passed and outcome.processed == 5 and outcome.attempts == 3
    assert asked == [[0, 1, 2, 3, 4], [3, 4], [4]]
    assert outcome.detail() == "5/5 writes acknowledged during the outage were processed"
    assert outcome.observed()["acknowledged_during_outage"] == 7 and outcome.compared_nothing == ""


def test_lost_writes_fail_the_proof_at_the_timeout_with_their_ids():
    writes = [Write(id=index, token=None, mono=float(index), ts="") for index in range(30)]
    clock = Clock()
    outcome = proof.prove(writes, lambda batch: {"0", "1"}, method="http", acknowledged=30, timeout_seconds=5,
                          retry_seconds=1, clock=clock, sleep=clock.sleep)
    assert not outcome.passed and len(outcome.missing) == 28 and clock.now == 5
    assert outcome.detail().startswith("28 of 30 writes acknowledged during the outage were not processed after 5.0s: ids 2, 3")
    assert outcome.detail().endswith("and 8 more")
    assert outcome.observed()["missing_ids_sample"] == list(range(2, 22))


def test_a_failing_read_back_is_retried_then_reported():
    calls = {"n": 0}

    def flaky(batch):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("refused\nsecond line")
        return {write.key for write in batch}

    clock = Clock()
    writes = [Write(id=1, token=None, mono=1.0, ts="")]
    assert proof.prove(writes, flaky, method="sql", acknowledged=1, timeout_seconds=10, clock=clock, sleep=clock.sleep).passed
    broken = proof.prove(writes, lambda batch: 1 / 0, method="sql", acknowledged=1, timeout_seconds=2,
                         clock=clock, sleep=clock.sleep)
    assert not broken.passed and broken.detail().startswith("the read-back failed: ZeroDivisionError")


def test_nothing_acknowledged_compared_nothing_a_warning_not_a_pass(tmp_path):
    outcome = proof.prove([], lambda batch: set(), method="sql", acknowledged=0, timeout_seconds=1)
    # Recorded through the check's compared_nothing: its status is warn, never pass.
    assert outcome.passed and outcome.compared_nothing == outcome.detail()
    assert "nothing proves the replay" in outcome.compared_nothing
    (tmp_path / "ev").mkdir()
    path = proof.write_record(tmp_path / "ev", outcome, {"from_mono": 1.0, "to_mono": 2.0})
    record = json.loads((tmp_path / "ev" / path).read_text())
    assert path == "records/replay_proof.json" and record["checked_ids"] == []
    assert record["compared_nothing"] == outcome.compared_nothing
    # A read-back that failed is not "nothing to compare": it is a failure.
    broken = proof.prove([], lambda batch: set(), method="sql", acknowledged=0, timeout_seconds=1)
    broken.error = "OperationalError: refused"
    assert not broken.passed and broken.compared_nothing == ""
