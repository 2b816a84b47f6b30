"""Fault injection decisions for a deliberately regressing release."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from memstore.release import FaultConfig


@dataclass(frozen=True)
class FaultDecision:
    fail: bool
    delay_seconds: float


class FaultInjector:
    """Decides per request whether to add latency and whether to answer 500.

    The RNG is injectable so that tests can pin the sequence of decisions.
    """

    def __init__(self, config: FaultConfig, rng: random.Random | None = None) -> None:
        self.config = config
        self._rng = rng or random.Random()
        self._lock = threading.Lock()  # random.Random is not safe to share across request threads

    def decide(self) -> FaultDecision:
        fail = False
        if self.config.error_rate >= 1.0:
            fail = True
        elif self.config.error_rate > 0.0:
            with self._lock:
                fail = self._rng.random() < self.config.error_rate
        return FaultDecision(fail=fail, delay_seconds=self.config.latency_ms / 1000.0)
