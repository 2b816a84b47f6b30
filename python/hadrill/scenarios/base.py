"""What every scenario summary shares: outcome rules, checks, gates, reasons."""

from __future__ import annotations

from typing import Any

from hadrill.context import BundleContext
from hadrill.scenarios import TITLES
from hadrill.summary import Check, Figure, ScenarioSummary, TimelineEntry


def as_check(event: Any) -> Check:
    return Check(
        name=event.name,
        label=event.label or event.name.replace("_", " "),
        passed=event.passed,
        observed=event.observed,
        expected=event.expected,
        detail=event.detail,
        compared_nothing=getattr(event, "compared_nothing", ""),
    )


def gate_checks(ctx: BundleContext, scenario: str) -> list[Check]:
    return [
        Check(
            name=f"gate:{gate.name}",
            label=f"gate `{gate.command}`",
            passed=gate.passed,
            observed={"rc": gate.rc, "duration_s": gate.duration_s, "timed_out": gate.timed_out},
            expected="exit code as configured",
            detail=f"output in {gate.output_file}",
        )
        for gate in ctx.scenario_gates(scenario)
    ]


def timeline(ctx: BundleContext, scenario: str, entries: list[tuple[str, str]]) -> list[TimelineEntry]:
    result = []
    for label, marker_name in entries:
        marker = ctx.markers.first(marker_name, scenario)
        result.append(TimelineEntry(label=label, at=marker.ts if marker else None))
    return result


def _amount(value: Any, unit: str) -> str:
    """5s, 12.5%, 3 requests."""
    shown = f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
    return f"{shown}{unit}" if len(unit) <= 2 else f"{shown} {unit}"


def summarize(
    ctx: BundleContext,
    scenario: str,
    *,
    figures: list[Figure],
    execution: list[str],
    timeline_entries: list[TimelineEntry],
    details: dict[str, Any] | None = None,
    extra_checks: list[Check] | None = None,
    extra_reasons: list[str] | None = None,
    incomplete_reasons: list[str] | None = None,
    evidence: list[str] | None = None,
) -> ScenarioSummary:
    """Judge a scenario from its markers, checks, gates and figures. ``extra_reasons`` fail it;
    ``incomplete_reasons`` (what the scenario could not establish) make it incomplete unless
    something failed."""
    title, goal = TITLES[scenario]
    checks = [as_check(item) for item in ctx.scenario_checks(scenario)] + gate_checks(ctx, scenario) + list(extra_checks or [])
    reasons: list[str] = []
    for marker in ctx.markers.all("scenario_failed", scenario):
        reasons.append(str(marker.data.get("reason") or "scenario failed"))
    reasons += [f"{item.label}: {item.detail or 'failed'}" for item in checks if not item.passed]
    for figure in figures:
        if figure.verdict == "fail":
            reasons.append(
                f"{figure.label} {_amount(figure.value, figure.unit)} is outside the threshold "
                f"{figure.comparison} {_amount(figure.threshold, figure.unit)}"
            )
    reasons += list(extra_reasons or [])
    started = ctx.markers.first("scenario_started", scenario)
    finished = ctx.markers.first("scenario_finished", scenario)
    if started is None:
        outcome = "not_run"
        reasons = reasons or ["the scenario did not start"]
    elif reasons:
        outcome = "fail"
    elif finished is None:
        outcome = "incomplete"
        reasons = ["the scenario started but did not finish (interrupted)"]
    elif incomplete_reasons or any(item.verdict == "missing" for item in figures) \
            or any(item.status == "warn" for item in checks):
        outcome = "incomplete"
        reasons = list(incomplete_reasons or [])
        reasons += [f"{item.label} could not be measured" for item in figures if item.verdict == "missing"]
        reasons += [f"{item.label} compared nothing: {item.compared_nothing}" for item in checks if item.status == "warn"]
    else:
        outcome = "pass"
    return ScenarioSummary(
        scenario=scenario,
        title=title,
        goal=goal,
        selected=True,
        outcome=outcome,
        reasons=list(dict.fromkeys(reasons)),
        execution=execution,
        timeline=timeline_entries,
        figures=figures,
        checks=checks,
        details=details or {},
        evidence=evidence or [],
    )


def not_selected(scenario: str) -> ScenarioSummary:
    title, goal = TITLES[scenario]
    return ScenarioSummary(scenario=scenario, title=title, goal=goal, selected=False, outcome="not_run",
                           reasons=["not selected for this drill"])
