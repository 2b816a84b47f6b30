"""The overall drill result. The rules are also written in collection/docs/results.md.

- fail:    a precondition failed, a selected scenario failed, a drill-level gate failed, or
           the drill stopped on an error.
- partial: nothing failed, but the drill did not do everything it was asked to: it was
           interrupted, a selected scenario did not run or finish, a judged figure could
           not be measured, or a check compared nothing (status warn).
- pass:    preconditions passed, every selected scenario passed, every gate passed.
"""

from __future__ import annotations

from collections.abc import Iterable

from hadrill.summary import GateResult, Overall, Preconditions, ScenarioSummary


def overall(
    *,
    run_status: str,
    preconditions: Preconditions,
    scenarios: Iterable[ScenarioSummary],
    gates: Iterable[GateResult],
    stop_reason: str | None = None,
) -> tuple[Overall, list[str]]:
    failures: list[str] = []
    if run_status == "stopped":
        failures.append(f"the drill stopped on an error: {stop_reason or 'a task failed'}")
    gaps: list[str] = []
    if preconditions.outcome == "fail":
        failures += [f"precondition {item.label}: {item.detail or 'failed'}" for item in preconditions.checks if not item.passed]
    elif preconditions.outcome == "not_run":
        gaps.append("preconditions were not verified")
    gaps += [f"precondition {item.label} compared nothing: {item.compared_nothing}"
             for item in preconditions.checks if item.status == "warn"]
    for scenario in scenarios:
        if not scenario.selected:
            continue
        if scenario.outcome == "fail":
            failures += [f"{scenario.scenario}: {reason}" for reason in scenario.reasons]
        elif scenario.outcome != "pass":
            gaps += [f"{scenario.scenario}: {reason}" for reason in scenario.reasons] or [f"{scenario.scenario}: {scenario.outcome}"]
    for gate in gates:
        if not gate.passed:
            failures.append(f"gate {gate.name} failed (exit code {gate.rc}{', timed out' if gate.timed_out else ''})")
    if run_status == "interrupted":
        gaps.append("the drill was interrupted before it finished")
    if failures:
        return "fail", failures
    if gaps:
        return "partial", gaps
    return "pass", []
