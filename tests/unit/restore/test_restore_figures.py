"""Scenario A figures from a synthetic bundle: markers, checks and canary samples in, figures out."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hadrill.context import BundleContext
from hadrill.scenarios.restore.figures import summarize

T0 = datetime(2026, 2, 28, 10, 0, 0, tzinfo=timezone.utc)
MONO0 = 1000.0


def iso(offset: float) -> str:
    return (T0 + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def marker(name: str, offset: float, data: dict | None = None) -> dict:
    return {"event": "marker", "name": name, "scenario": "restore", "ts": iso(offset), "mono": MONO0 + offset,
            "data": data or {}}


def check(name: str, offset: float, passed: bool, observed=None, label: str = "") -> dict:
    return {"event": "check", "name": name, "label": label or name, "scenario": "restore", "passed": passed,
            "observed": observed, "expected": None, "detail": "", "ts": iso(offset), "mono": MONO0 + offset}


def canary(seq: int) -> dict:
    sent = 1.0 + 0.1 * seq  # the writer starts at 1.0 s
    return {"seq": seq, "ok": True, "sent_ts": iso(sent), "sent_mono": MONO0 + sent, "ts": iso(sent + 0.002),
            "mono": MONO0 + sent + 0.002, "written_at": iso(sent + 0.001)}


def write_bundle(root: Path, events: list[dict], samples: list[dict], thresholds: dict) -> Path:
    (root / "samples").mkdir(parents=True)
    (root / "drill.json").write_text(json.dumps({"drill_id": root.name, "scenarios": ["restore"],
                                                 "thresholds": thresholds}))
    (root / "events.jsonl").write_text("".join(json.dumps(item) + "\n" for item in events))
    (root / "samples" / "canary.jsonl").write_text("".join(json.dumps(item) + "\n" for item in samples))
    return root


def events(target_kind: str, newest_seq: int, target_offset: float | None) -> list[dict]:
    return [
        marker("scenario_started", 0.0), marker("canary_started", 1.0), marker("snapshot_taken", 14.0),
        marker("incident", 15.05, {"target": target_kind}),
        marker("restore_target", 15.06, {"target": target_kind,
                                         "target_time": iso(target_offset) if target_offset is not None else None}),
        marker("restore_started", 16.0, {"method": "pgbackrest", "backup": "20260228-090000F", "host": "127.0.0.1",
                                         "port": 5433}),
        marker("restore_finished", 19.5), marker("instance_started", 19.6), marker("promoted", 25.0),
        check("schema_version", 25.2, True, "3"), marker("schema_checked", 25.3),
        check("canary_restored", 25.4, True, {"newest_seq": newest_seq, "rows": newest_seq + 1, "table_present": True}),
        marker("smoke_started", 26.0),
        check("smoke_health", 27.0, True, {"method": "GET", "path": "/health"}),
        check("smoke_write", 27.1, True, {"method": "POST", "path": "/v1/items"}),
        marker("smoke_passed", 27.5, {"endpoints": ["/health", "/v1/items"]}),
        marker("teardown_finished", 30.0), marker("scenario_finished", 30.1),
    ]


@pytest.fixture
def samples() -> list[dict]:
    return [canary(seq) for seq in range(150)]  # rows 0..149, sent 1.0 .. 15.9 s


def test_time_target_figures(tmp_path, samples):
    # Target at 14.05 s: between row 130 (written 14.001) and row 131 (14.101). Incident at 15.05 s:
    # row 140 (acknowledged 15.002) is the newest acknowledged at the incident.
    root = write_bundle(tmp_path / "ha_drill_20260228_unit_01", events("time", 130, 14.05), samples,
                        {"rto_seconds": 120, "rpo_seconds": 15})
    summary = summarize(BundleContext.load(root))
    figures = {item.name: item for item in summary.figures}
    assert summary.outcome == "pass", summary.reasons
    assert figures["rto_seconds"].value == pytest.approx(12.45) and figures["rto_seconds"].verdict == "pass"
    assert figures["rpo_seconds"].value == pytest.approx(1.0) and figures["rpo_seconds"].verdict == "pass"
    assert figures["restore_seconds"].value == pytest.approx(3.5)
    assert figures["promote_seconds"].value == pytest.approx(5.5)
    assert figures["time_to_promoted_seconds"].value == pytest.approx(9.95)
    assert figures["target_exact"].value is True and figures["target_exact"].verdict == "pass"
    assert figures["canary_acknowledged"].value == 141 and figures["canary_lost"].value == 10
    assert summary.execution[:4] == [
        f"Restore target timestamp: `{iso(14.05)}`",
        f"Restore completed at: `{iso(25.0)}`",
        f"API smoke started at: `{iso(26.0)}`",
        "Smoke endpoints passed: `/health`, `/v1/items`",
    ]
    assert [entry.at for entry in summary.timeline][:4] == [iso(0.0), iso(1.0), iso(14.0), iso(15.05)]
    assert (root / "plots" / "restore.svg").exists()


def test_a_restore_that_missed_the_target_fails(tmp_path, samples):
    root = write_bundle(tmp_path / "ha_drill_20260228_unit_02", events("time", 133, 14.05), samples, {})
    summary = summarize(BundleContext.load(root))
    figures = {item.name: item for item in summary.figures}
    assert figures["target_exact"].value is False and summary.outcome == "fail"
    assert summary.details["canary"]["expected_newest_restored"] == 130


def test_latest_target_rpo_is_judged(tmp_path, samples):
    root = write_bundle(tmp_path / "ha_drill_20260228_unit_03", events("latest", 60, None), samples,
                        {"rto_seconds": 120, "rpo_seconds": 5})
    summary = summarize(BundleContext.load(root))
    figures = {item.name: item for item in summary.figures}
    assert "target_exact" not in figures
    assert figures["rpo_seconds"].value == pytest.approx(8.0) and figures["rpo_seconds"].verdict == "fail"
    assert summary.outcome == "fail"
    assert any("RPO" in reason and "outside the threshold" in reason for reason in summary.reasons)
    assert summary.execution[0] == f"Restore target: latest archived WAL at the incident (`{iso(15.05)}`)"


def test_a_failed_restore_reports_why_and_what_was_not_measured(tmp_path, samples):
    failed = [marker("scenario_started", 0.0), marker("canary_started", 1.0), marker("incident", 15.05, {"target": "time"}),
              marker("scenario_failed", 16.0, {"reason": "restore target 2000-01-01T00:00:00.000000Z is before the oldest backup"}),
              marker("teardown_finished", 17.0)]
    root = write_bundle(tmp_path / "ha_drill_20260228_unit_04", failed, samples, {"rto_seconds": 120})
    summary = summarize(BundleContext.load(root))
    figures = {item.name: item for item in summary.figures}
    assert summary.outcome == "fail"
    assert summary.reasons[0].startswith("restore target 2000-01-01")
    assert figures["rto_seconds"].verdict == "missing" and figures["rpo_seconds"].value is None
    assert "Restore completed at: `not reached`" in summary.execution
