"""Scenario A figures, computed from the bundle's markers, checks and canary samples.

- restore_seconds = restore_finished - restore_started (files restored);
- promote_seconds = promoted - restore_finished (instance start, WAL replay, promotion);
- time_to_promoted_seconds = promoted - incident;
- rto_seconds = smoke_passed - incident (judged by drill_thresholds.rto_seconds);
- rpo_seconds from the canary log (``analysis.rpo``; judged by drill_thresholds.rpo_seconds);
- target_exact (time targets): the newest restored canary row is the last one written before
  the target.

Durations use the monotonic clock, timestamps the UTC wall clock of the same markers.
"""

from __future__ import annotations

from typing import Any

from hadrill.context import BundleContext
from hadrill.events import CheckEvent, Marker
from hadrill.plots import Chart, MarkerLine, Series, Span, limit_text, write_svg
from hadrill.scenarios.base import summarize as judge_scenario
from hadrill.scenarios.base import timeline
from hadrill.scenarios.restore import analysis
from hadrill.summary import Figure, ScenarioSummary

SCENARIO = "restore"
SAMPLER = "canary"
PLOT = "plots/restore.svg"
TIMELINE = [
    ("Scenario started", "scenario_started"),
    ("Canary writer started", "canary_started"),
    ("Snapshot taken (schema version, tenant sample)", "snapshot_taken"),
    ("Incident declared", "incident"),
    ("Restore started", "restore_started"),
    ("Restore finished (files restored)", "restore_finished"),
    ("Verification instance started", "instance_started"),
    ("Promoted (out of recovery)", "promoted"),
    ("Schema version checked", "schema_checked"),
    ("API smoke started", "smoke_started"),
    ("API smoke passed", "smoke_passed"),
    ("Verification environment torn down", "teardown_finished"),
    ("Scenario finished", "scenario_finished"),
]


def _between(first: dict[str, Marker], start: str, end: str) -> float | None:
    if start in first and end in first and first[end].mono >= first[start].mono:
        return round(first[end].mono - first[start].mono, 3)
    return None


def _check(ctx: BundleContext, name: str) -> CheckEvent | None:
    return next((item for item in ctx.scenario_checks(SCENARIO) if item.name == name), None)


def _newest_restored(ctx: BundleContext) -> tuple[bool, int | None, dict[str, Any]]:
    """(was the copy read, newest restored canary seq, what was observed)."""
    check = _check(ctx, "canary_restored")
    if check is None or not isinstance(check.observed, dict):
        return False, None, {}
    newest = check.observed.get("newest_seq")
    return True, None if newest is None else int(newest), dict(check.observed)


def summarize(ctx: BundleContext) -> ScenarioSummary:
    names = [name for _, name in TIMELINE] + ["restore_target"]
    first = {name: marker for name in names if (marker := ctx.markers.first(name, SCENARIO)) is not None}
    thresholds = ctx.thresholds
    log = analysis.records(ctx.samples(SAMPLER))
    read, newest_seq, canary_observed = _newest_restored(ctx)
    incident = first.get("incident")
    target_marker = first.get("restore_target")
    target_kind = (target_marker.data.get("target") if target_marker else None) or (
        incident.data.get("target") if incident else None)
    target_time = target_marker.data.get("target_time") if target_marker else None

    rpo = analysis.rpo(log, incident.mono, newest_seq) if (incident and read) else None
    rpo_value = None if rpo is None or rpo.seconds is None else round(rpo.seconds, 3)
    rpo_figure = Figure.judged(
        "rpo_seconds",
        "RPO (newest acknowledged canary at the incident to the newest canary in the restored copy)"
        + (" — lower bound: no canary row was restored" if rpo and rpo.lower_bound else ""),
        rpo_value, threshold=thresholds.get("rpo_seconds"), source=f"samples/{SAMPLER}.jsonl, check canary_restored",
    )
    if rpo and rpo.lower_bound and rpo_figure.verdict == "pass":
        rpo_figure.verdict = "missing"  # a lower bound cannot prove the RPO is inside its threshold

    figures = [
        Figure.judged("rto_seconds", "RTO (incident to API smoke passed)", _between(first, "incident", "smoke_passed"),
                      threshold=thresholds.get("rto_seconds"), source="markers incident, smoke_passed"),
        rpo_figure,
        Figure.judged("restore_seconds", "Restore duration (files restored)",
                      _between(first, "restore_started", "restore_finished"),
                      source="markers restore_started, restore_finished"),
        Figure.judged("promote_seconds", "Start, WAL replay and promotion (files restored to promoted)",
                      _between(first, "restore_finished", "promoted"), source="markers restore_finished, promoted"),
        Figure.judged("time_to_promoted_seconds", "Time to promoted (incident to out of recovery)",
                      _between(first, "incident", "promoted"), source="markers incident, promoted"),
        Figure.judged("smoke_seconds", "API smoke (smoke started to passed)",
                      _between(first, "smoke_started", "smoke_passed"), source="markers smoke_started, smoke_passed"),
    ]
    expected_seq = None
    if target_kind == "time" and target_time:
        if read:
            exact, expected_seq = analysis.target_exact(log, target_time, newest_seq)
            figures.append(Figure(
                name="target_exact", label="Newest restored canary is the last one written before the target",
                value=exact, comparison="==", verdict="pass" if exact else "fail",
                source=f"samples/{SAMPLER}.jsonl written_at, check canary_restored",
            ))
        else:
            figures.append(Figure(name="target_exact", label="Newest restored canary is the last one written before the target",
                                  value=None, verdict="missing" if first.get("restore_started") else "info"))
    figures += [
        Figure(name="canary_acknowledged", label="Canary rows acknowledged by the primary before the incident",
               value=rpo.acknowledged if rpo else None, unit="rows", source=f"samples/{SAMPLER}.jsonl"),
        Figure(name="canary_newest_restored", label="Newest canary row in the restored copy (sequence number)",
               value=newest_seq, source="check canary_restored"),
        Figure(name="canary_lost", label="Acknowledged canary rows missing from the restored copy (lost at the incident)",
               value=rpo.lost if rpo else None, unit="rows", source=f"samples/{SAMPLER}.jsonl, check canary_restored"),
    ]
    rpo_basis = analysis.rpo_basis(log, rpo, target_kind, target_time, incident.ts if incident else None,
                                   bool(target_marker.data.get("explicit")) if target_marker else False)
    details: dict[str, Any] = {
        "rpo": rpo_basis,
        "method": (first["restore_started"].data.get("method") if "restore_started" in first else None),
        "target": target_kind,
        "target_time": target_time,
        "backup": (first["restore_started"].data.get("backup") if "restore_started" in first else None),
        "canary": {
            "samples": len(log),
            "acknowledged": sum(1 for item in log if item.ok),
            "failed": sum(1 for item in log if not item.ok),
            "newest_acknowledged_at_incident": rpo.newest_acknowledged.seq if rpo and rpo.newest_acknowledged else None,
            "newest_restored": newest_seq,
            "expected_newest_restored": expected_seq,
            "restored": canary_observed,
        },
    }
    evidence = [f"samples/{SAMPLER}.jsonl"] if log else []
    if log and incident:
        _plot(ctx, log, first, newest_seq, rpo)
        evidence.append(PLOT)
    return judge_scenario(
        ctx, SCENARIO, figures=figures, execution=_execution(ctx, first, target_kind, target_time, rpo_basis),
        timeline_entries=timeline(ctx, SCENARIO, TIMELINE), details=details, evidence=evidence,
    )


def _execution(ctx: BundleContext, first: dict[str, Marker], target_kind: str | None, target_time: str | None,
               rpo_basis: dict[str, Any] | None = None) -> list[str]:
    lines = []
    incident = first.get("incident")
    if target_kind == "time" and target_time:
        lines.append(f"Restore target timestamp: `{target_time}`")
    elif target_kind == "latest" and incident:
        lines.append(f"Restore target: latest archived WAL at the incident (`{incident.ts}`)")
    promoted = first.get("promoted")
    lines.append(f"Restore completed at: `{promoted.ts if promoted else 'not reached'}`")
    smoke = first.get("smoke_started")
    lines.append(f"API smoke started at: `{smoke.ts if smoke else 'not reached'}`")
    endpoints = [item.observed.get("path") for item in ctx.scenario_checks(SCENARIO)
                 if item.name.startswith("smoke_") and item.passed and isinstance(item.observed, dict)]
    lines.append("Smoke endpoints passed: " + (", ".join(f"`{item}`" for item in endpoints) if endpoints else "none"))
    started = first.get("restore_started")
    if started:
        method = started.data.get("method")
        backup = started.data.get("backup")
        where = f"{started.data.get('host')}:{started.data.get('port')}" if started.data.get("port") else "the restored instance"
        lines.append(f"Method `{method}`" + (f" from backup `{backup}`" if backup else "")
                     + f", restored into an isolated verification instance at `{where}`")
    if incident:
        lines.append(f"Incident declared at: `{incident.ts}`")
    statement = analysis.rpo_statement(rpo_basis)
    if statement:
        lines.append(statement)
    return lines


def _plot(ctx: BundleContext, log: list[analysis.CanaryRecord], first: dict[str, Marker], newest_seq: int | None,
          rpo: analysis.Rpo | None = None) -> None:
    origin = min(item.sent_mono if item.sent_mono is not None else item.mono for item in log)
    acked = [(item.mono - origin, float(item.seq)) for item in log if item.ok]
    markers = [MarkerLine(label, first[name].mono - origin) for label, name in (
        ("incident", "incident"), ("restore started", "restore_started"), ("promoted", "promoted"),
        ("smoke passed", "smoke_passed")) if name in first]
    restored = next((item for item in log if item.seq == newest_seq), None)
    if restored is not None:
        markers.append(MarkerLine(f"newest restored row #{restored.seq}", restored.mono - origin))
    # The windows of the RTO and RPO figures: incident to smoke passed; the newest restored row to
    # the newest row acknowledged at the incident (the rows lost).
    spans = []
    if "incident" in first and "smoke_passed" in first:
        spans.append(Span("RTO window: incident to smoke passed" + limit_text(ctx.thresholds.get("rto_seconds")),
                          first["incident"].mono - origin, first["smoke_passed"].mono - origin))
    if rpo is not None and rpo.seconds is not None and rpo.newest_acknowledged is not None:
        end = rpo.newest_acknowledged.mono - origin
        spans.append(Span("RPO window: newest restored row to the newest acknowledged at the incident"
                          + limit_text(ctx.thresholds.get("rpo_seconds")), end - rpo.seconds, end))
    chart = Chart(title="Canary rows acknowledged by the primary, and what the restore recovered",
                  series=[Series("acknowledged canary row", acked)], markers=markers, spans=spans,
                  x_label="seconds since the canary writer started", y_label="canary row (sequence number)",
                  integer_y=True)
    write_svg(ctx.bundle.root / PLOT, chart)
