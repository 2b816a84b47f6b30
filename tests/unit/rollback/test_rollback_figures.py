"""Scenario B figures from a synthetic bundle: markers, checks and probe samples in, figures out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hadrill.context import BundleContext
from hadrill.scenarios.rollback.figures import summarize

T0 = 1000.0
MARKERS = [
    ("scenario_started", 0.0, {}), ("probe_started", 0.5, {}), ("baseline_started", 1.0, {}),
    ("baseline_finished", 6.0, {}), ("candidate_deploy_started", 6.2, {"release": "v2", "hosts": ["api-1"]}),
    ("host_drain_started", 6.3, {"host": "api-1", "phase": "candidate"}),
    ("host_enabled", 8.0, {"host": "api-1", "phase": "candidate"}),
    ("candidate_deployed", 8.2, {"release": "v2", "hosts": ["api-1"]}),
    ("observation_started", 8.3, {}),
    ("abort_fired", 12.0, {"error_rate": 0.2, "window_seconds": 3.0, "threshold": 0.05, "above_for_seconds": 2.0}),
    ("rollback_started", 12.2, {}),
    ("host_drain_started", 12.3, {"host": "api-1", "phase": "rollback"}),
    ("host_enabled", 15.0, {"host": "api-1", "phase": "rollback"}),
    ("previous_release_restored", 15.2, {"release": "v1"}),
    ("host_drain_started", 15.3, {"host": "api-2", "phase": "align"}),
    ("host_enabled", 18.0, {"host": "api-2", "phase": "align"}),
    ("readiness_green", 19.0, {}), ("recovery_window_finished", 24.0, {}), ("probe_stopped", 24.2, {}),
    ("scenario_finished", 24.3, {}),
]


def iso(offset: float) -> str:
    seconds = 10 * 3600 + offset
    return f"2026-11-28T{int(seconds // 3600):02d}:{int(seconds % 3600 // 60):02d}:{seconds % 60:09.6f}Z"


def request(seq: int, offset: float, status: int | None, latency_ms: float) -> dict:
    return {"ts": iso(offset + latency_ms / 1000), "mono": T0 + offset + latency_ms / 1000, "seq": seq,
            "sent_ts": iso(offset), "sent_mono": T0 + offset, "request": "write", "status": status,
            "ok": status == 200, "latency_ms": latency_ms}


def fate(seq: int, offset: float) -> tuple[int | None, float]:
    if seq == 50:                          # one LB error in the baseline, outside every switch window
        return 503, 2.0
    if 8.0 <= offset < 12.3 and seq % 3 == 0:  # the candidate's own 500s, while it serves
        return 500, 30.0
    if seq == 311:                         # one connection error while api-2 is being switched
        return None, 1.0
    return 200, 10.0 + (seq % 10)


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    root = tmp_path / "ha_drill_20261128_unit_01"
    (root / "samples").mkdir(parents=True)
    drill = {"drill_id": root.name, "scenarios": ["rollback"],
             "thresholds": {"rollback_seconds": 60, "error_rate_recovery_seconds": 30},
             "config": {"scenarios": {"rollback": {"api_rollback_window_seconds": 3.0,
                                                   "api_rollback_recovery_error_rate_margin": 0.0}}}}
    (root / "drill.json").write_text(json.dumps(drill))
    lines = [{"event": "marker", "name": name, "scenario": "rollback", "ts": iso(offset), "mono": T0 + offset,
              "data": data} for name, offset, data in MARKERS]
    lines += [{"event": "check", "name": "startup_contract", "label": f"Startup contract of v1 on {host}",
               "scenario": "rollback", "passed": True, "ts": iso(16.0), "mono": T0 + 16.0} for host in ("api-1", "api-2")]
    (root / "events.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    samples = []
    for seq in range(int((24.2 - 0.5) / 0.05)):
        offset = round(0.5 + seq * 0.05, 6)
        status, latency = fate(seq, offset)
        samples.append(request(seq, offset, status, latency))
    (root / "samples" / "rollback_traffic.jsonl").write_text("".join(json.dumps(item) + "\n" for item in samples))
    return root


def figures(summary) -> dict:
    return {item.name: item for item in summary.figures}


def test_every_figure_comes_from_markers_and_samples(bundle: Path):
    summary = summarize(BundleContext.load(bundle))
    found = figures(summary)
    assert summary.outcome == "pass", summary.reasons
    assert found["rollback_seconds"].value == pytest.approx(6.8) and found["rollback_seconds"].verdict == "pass"
    assert found["candidate_deployed_at"].value == iso(8.2)
    assert found["readiness_green_at"].value == iso(19.0)
    assert found["abort_fired"].value is True
    # baseline [1, 6): 100 requests, one 503 -> 1%; p95 of latencies 10..19 ms and one 2 ms
    assert found["error_rate_before"].value == pytest.approx(1.0)
    assert found["error_rate_after"].value == 0.0
    assert found["p95_during_ms"].value == pytest.approx(30.0)
    assert found["restart_failed_requests"].value == 1
    assert found["startup_contract_failures"].value == 0


def test_recovery_waits_for_the_window_holding_the_last_error(bundle: Path):
    summary = summarize(BundleContext.load(bundle))
    recovery = figures(summary)["error_rate_recovery_seconds"]
    # envelope = baseline 1% + margin 0; the connection error at t=16.05 puts 1/60 = 1.7% into every
    # window starting in (13.05, 16.05]; the first clean one starts on the grid after 16.05
    assert recovery.value == pytest.approx(16.05 - 15.2, abs=0.3 + 1e-6)
    assert recovery.verdict == "pass"


def test_report_material_and_plot(bundle: Path):
    summary = summarize(BundleContext.load(bundle))
    assert summary.evidence == ["samples/rollback_traffic.jsonl", "plots/rollback.svg"]
    svg = (bundle / "plots" / "rollback.svg").read_text()
    assert "abort fired" in svg and "readiness green" in svg and svg.count("<polyline") == 2
    assert summary.execution[0] == f"Candidate `v2` deployed to canary slice `api-1` at `{iso(8.2)}`"
    assert any(line.startswith("Abort rule fired") and "20.0%" in line for line in summary.execution)
    assert [item["phase"] for item in summary.details["switch_windows"]] == ["candidate", "rollback", "align"]
    assert summary.details["restart_failures"][0]["host"] == "api-2"


def test_a_failed_start_of_the_known_good_release_fails_the_scenario(bundle: Path):
    with (bundle / "events.jsonl").open("a") as handle:
        handle.write(json.dumps({"event": "check", "name": "startup_contract", "label": "Startup contract of v1 on api-1",
                                 "scenario": "rollback", "passed": False, "detail": "STARTUP CONTRACT FAILURE: x",
                                 "ts": iso(30.0), "mono": T0 + 30.0}) + "\n")
    summary = summarize(BundleContext.load(bundle))
    assert summary.outcome == "fail"
    assert figures(summary)["startup_contract_failures"].value == 1
    assert any("STARTUP CONTRACT FAILURE" in reason for reason in summary.reasons)


def test_an_unfinished_scenario_reports_missing_figures(bundle: Path):
    kept = [line for line in (bundle / "events.jsonl").read_text().splitlines()
            if json.loads(line).get("name") not in {"readiness_green", "recovery_window_finished", "scenario_finished"}]
    (bundle / "events.jsonl").write_text("\n".join(kept) + "\n")
    summary = summarize(BundleContext.load(bundle))
    found = figures(summary)
    assert summary.outcome == "incomplete"
    assert found["rollback_seconds"].verdict == "missing" and found["readiness_green_at"].verdict == "missing"
