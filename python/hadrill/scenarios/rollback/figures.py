"""Scenario B figures, computed from the bundle's markers, checks and traffic samples.

- rollback duration = readiness_green - rollback_started (monotonic clock);
- error-rate recovery = previous_release_restored until every probe window from then on is
  inside the baseline envelope (baseline error rate + margin), see ``analysis.recovery_seconds``;
- error rate and p95 before (baseline window), during (candidate_deploy_started to
  readiness_green) and after (readiness_green to recovery_window_finished);
- failed requests caused by the drill's own restarts: see ``analysis.restart_failures``;
- startup-contract failures: the failed ``startup_contract`` checks.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hadrill.context import BundleContext
from hadrill.events import Marker, load_markers
from hadrill.scenarios.base import summarize as judge_scenario
from hadrill.scenarios.base import timeline
from hadrill.scenarios.rollback.analysis import (
    RequestLog,
    SwitchWindow,
    WindowStats,
    envelope_upper,
    recovery_seconds,
    requests_from_samples,
    restart_failures,
)
from hadrill.scenarios.rollback.plot import write_plot
from hadrill.summary import Figure, ScenarioSummary

SCENARIO = "rollback"
SAMPLER = "rollback_traffic"
PLOT = "plots/rollback.svg"
RECOVERY_STEPS_PER_WINDOW = 10
DEFAULTS = {
    "api_rollback_window_seconds": 10.0,
    "api_rollback_recovery_error_rate_margin": 0.01,
    "api_rollback_restart_failure_statuses": [502, 503, 504],
}
TIMELINE = [
    ("Scenario started", "scenario_started"),
    ("Traffic probe started", "probe_started"),
    ("Baseline started", "baseline_started"),
    ("Baseline finished", "baseline_finished"),
    ("Candidate deployment started", "candidate_deploy_started"),
    ("Candidate deployed to the canary slice", "candidate_deployed"),
    ("Observation started", "observation_started"),
    ("Abort rule fired", "abort_fired"),
    ("Observation window ended", "observation_finished"),
    ("Rollback started", "rollback_started"),
    ("Previous release restored", "previous_release_restored"),
    ("Readiness fully green", "readiness_green"),
    ("Recovery window finished", "recovery_window_finished"),
    ("Traffic probe stopped", "probe_stopped"),
    ("Scenario finished", "scenario_finished"),
]


def _rate(stats: WindowStats | None) -> float | None:
    return None if stats is None or stats.error_rate is None else round(100.0 * stats.error_rate, 3)


def _p95(stats: WindowStats | None) -> float | None:
    return None if stats is None or stats.p95_ms is None else round(stats.p95_ms, 1)


def _stats_detail(stats: WindowStats | None) -> dict[str, Any] | None:
    if stats is None:
        return None
    return {
        "seconds": round(stats.end - stats.start, 3), "requests": stats.requests, "failed": stats.failed,
        "error_rate_percent": _rate(stats), "p50_ms": None if stats.p50_ms is None else round(stats.p50_ms, 1),
        "p95_ms": _p95(stats),
    }


def switch_windows(markers: list[Marker], end: float) -> list[SwitchWindow]:
    """host_drain_started .. host_enabled per host, in order; an unfinished switch lasts until ``end``."""
    windows: list[SwitchWindow] = []
    open_: dict[str, Marker] = {}
    for marker in markers:
        host = str(marker.data.get("host", ""))
        if marker.name == "host_drain_started":
            open_[host] = marker
        elif marker.name == "host_enabled" and host in open_:
            started = open_.pop(host)
            windows.append(SwitchWindow(host, str(started.data.get("phase", "")), started.mono, marker.mono))
    for host, started in open_.items():
        windows.append(SwitchWindow(host, str(started.data.get("phase", "")), started.mono, end))
    return sorted(windows, key=lambda item: item.start)


def _timestamp_figure(name: str, label: str, marker: Marker | None) -> Figure:
    return Figure(name=name, label=label, value=marker.ts if marker else None, unit="",
                  verdict="info" if marker else "missing", source=f"marker {name.removesuffix('_at')}")


def summarize(ctx: BundleContext) -> ScenarioSummary:
    config = {**DEFAULTS, **ctx.scenario_config(SCENARIO)}
    window = float(config["api_rollback_window_seconds"])
    margin = float(config["api_rollback_recovery_error_rate_margin"])
    markers = sorted((item for item in load_markers(ctx.bundle.root) if item.scenario == SCENARIO),
                     key=lambda item: item.mono)
    first = {}
    for marker in markers:
        first.setdefault(marker.name, marker)

    samples = ctx.samples(SAMPLER)
    log = RequestLog(requests_from_samples(samples))
    end_marker = first.get("probe_stopped") or first.get("scenario_failed") or first.get("scenario_finished")
    end = max([item.t for item in log.requests] + ([end_marker.mono] if end_marker else []), default=0.0)

    def between(start: str, stop: str) -> WindowStats | None:
        if start not in first:
            return None
        until = first[stop].mono if stop in first else end
        return log.stats(first[start].mono, until)

    baseline = between("baseline_started", "baseline_finished")
    during = between("candidate_deploy_started", "readiness_green")
    after = between("readiness_green", "recovery_window_finished")
    upper = envelope_upper(baseline, margin) if baseline is not None else None

    recovery: float | None = None
    restored = first.get("previous_release_restored")
    recovery_end = first.get("recovery_window_finished")
    if restored is not None and upper is not None:
        recovery = recovery_seconds(
            log, restored=restored.mono, end=recovery_end.mono if recovery_end else end, window=window,
            upper=upper, step=window / RECOVERY_STEPS_PER_WINDOW,
        )
        recovery = None if recovery is None else round(recovery, 3)

    rollback_seconds = ctx.markers.between("rollback_started", "readiness_green", SCENARIO)
    windows = switch_windows(markers, end)
    restart = restart_failures(log, windows, config["api_rollback_restart_failure_statuses"])
    contract_checks = [item for item in ctx.scenario_checks(SCENARIO) if item.name == "startup_contract"]
    contract_failures = sum(1 for item in contract_checks if not item.passed)
    aborted = first.get("abort_fired")
    thresholds = ctx.thresholds

    figures = [
        _timestamp_figure("candidate_deployed_at", "Candidate deployed to canary slice at", first.get("candidate_deployed")),
        _timestamp_figure("rollback_started_at", "Rollback started at", first.get("rollback_started")),
        _timestamp_figure("previous_release_restored_at", "Previous release restored at", restored),
        _timestamp_figure("readiness_green_at", "Readiness fully green at", first.get("readiness_green")),
        Figure.judged("rollback_seconds", "Rollback duration (readiness green - rollback start)",
                      None if rollback_seconds is None else round(rollback_seconds, 3),
                      threshold=thresholds.get("rollback_seconds"), source="markers rollback_started, readiness_green"),
        Figure.judged("error_rate_recovery_seconds",
                      "Error-rate recovery (restored until every window is back inside the baseline envelope)",
                      recovery, threshold=thresholds.get("error_rate_recovery_seconds"),
                      source=f"samples/{SAMPLER}.jsonl, {window:g}s windows"),
        Figure(name="error_rate_before", label="Error rate before (baseline)", value=_rate(baseline), unit="%",
               source="baseline window"),
        Figure(name="error_rate_during", label="Error rate during (candidate deployed until readiness green)",
               value=_rate(during), unit="%", source="candidate_deploy_started .. readiness_green"),
        Figure(name="error_rate_after", label="Error rate after (recovery window)", value=_rate(after), unit="%",
               source="readiness_green .. recovery_window_finished"),
        Figure(name="p95_before_ms", label="Latency p95 before", value=_p95(baseline), unit="ms"),
        Figure(name="p95_during_ms", label="Latency p95 during", value=_p95(during), unit="ms"),
        Figure(name="p95_after_ms", label="Latency p95 after", value=_p95(after), unit="ms"),
        Figure(name="abort_fired", label="Abort rule fired", value=aborted is not None,
               source="marker abort_fired"),
        Figure(name="restart_failed_requests", label="Failed requests caused by the drill's own restarts",
               value=len(restart), unit="requests",
               source="connection errors and load-balancer statuses inside host switch windows"),
        Figure(name="startup_contract_failures", label="Startup/schema-contract failures of the known-good release",
               value=contract_failures, unit="", source="startup_contract checks"),
    ]

    extra_reasons = []
    if first.get("scenario_started") and first.get("probe_started") and not log.requests:
        extra_reasons.append("the traffic probe recorded no request")

    evidence = []
    if log.requests:
        origin = first["probe_started"].mono if "probe_started" in first else log.requests[0].t
        write_plot(ctx.bundle.root / PLOT, log, origin=origin, end=end, window=window, markers=markers)
        evidence = [f"samples/{SAMPLER}.jsonl", PLOT]

    details = {
        "window_seconds": window,
        "envelope_error_rate_max_percent": None if upper is None else round(100.0 * upper, 3),
        "requests": len(log.requests),
        "failed": sum(1 for item in log.requests if not item.ok),
        "statuses": {str(key): value for key, value in
                     sorted(Counter("error" if item.status is None else str(item.status) for item in log.requests).items())},
        "before": _stats_detail(baseline),
        "during": _stats_detail(during),
        "after": _stats_detail(after),
        "abort": dict(aborted.data) if aborted else None,
        "switch_windows": [
            {"host": item.host, "phase": item.phase, "seconds": round(item.end - item.start, 3)} for item in windows
        ],
        "restart_failures": [
            {"host": window_.host, "phase": window_.phase, "status": request.status,
             "sent_after_switch_start_s": round(request.t - window_.start, 3)}
            for request, window_ in restart[:50]
        ],
        "startup_contract_checks": len(contract_checks),
    }
    return judge_scenario(
        ctx, SCENARIO,
        figures=figures,
        execution=_execution(first, log, len(restart), aborted),
        timeline_entries=timeline(ctx, SCENARIO, TIMELINE),
        details=details,
        extra_reasons=extra_reasons,
        evidence=evidence,
    )


def _execution(first: dict[str, Marker], log: RequestLog, restart_count: int, aborted: Marker | None) -> list[str]:
    lines = []
    started = first.get("scenario_started")
    deployed = first.get("candidate_deployed")
    if deployed:
        release = deployed.data.get("release") or (started.data.get("candidate_release") if started else "?")
        hosts = ", ".join(deployed.data.get("hosts") or [])
        lines.append(f"Candidate `{release}` deployed to canary slice `{hosts}` at `{deployed.ts}`")
    if aborted:
        rate = aborted.data.get("error_rate")
        lines.append(
            f"Abort rule fired at `{aborted.ts}`: error rate {100.0 * float(rate or 0):.1f}% over "
            f"{aborted.data.get('window_seconds')}s, above {100.0 * float(aborted.data.get('threshold') or 0):.1f}% "
            f"for {aborted.data.get('above_for_seconds')}s"
        )
    elif first.get("observation_finished"):
        lines.append(f"No abort: the observation window ended at `{first['observation_finished'].ts}`")
    if first.get("rollback_started"):
        lines.append(f"Rollback started at `{first['rollback_started'].ts}`")
    restored = first.get("previous_release_restored")
    if restored:
        lines.append(f"Previous tag `{restored.data.get('release', '?')}` restored at `{restored.ts}`")
    if first.get("readiness_green"):
        lines.append(f"Readiness fully green at `{first['readiness_green'].ts}` (every replica on the known-good "
                     "release, every backend up)")
    forward = first.get("slice_rolled_forward")
    if forward:
        lines.append(f"Mitigation: {forward.data.get('mitigation', 'the slice was rolled forward')}")
    if log.requests:
        failed = sum(1 for item in log.requests if not item.ok)
        lines.append(f"Traffic probe: {len(log.requests)} requests through the load balancer, {failed} failed, "
                     f"{restart_count} of them caused by the drill's own restarts")
    return lines
