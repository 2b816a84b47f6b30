"""Turn what a drill recorded into summary.json and report.md, then seal the bundle."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import hadrill
from hadrill import journal, lock, manifest, runtime
from hadrill.context import BundleContext
from hadrill.layout import Bundle
from hadrill.samplers import launcher
from hadrill.scenarios import TITLES
from hadrill.scenarios.base import as_check, not_selected
from hadrill.summary import GateResult, IncidentNotes, Preconditions, ScenarioSummary, Summary
from hadrill.verdict import overall

SUMMARIZERS = {
    "restore": "hadrill.scenarios.restore.figures",
    "rollback": "hadrill.scenarios.rollback.figures",
    "replay": "hadrill.scenarios.replay.figures",
}
PRECONDITIONS = "preconditions"


def _scenario_summary(ctx: BundleContext, scenario: str, selected: bool) -> ScenarioSummary:
    if not selected:
        return not_selected(scenario)
    try:
        module = importlib.import_module(SUMMARIZERS[scenario])
    except ModuleNotFoundError:
        title, goal = TITLES[scenario]
        return ScenarioSummary(scenario=scenario, title=title, goal=goal, selected=True, outcome="not_run",
                               reasons=["this hadrill version cannot summarise the scenario"])
    return module.summarize(ctx)


def _preconditions(ctx: BundleContext) -> Preconditions:
    checks = [as_check(item) for item in ctx.scenario_checks(PRECONDITIONS)]
    if not checks:
        return Preconditions(outcome="not_run")
    return Preconditions(outcome="pass" if all(item.passed for item in checks) else "fail", checks=checks)


def _run_status(ctx: BundleContext) -> str:
    if ctx.markers.first("drill_finished"):
        return "completed"
    if ctx.markers.first("preconditions_failed"):
        return "stopped_at_preconditions"
    if ctx.markers.first("drill_stopped"):
        return "stopped"
    return "interrupted"


def _incident_notes(ctx: BundleContext, scenarios: list[ScenarioSummary], preconditions: Preconditions,
                    gates: list[GateResult]) -> IncidentNotes:
    what_failed: list[str] = []
    what_failed += [f"precondition {item.label}: {item.detail or 'failed'}" for item in preconditions.checks if not item.passed]
    for scenario in scenarios:
        if scenario.selected and scenario.outcome in {"fail", "incomplete"}:
            what_failed += [f"{scenario.title}: {reason}" for reason in scenario.reasons]
    what_failed += [f"gate {gate.name}: exit code {gate.rc}" for gate in gates if not gate.passed]
    for task in ctx.failed_tasks():
        text = f"task '{task.task}' on {task.host} failed"
        message = getattr(task, "msg", None)
        if message:
            text += f": {str(message).splitlines()[0][:200]}"
        what_failed.append(text)
    mitigations = [str(marker.data["mitigation"]) for marker in ctx.markers.with_data("mitigation")]
    environment = ctx.drill.get("environment", "?")
    environment_class = ctx.drill.get("environment_class", "?")
    return IncidentNotes(
        what_failed=list(dict.fromkeys(what_failed)),
        blast_radius=f"{environment_class} environment `{environment}` only",
        mitigation="; ".join(mitigations) if mitigations else ("not required" if not what_failed else "see what failed"),
        follow_ups=ctx.drill.get("config", {}).get("settings", {}).get("drill_follow_ups", []),
    )


def compute_summary(root: Path) -> Summary:
    ctx = BundleContext.load(root)
    drill = ctx.drill
    selected = drill.get("scenarios", [])
    scenarios = [_scenario_summary(ctx, name, name in selected) for name in TITLES]
    preconditions = _preconditions(ctx)
    gates = [
        GateResult(name=item.name, command=item.command, host=item.host, rc=item.rc, passed=item.passed,
                   duration_s=item.duration_s, started_at=item.started_at, output_file=item.output_file,
                   timed_out=item.timed_out)
        for item in ctx.scenario_gates(None)
    ]
    run_status = _run_status(ctx)
    stopped = ctx.markers.last("drill_stopped")
    result, reasons = overall(
        run_status=run_status, preconditions=preconditions, scenarios=scenarios, gates=gates,
        stop_reason=str(stopped.data.get("reason") or "a task failed") if stopped else None,
    )
    finished = ctx.markers.last("drill_finished") or ctx.markers.last("drill_stopped")
    started_at = drill.get("started_at")
    duration = (finished.mono - drill["started_mono"]) if finished and "started_mono" in drill else None
    return Summary(
        drill_id=drill.get("drill_id", root.name),
        environment=drill.get("environment", ""),
        environment_class=drill.get("environment_class", ""),
        date=(started_at or "")[:10],
        owner=drill.get("owner", ""),
        observers=drill.get("observers", []),
        scope=drill.get("scope", {}),
        release_labels=_release_labels(ctx),
        scenarios_selected=selected,
        started_at=started_at,
        finished_at=finished.ts if finished else None,
        duration_s=round(duration, 3) if duration is not None else None,
        run_status=run_status,  # type: ignore[arg-type]
        result=result,
        result_reasons=reasons,
        preconditions=preconditions,
        scenarios={item.scenario: item for item in scenarios},
        gates=gates,
        incident_notes=_incident_notes(ctx, scenarios, preconditions, gates),
        evidence_files=[],
        hadrill_version=hadrill.__version__,
        controller=drill.get("controller", {}),
    )


def _release_labels(ctx: BundleContext) -> dict[str, str]:
    labels = dict(ctx.drill.get("release_labels", {}))
    observed = next((item for item in ctx.checks if item.name == "api_release_observed"), None)
    if observed and isinstance(observed.observed, dict):
        for host, release in observed.observed.items():
            labels.setdefault(f"api@{host}", str(release))
    return labels


def sweep_secrets(root: Path) -> int:
    """Last line of defence: redact any known secret still present in a bundle file."""
    redactor = runtime.load_redactor(root)
    if not redactor.secrets:
        return 0
    fixed = 0
    for name in manifest.bundle_files(root):
        path = root / name
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if redactor.hits(text):
            path.write_text(redactor.text(text), encoding="utf-8")
            fixed += 1
    return fixed


def render(root: Path) -> Summary:
    """(Re)compute summary.json and report.md from the recorded events and samples."""
    from hadrill.report import write_report

    bundle = Bundle(root)
    summary = compute_summary(root)
    bundle.summary.write_text(summary.model_dump_json(indent=2) + "\n", encoding="utf-8")
    summary.evidence_files = manifest.bundle_files(root)
    bundle.summary.write_text(summary.model_dump_json(indent=2) + "\n", encoding="utf-8")
    write_report(root, summary)
    return summary


def finalize(root: Path) -> tuple[Summary, str]:
    """Render, sweep secrets, seal with the manifest, release the environment lock."""
    summary = render(root)
    sweep_secrets(root)
    digest = manifest.write_manifest(root)
    drill = json.loads(Bundle(root).drill.read_text(encoding="utf-8")) if Bundle(root).drill.exists() else {}
    # With undo actions still open the lock stays (the next drill must be told to recover first),
    # and so do the sampler specs that recovery needs to find the processes.
    if not journal.open_entries(root):
        if drill.get("environment"):
            lock.release(root.parent, drill["environment"], root.name)
        if not launcher.running(root):
            runtime.remove_drill_files(root)
    else:
        runtime.remove_secrets(root)
    return summary, digest
