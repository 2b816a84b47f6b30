"""The smoke test of the verification API: the inventory's requests, in order, each bounded.

A step is retried until it passes for at most its ``retry_seconds`` (the first one typically
waits for the freshly started API to answer its health check; a read-back waits for the
application's worker to make the written record readable). Values a step captures (``id``)
are available to later steps as ``${id}``, and ``${token}`` is unique per drill so that a
read-back can only be satisfied by this drill's own write.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hadrill.httpspec import send
from hadrill.scenarios.restore.config import SmokeStep


@dataclass
class StepResult:
    name: str
    method: str
    path: str
    passed: bool
    status: int | None
    attempts: int
    seconds: float
    error: str | None = None
    captured: dict[str, Any] = field(default_factory=dict)

    def observed(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "status": self.status, "attempts": self.attempts,
                "seconds": round(self.seconds, 3),
                **({"error": self.error} if self.error else {})}


def run_step(base_url: str, step: SmokeStep, context: Mapping[str, Any], headers: Mapping[str, str]) -> StepResult:
    started = time.monotonic()
    deadline = started + step.retry_seconds
    attempts = 0
    while True:
        attempts += 1
        result = send(base_url, step, context=context, default_headers=headers)
        if result.ok:
            return StepResult(step.name, step.method, step.path, True, result.status, attempts,
                              time.monotonic() - started, captured=result.captured)
        if time.monotonic() + step.retry_interval_seconds > deadline:
            return StepResult(step.name, step.method, step.path, False, result.status, attempts,
                              time.monotonic() - started, error=result.error)
        time.sleep(step.retry_interval_seconds)


def run(base_url: str, steps: Sequence[SmokeStep], context: Mapping[str, Any], headers: Mapping[str, str]
        ) -> list[StepResult]:
    """Run the steps in order; stop at the first that does not pass."""
    values = dict(context)
    results = []
    for step in steps:
        outcome = run_step(base_url, step, values, headers)
        results.append(outcome)
        if not outcome.passed:
            break
        values.update(outcome.captured)
    return results
