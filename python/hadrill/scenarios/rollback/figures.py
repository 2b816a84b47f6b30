"""Scenario B figures, computed from the bundle's markers, checks and traffic samples.

- rollback duration = readiness_green - rollback_started (monotonic clock);
- error-rate recovery = previous_release_restored until every probe window from then on is
  inside the baseline envelope (baseline error rate + margin), see ``analysis.recovery_seconds``;
- error rate and p95 before (baseline window), during (candidate_deploy_started to
  readiness_green) and after (readiness_green to recovery_window_finished);
- failed requests caused by the drill's own restarts: see ``analysis.restart_failures``;
- availability: the error rate of the requests sent while the rollback ran, the longest time
  without a successful request from the first change to the end of the recovery window
  (``analysis.longest_outage``), and every replica the drill was not switching that went down
  (the replica watch, ``analysis.untouched_downs``), a failed check naming it;
- startup-contract failures: the failed ``startup_contract`` checks.

Each traffic figure counts only the requests *sent* inside the span its claim is about, and says
which in its ``window``.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from hadrill.context import BundleContext
from hadrill.events import Marker, load_markers
from hadrill.scenarios.base import summarize as judge_scenario
from hadrill.scenarios.base import timeline
from hadrill.scenarios.rollback.analysis import (
    ReplicaRun,
    RequestLog,
    SwitchWindow,
    WindowStats,
    drill_spans,
    envelope_upper,
    longest_outage,
    recovery_seconds,
    replica_samples,
    requests_from_samples,
    restart_failures,
    untouched_downs,
    untouched_runs,
)
from hadrill.scenarios.rollback.plot import POINTS_PER_WINDOW, write_plot
from hadrill.summary import Check, Figure, ScenarioSummary

SCENARIO = "rollback"
SAMPLER = "rollback_traffic"
REPLICA_SAMPLER = "rollback_replicas"
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


def _sent(start: str, stop: str, stats: WindowStats | None = None) -> str:
    """The window text of a figure over the requests sent between two markers."""
    counted = f" ({stats.requests} requests over {stats.end - stats.start:.1f}s)" if stats is not None else ""
    return f"requests sent from {start} to {stop}{counted}"


def _iso(markers: list[Marker], mono: float) -> str:
    """UTC time of a monotonic instant, from the nearest marker (each marker holds both clocks)."""
    reference = min(markers, key=lambda item: abs(item.mono - mono), default=None)
    if reference is None:
        return ""
    at = datetime.fromisoformat(reference.ts.replace("Z", "+00:00")) + timedelta(seconds=mono - reference.mono)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
    observed = between("observation_started", "rollback_started")
    rolling_back = between("rollback_started", "readiness_green")
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

    # Availability from the first change to the end of the recovery window.
    outage = None
    if "candidate_deploy_started" in first:
        outage = longest_outage(log, first["candidate_deploy_started"].mono,
                                recovery_end.mono if recovery_end else end)

    rollback_seconds = ctx.markers.between("rollback_started", "readiness_green", SCENARIO)
    windows = switch_windows(markers, end)
    restart = restart_failures(log, windows, config["api_rollback_restart_failure_statuses"])
    contract_checks = [item for item in ctx.scenario_checks(SCENARIO) if item.name == "startup_contract"]
    contract_failures = sum(1 for item in contract_checks if not item.passed)
    aborted = first.get("abort_fired")
    watch_end = aborted or first.get("observation_finished")
    thresholds = ctx.thresholds
    replicas = _replica_watch(ctx, markers, windows, end)

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
                      source=f"samples/{SAMPLER}.jsonl, {window:g}s windows",
                      window=f"{window:g}s windows (one every {window / RECOVERY_STEPS_PER_WINDOW:g}s) of requests sent "
                             "from previous_release_restored to recovery_window_finished"),
        Figure(name="error_rate_before", label="Error rate before (baseline)", value=_rate(baseline), unit="%",
               source="baseline window", window=_sent("baseline_started", "baseline_finished", baseline)),
        Figure(name="error_rate_during", label="Error rate during (candidate deployed until readiness green)",
               value=_rate(during), unit="%", source="candidate_deploy_started .. readiness_green",
               window=_sent("candidate_deploy_started", "readiness_green", during)),
        Figure(name="error_rate_observed", label="Error rate while the candidate was observed",
               value=_rate(observed), unit="%", source=f"samples/{SAMPLER}.jsonl",
               window=_sent("observation_started", "rollback_started", observed)),
        Figure(name="error_rate_after", label="Error rate after (recovery window)", value=_rate(after), unit="%",
               source="readiness_green .. recovery_window_finished",
               window=_sent("readiness_green", "recovery_window_finished", after)),
        Figure(name="p95_before_ms", label="Latency p95 before", value=_p95(baseline), unit="ms",
               window=_sent("baseline_started", "baseline_finished")),
        Figure(name="p95_during_ms", label="Latency p95 during", value=_p95(during), unit="ms",
               window=_sent("candidate_deploy_started", "readiness_green")),
        Figure(name="p95_after_ms", label="Latency p95 after", value=_p95(after), unit="ms",
               window=_sent("readiness_green", "recovery_window_finished")),
        Figure(name="abort_fired", label="Abort rule fired", value=aborted is not None,
               source="marker abort_fired", window=_abort_window(watch_end, window)),
        Figure(name="abort_error_rate", label="Error rate that fired the abort rule",
               value=None if aborted is None or aborted.data.get("error_rate") is None
               else round(100.0 * float(aborted.data["error_rate"]), 3),
               unit="%", source="marker abort_fired", window=_abort_window(aborted, window) if aborted else ""),
        Figure.judged("rollback_error_rate_percent", "Error rate while the rollback ran",
                      _rate(rolling_back), unit="%", threshold=thresholds.get("rollback_error_rate_percent"),
                      source=f"samples/{SAMPLER}.jsonl", window=_sent("rollback_started", "readiness_green", rolling_back)),
        Figure.judged("longest_outage_seconds", "Longest time without a successful request",
                      None if "candidate_deploy_started" not in first else round(outage.seconds if outage else 0.0, 3),
                      threshold=thresholds.get("longest_outage_seconds"), source=f"samples/{SAMPLER}.jsonl",
                      window="requests sent from candidate_deploy_started to recovery_window_finished: from the first "
                             "failed request of a run of consecutive failures to the next success"),
        Figure.judged("restart_failed_requests", "Failed requests caused by the drill's own restarts",
                      len(restart), unit="requests", threshold=thresholds.get("restart_failed_requests"),
                      source="connection errors and load-balancer statuses inside host switch windows",
                      window="requests whose [sent, answered] overlaps a host switch window (host_drain_started .. "
                             "host_enabled)"),
        Figure(name="startup_contract_failures", label="Startup/schema-contract failures of the known-good release",
               value=contract_failures, unit="", source="startup_contract checks"),
    ]

    extra_reasons = []
    if first.get("scenario_started") and first.get("probe_started") and not log.requests:
        extra_reasons.append("the traffic probe recorded no request")

    evidence = []
    plot = None
    if log.requests:
        origin = first["probe_started"].mono if "probe_started" in first else log.requests[0].t
        write_plot(ctx.bundle.root / PLOT, log, origin=origin, end=end, window=window, markers=markers,
                   abort_error_rate=None if config.get("api_rollback_abort_error_rate") is None
                   else float(config["api_rollback_abort_error_rate"]),
                   envelope_percent=None if upper is None else round(100.0 * upper, 3), thresholds=thresholds)
        evidence = [f"samples/{SAMPLER}.jsonl", PLOT]
        plot = {"file": PLOT, "window_seconds": window, "step_seconds": window / POINTS_PER_WINDOW,
                "window": f"error rate and p95 of the requests sent in the {window:g}s before each point, a point "
                          f"every {window / POINTS_PER_WINDOW:g}s, over every request of the probe"}
    if replicas["checked"]:
        evidence.append(f"samples/{REPLICA_SAMPLER}.jsonl")

    details = {
        "window_seconds": window,
        "envelope_error_rate_max_percent": None if upper is None else round(100.0 * upper, 3),
        "requests": len(log.requests),
        "failed": sum(1 for item in log.requests if not item.ok),
        "statuses": {str(key): value for key, value in
                     sorted(Counter("error" if item.status is None else str(item.status) for item in log.requests).items())},
        "before": _stats_detail(baseline),
        "during": _stats_detail(during),
        "observed": _stats_detail(observed),
        "rollback": _stats_detail(rolling_back),
        "after": _stats_detail(after),
        "abort": dict(aborted.data) if aborted else None,
        "longest_outage": None if outage is None else {
            "seconds": round(outage.seconds, 3), "failed_requests": outage.failed, "start_mono": outage.start,
            "sent_after_deploy_start_s": round(outage.start - first["candidate_deploy_started"].mono, 3),
            "until_window_end": outage.open,
        },
        "switch_windows": [
            {"host": item.host, "phase": item.phase, "seconds": round(item.end - item.start, 3)} for item in windows
        ],
        "restart_failures": [
            {"host": window_.host, "phase": window_.phase, "status": request.status,
             "sent_after_switch_start_s": round(request.t - window_.start, 3)}
            for request, window_ in restart[:50]
        ],
        "startup_contract_checks": len(contract_checks),
        "replica_watch": replicas["details"],
        "plot": plot,
    }
    return judge_scenario(
        ctx, SCENARIO,
        figures=figures,
        execution=_execution(first, log, len(restart), aborted, window) + replicas["execution"]
        + ([f"Plot `{PLOT}`: {plot['window']}; each figure above names its own window"] if plot else []),
        timeline_entries=timeline(ctx, SCENARIO, TIMELINE),
        details=details,
        extra_checks=replicas["checks"],
        extra_reasons=extra_reasons,
        evidence=evidence,
    )


def _abort_window(marker: Marker | None, window: float) -> str:
    """What the live abort rule counted (data of abort_fired or observation_finished)."""
    if marker is None:
        return ""
    since = marker.data.get("counted_from") or "probe_start"
    seconds = marker.data.get("window_seconds", window)
    return (f"requests sent from {since} on, answered in the {float(seconds):g}s before each evaluation "
            "(every 0.2s), until the rule fired or the observation ended")


def _run_detail(markers: list[Marker], run: ReplicaRun) -> dict[str, Any]:
    return {"start": _iso(markers, run.start), "start_mono": run.start, "end_mono": run.end,
            "seconds": round(run.seconds, 3), "samples": run.samples, "probe_failures": run.probe_failures,
            "lb_statuses": list(run.lb_statuses), "errors": list(run.errors), "recovered": run.recovered}


def _replica_watch(ctx: BundleContext, markers: list[Marker], windows: list[SwitchWindow], end: float) -> dict[str, Any]:
    """The check that every replica stayed up while the drill was not switching it, from the replica
    watch's samples; nothing for a bundle whose drill did not run the watch."""
    started = next((item for item in markers if item.name == "sampler_started"
                    and item.data.get("sampler") == REPLICA_SAMPLER), None)
    if started is None:
        return {"checked": False, "checks": [], "execution": [], "details": None}
    samples = replica_samples(ctx.samples(REPLICA_SAMPLER))
    spans = drill_spans(windows, end)
    downs = untouched_downs(samples, spans)
    out = [item for item in untouched_runs(samples, spans, lambda sample: sample.lb_out)]
    records = [item for host in samples.values() for item in host]
    meta_file = ctx.bundle.samples / f"{REPLICA_SAMPLER}.meta.json"
    interval = json.loads(meta_file.read_text(encoding="utf-8")).get("interval_seconds") if meta_file.exists() else None
    lb_read = any(item.lb_status for item in records)
    label = "Every replica stayed up while the drill was not switching it"
    observed: dict[str, list[dict[str, Any]]] = {}
    for run in downs:
        observed.setdefault(run.host, []).append(_run_detail(markers, run))
    detail = "; ".join(
        f"{run.host} down {run.seconds:.2f}s from {_iso(markers, run.start)} while the drill was not switching it "
        f"({'health check failed ' + str(run.probe_failures) + ' times' if run.probe_failures else 'health check answered'}"
        f"{': ' + run.errors[0] if run.errors else ''}; load balancer: {', '.join(run.lb_statuses) or 'not read'}"
        f"{'' if run.recovered else '; not seen up again before the drill took it in hand or ended'})"
        for run in downs
    )
    check = Check(
        name="untouched_replicas_up", label=label, passed=not downs, observed=observed or "every replica up",
        expected=f"{', '.join(sorted(samples)) or 'every replica'} up whenever the drill was not switching it",
        detail=detail,
        compared_nothing="" if records else "the replica watch recorded no sample",
    )
    watched = "HAProxy's status of each server and " if lb_read else ""
    execution = [
        f"Replica watch: {watched}each replica's own health check{f', every {interval:g}s' if interval else ''} "
        f"({len(records)} samples of {', '.join(sorted(samples)) or 'no replica'}); down while the drill was not "
        f"switching it: {', '.join(f'{run.host} ({run.seconds:.2f}s)' for run in downs) or 'none'}"
    ]
    details = {
        "samples": len(records),
        "replicas": sorted(samples),
        "haproxy": "watched" if lb_read else "not watched (the load balancer's admin socket is not on the controller)",
        "downs": [{"host": run.host, **_run_detail(markers, run)} for run in downs],
        "out_of_rotation_not_by_drill": [{"host": run.host, **_run_detail(markers, run)} for run in out],
        "drill_spans": {host: [[round(a, 3), round(b, 3)] for a, b in items] for host, items in spans.items()},
    }
    return {"checked": True, "checks": [check], "execution": execution, "details": details}


def _execution(first: dict[str, Marker], log: RequestLog, restart_count: int, aborted: Marker | None,
               window: float) -> list[str]:
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
            f"for {aborted.data.get('above_for_seconds')}s (window: {_abort_window(aborted, window)})"
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
