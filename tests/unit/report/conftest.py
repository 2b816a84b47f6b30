"""A drill's summary with every kind of row the renderings show (a passed, a failed and an
unmeasured judged figure, a check that compared nothing, a failed gate, deliveries), and a bundle
directory holding its plots, drawn by hadrill.plots."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadrill.plots import Chart, MarkerLine, Series, Span, Threshold, write_svg
from hadrill.summary import (
    Check,
    Delivery,
    Figure,
    GateResult,
    Preconditions,
    ScenarioSummary,
    SealInfo,
    Signing,
    Summary,
    TimelineEntry,
)
from tests.support.recording import _signed_template, keys, recorded, signed, unsigned  # noqa: F401 (fixtures)

DRILL_ID = "ha_drill_20261128_staging_03"


def _at(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"2026-11-28T10:{int(minutes):02d}:{rest:09.6f}Z"


def make_summary(*, signed: bool = False) -> Summary:
    restore = ScenarioSummary(
        scenario="restore", title="Scenario A: Database Restore Drill (PITR/Backup)", goal="Verify the restore.",
        selected=True, outcome="fail", reasons=["RTO 130s exceeds its threshold <= 2m"],
        execution=["Restore target: latest archived WAL"],
        timeline=[TimelineEntry(label="Scenario started", at=_at(1)), TimelineEntry(label="Incident declared", at=_at(5)),
                  TimelineEntry(label="Promoted (out of recovery)", at=_at(60)),
                  TimelineEntry(label="API smoke passed", at=_at(135)), TimelineEntry(label="Scenario finished", at=_at(140))],
        figures=[
            Figure.judged("rto_seconds", "RTO (incident to API smoke passed)", 130.0, threshold=120.0,
                          source="markers incident, smoke_passed", window="incident to smoke_passed"),
            Figure.judged("rpo_seconds", "RPO", 1.25, threshold=15.0),
            Figure.judged("restore_seconds", "Restore duration", 40.5),
            Figure(name="target_exact", label="Newest restored row is the last before the target", value=True),
            Figure(name="canary_lost", label="Canary rows lost", value=10, unit="rows"),
        ],
        checks=[Check(name="schema_version", label="Schema version of the restored database", passed=True, observed=3,
                      expected=3),
                Check(name="tenant_sample_default", label="Tenant sample default", passed=True, observed={"rows": 0},
                      compared_nothing="the sample covered 0 rows on both sides")],
        evidence=["samples/canary.jsonl", "plots/restore.svg"],
    )
    rollback = ScenarioSummary(
        scenario="rollback", title="Scenario B: API Rollback Drill", goal="Roll back.", selected=True, outcome="incomplete",
        reasons=["error_rate_recovery_seconds could not be measured"],
        timeline=[TimelineEntry(label="Scenario started", at=_at(150)), TimelineEntry(label="Rollback started", at=_at(170)),
                  TimelineEntry(label="Readiness fully green", at=_at(185)), TimelineEntry(label="Scenario finished", at=_at(200))],
        figures=[
            Figure.judged("rollback_seconds", "Rollback duration", 15.0, threshold=60.0,
                          window="rollback_started to readiness_green"),
            Figure.judged("error_rate_recovery_seconds", "Error-rate recovery", None, threshold=30.0),
            Figure(name="error_rate_observed", label="Error rate while the candidate was observed", value=20.37, unit="%",
                   window="requests sent from observation_started to rollback_started (54 requests over 2.7s)"),
            Figure(name="p95_before_ms", label="Latency p95 before", value=5.5, unit="ms"),
        ],
        checks=[Check(name="startup_contract", label="Startup contract api-1", passed=True),
                Check(name="startup_contract", label="Startup contract api-2", passed=False, detail="exit code 3")],
        details={"plot": {"window": "error rate of the requests sent in the 3s before each point"}},
        evidence=["plots/rollback.svg"],
    )
    replay = ScenarioSummary(scenario="replay", title="Scenario C: Worker Recovery and Replay", goal="Replay.",
                             selected=False, outcome="not_run")
    return Summary(
        drill_id=DRILL_ID, environment="staging", environment_class="staging", date="2026-11-28", owner="oncall",
        observers=["sre-lead"], scope={"tenant": "default"}, release_labels={"api@api-1": "v1.2.3"},
        scenarios_selected=["restore", "rollback"], started_at=_at(0), finished_at=_at(210), duration_s=210.0,
        run_status="completed", result="fail", result_reasons=["Scenario A failed"],
        preconditions=Preconditions(outcome="pass", checks=[
            Check(name="db_reachable", label="Primary database reachable", passed=True, observed="PostgreSQL 15",
                  expected="reachable primary")]),
        scenarios={"restore": restore, "rollback": rollback, "replay": replay},
        gates=[GateResult(name="health", command="check-health --strict", host="api-1", rc=0, passed=True, duration_s=0.5,
                          started_at=_at(205), output_file="gates/health.log"),
               GateResult(name="consistency", command="check <consistency> & more", host="db-1", rc=2, passed=False,
                          duration_s=1.25, started_at=_at(206), output_file="gates/consistency.log")],
        evidence_files=["drill.json", "events.jsonl", "gates/consistency.log", "gates/health.log", "plots/restore.svg",
                        "plots/rollback.svg", "report.html", "report.md", "summary.json"],
        hadrill_version="0.1.0",
        seal=SealInfo(number=1, sealed_at=_at(211), sealed_by="hadrill.drills.evidence", path=f"/srv/evidence/{DRILL_ID}",
                      signing=Signing(principal="hadrill-drill@staging", key_fingerprint="SHA256:abc") if signed else None,
                      unsigned_reason=None if signed else "no drill signing key was configured (drill_signing_key)"),
        deliveries=[Delivery(kind="notification", event="start", target="#ops", delivered=True, status=200, at=_at(0.5)),
                    Delivery(kind="metrics", event="end", target="http://127.0.0.1:9", delivered=False,
                             error="ConnectionRefusedError: [Errno 111] Connection refused", at=_at(209))],
    )


def write_plots(root: Path) -> Path:
    write_svg(root / "plots" / "restore.svg", Chart(
        title="Canary rows", series=[Series("acknowledged canary row", [(0, 0), (10, 40), (20, 80)])],
        markers=[MarkerLine("incident", 12), MarkerLine("smoke passed", 19)], spans=[Span("RTO window", 12, 19)]))
    write_svg(root / "plots" / "rollback.svg", Chart(
        title="API rollback", series=[Series("error rate", [(0, 0), (5, 40), (10, 0)], unit="%")],
        thresholds=[Threshold("abort rule", 5.0)], markers=[MarkerLine("rollback started", 5.5)]))
    return root


@pytest.fixture
def summary() -> Summary:
    return make_summary()


@pytest.fixture
def bundle(tmp_path) -> Path:
    return write_plots(tmp_path / DRILL_ID)
