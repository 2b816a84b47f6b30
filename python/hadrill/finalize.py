"""Turn what a drill recorded into summary.json and report.md, then seal the bundle.

Sealing: an ``evidence_sealed`` marker (which seal, by what, where, signed by which key or why
unsigned), then summary.json and report.md, the secret sweep, the bundle's mode rule,
MANIFEST.sha256, and the seal statement in signatures/ signed with the drill key when one is
configured (``drill_signing_key``).
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Final

import hadrill
from hadrill import clock, journal, layout, lock, manifest, runtime, statements, target_journal
from hadrill.context import BundleContext
from hadrill.notify import DELIVERY_MARKER
from hadrill.events import make_marker, read_lines, record_marker
from hadrill.samplers import launcher
from hadrill.scenarios import TITLES
from hadrill.scenarios.base import as_check, not_selected
from hadrill.signing import Key, SigningError
from hadrill.summary import (
    Delivery,
    GateResult,
    IncidentNotes,
    Preconditions,
    ScenarioSummary,
    SealInfo,
    Signing,
    Summary,
)
from hadrill.verdict import overall

SEALED_MARKER = "evidence_sealed"
SEALED_BY_DRILL = "hadrill.drills.evidence"
DRILL_KEY: Final = "drill key"  # finalize(signing_key=DRILL_KEY): the key drill.json's settings name

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
        seal=_seal_info(ctx),
        deliveries=[Delivery.model_validate({**marker.data, "at": marker.ts})
                    for marker in ctx.markers.all(DELIVERY_MARKER)],
    )


def _seal_info(ctx: BundleContext) -> SealInfo | None:
    marker = ctx.markers.last(SEALED_MARKER)
    return SealInfo.model_validate(marker.data) if marker else None


def _release_labels(ctx: BundleContext) -> dict[str, str]:
    labels = dict(ctx.drill.get("release_labels", {}))
    observed = next((item for item in ctx.checks if item.name == "api_release_observed"), None)
    if observed and isinstance(observed.observed, dict):
        for host, release in observed.observed.items():
            labels.setdefault(f"api@{host}", str(release))
    return labels


def sweep_secrets(root: Path) -> int:
    """Last line of defence: redact any known secret still present in a bundle file.

    Only regular files are read, never through a link; a redacted file replaces the old one by
    rename, so a link in the bundle is replaced, not written through."""
    redactor = runtime.load_redactor(root)
    if not redactor.secrets:
        return 0
    fixed = 0
    for name in manifest.bundle_files(root):
        try:
            text = layout.read_text(root, name)
        except (UnicodeDecodeError, OSError):
            continue
        if redactor.hits(text):
            layout.write_text(root, name, redactor.text(text))
            fixed += 1
    return fixed


def evidence_files(root: Path) -> list[str]:
    """The files summary.json lists: every bundle file, summary.json and the renderings included."""
    from hadrill.report import RENDERED

    return sorted(set(manifest.bundle_files(root)) | {"summary.json", *RENDERED})


def derive(root: Path) -> Summary:
    """summary.json's content, computed from what the bundle recorded (writes plots, nothing else)."""
    summary = compute_summary(root)
    summary.evidence_files = evidence_files(root)
    return summary


def render(root: Path) -> Summary:
    """(Re)compute summary.json and its renderings (report.md, report.html, junit.xml) from the
    recorded events and samples."""
    from hadrill.report import write_report

    summary = derive(root)
    layout.write_text(root, "summary.json", summary.model_dump_json(indent=2) + "\n")
    write_report(root, summary)
    return summary


def _drill_settings(root: Path) -> dict:
    try:
        drill = json.loads(layout.read_text(root, "drill.json"))
    except (OSError, ValueError):
        return {}
    settings = drill.get("config", {}).get("settings", {}) if isinstance(drill, dict) else {}
    return {"environment": drill.get("environment", ""), **settings} if isinstance(settings, dict) else {}


def _signer(root: Path, signing_key: str | Path | None, principal: str | None) -> tuple[Key | None, str | None, str | None]:
    """(key, principal, why unsigned) for this seal."""
    settings = _drill_settings(root)
    if signing_key == DRILL_KEY:
        configured = settings.get("drill_signing_key")
        if not configured:
            return None, None, "no drill signing key was configured (drill_signing_key)"
        signing_key = configured
        principal = principal or settings.get("drill_signing_principal")
    if signing_key is None:
        return None, None, "sealed without a signing key"
    principal = principal or settings.get("drill_signing_principal") or f"hadrill-drill@{settings.get('environment') or 'unknown'}"
    return Key(Path(os.path.expanduser(str(signing_key)))), principal, None


def _seal(root: Path) -> tuple[Summary, str]:
    summary = render(root)
    sweep_secrets(root)
    layout.prune_empty_dirs(root)
    layout.apply_modes(root)
    return summary, manifest.write_manifest(root)


def _mark(root: Path, info: SealInfo) -> None:
    record_marker(root, make_marker(SEALED_MARKER, data=info.model_dump(mode="json")))


def finalize(root: Path, *, sealed_by: str = SEALED_BY_DRILL, reason: str | None = None,
             signing_key: str | Path | None = DRILL_KEY, principal: str | None = None) -> tuple[Summary, str]:
    """Render, sweep secrets, seal with the manifest and a (signed) seal statement, release the lock.

    ``signing_key``: DRILL_KEY (the drill's own key from drill.json, if configured), a key path, or
    None (unsigned). The seal is recorded in events.jsonl first, so summary.json and the report say
    how the bundle was sealed; if signing then fails, the bundle is re-rendered as unsigned, saying why.
    """
    for name in manifest.bundle_files(root):  # a malformed line refuses the seal before anything is written
        if name.endswith(".jsonl"):
            for _ in read_lines(root / name):
                pass
    number = statements.next_number(root, "seal")
    key, principal, unsigned_reason = _signer(root, signing_key, principal)
    fingerprint = None
    if key is not None:
        try:
            fingerprint = key.check_usable()
        except SigningError as exc:
            key, unsigned_reason = None, f"the signing key could not be used: {exc}"
    info = SealInfo(number=number, sealed_at=clock.now().iso, sealed_by=sealed_by, path=str(root.absolute()),
                    reason=reason, unsigned_reason=unsigned_reason,
                    signing=Signing(principal=principal, key_fingerprint=fingerprint) if key and principal and fingerprint
                    else None)
    _mark(root, info)
    summary, digest = _seal(root)
    statement = statements.SealStatement(
        drill_id=summary.drill_id, seal=number, manifest_sha256=digest, sealed_at=info.sealed_at,
        sealed_by=sealed_by, reason=reason, principal=principal if key else None, key_fingerprint=fingerprint)
    signature = None
    if key is not None:
        try:
            signature = key.sign(statement.data())
        except SigningError as exc:
            info = info.model_copy(update={"signing": None, "unsigned_reason": str(exc)})
            _mark(root, info)
            summary, digest = _seal(root)
            statement = statement.model_copy(update={"manifest_sha256": digest, "principal": None, "key_fingerprint": None})
    with statements.locked(root):
        statements.append(root, "seal", statement, signature)
    # The digest on the target side too, so that a bundle lost with its controller is known to be lost.
    target_journal.record_seal(root, manifest_sha256=digest, result=summary.result, sealed_at=info.sealed_at,
                               sealed_by=sealed_by, number=number)
    drill = _drill_settings(root)
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
