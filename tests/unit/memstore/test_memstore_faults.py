"""Fault decisions are random per request but reproducible with a seeded RNG."""

from __future__ import annotations

import random

from memstore.faults import FaultInjector
from memstore.release import FaultConfig


def test_no_fault_never_fails() -> None:
    injector = FaultInjector(FaultConfig(), random.Random(1))
    assert not any(injector.decide().fail for _ in range(1000))
    assert injector.decide().delay_seconds == 0


def test_full_error_rate_always_fails() -> None:
    injector = FaultInjector(FaultConfig(error_rate=1.0, latency_ms=250), random.Random(1))
    decisions = [injector.decide() for _ in range(100)]
    assert all(d.fail for d in decisions)
    assert {d.delay_seconds for d in decisions} == {0.25}


def test_partial_rate_is_seeded_and_close_to_rate() -> None:
    def sequence(seed: int) -> list[bool]:
        injector = FaultInjector(FaultConfig(error_rate=0.4), random.Random(seed))
        return [injector.decide().fail for _ in range(5000)]

    first = sequence(42)
    assert first == sequence(42)
    assert first != sequence(43)
    assert 0.37 < sum(first) / len(first) < 0.43
