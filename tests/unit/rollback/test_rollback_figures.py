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
    assert "abort fired" in svg and "readiness green" in svg and 'id="series-1"' in svg and 'id="series-2"' not in svg
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


AVAILABILITY = {"rollback_error_rate_percent": 5.0, "longest_outage_seconds": 2.0, "restart_failed_requests": 0}


def with_availability(root: Path, *, api2_down: tuple[float, float] | None = None, outage: tuple[float, float] | None = None) -> Path:
    """Adds the replica watch (api-1, api-2 every 0.25 s) and the availability thresholds; api-2 is
    down in ``api2_down`` (offsets) and every probe request sent in ``outage`` failed with a 503."""
    drill = json.loads((root / "drill.json").read_text())
    drill["thresholds"].update(AVAILABILITY)
    (root / "drill.json").write_text(json.dumps(drill))
    with (root / "events.jsonl").open("a") as handle:
        handle.write(json.dumps({"event": "marker", "name": "sampler_started", "scenario": "rollback", "ts": iso(0.4),
                                 "mono": T0 + 0.4, "data": {"sampler": "rollback_replicas", "kind": "replica_watch"}}) + "\n")
    records = []
    for seq in range(int((24.2 - 0.5) / 0.25)):
        offset = 0.5 + seq * 0.25
        for host in ("api-1", "api-2"):
            down = host == "api-2" and api2_down is not None and api2_down[0] <= offset < api2_down[1]
            switched = host == "api-1" and (6.3 <= offset <= 8.0 or 12.3 <= offset <= 15.0)
            records.append({"ts": iso(offset), "mono": T0 + offset + 0.002, "seq": seq, "host": host,
                            "sent_mono": T0 + offset, "ok": not (down or switched),
                            "status": None if down or switched else 200,
                            "lb_status": "DOWN" if down else "MAINT" if switched else "UP"})
    (root / "samples" / "rollback_replicas.jsonl").write_text("".join(json.dumps(item) + "\n" for item in records))
    (root / "samples" / "rollback_replicas.meta.json").write_text(json.dumps({"interval_seconds": 0.25}))
    if outage is not None:
        lines = [json.loads(line) for line in (root / "samples" / "rollback_traffic.jsonl").read_text().splitlines()]
        for item in lines:
            if outage[0] <= item["sent_mono"] - T0 < outage[1]:
                item.update(status=503, ok=False, latency_ms=1.0)
        (root / "samples" / "rollback_traffic.jsonl").write_text("".join(json.dumps(item) + "\n" for item in lines))
    return root


def test_a_clean_drill_passes_the_availability_thresholds_and_names_each_window(bundle: Path):
    summary = summarize(BundleContext.load(with_availability(bundle)))
    found = figures(summary)
    # the one connection error while api-2 was switched is the drill's own, and the default allows none
    assert summary.reasons == ["Failed requests caused by the drill's own restarts 1 requests is outside the "
                               "threshold <= 0 requests"]
    # rollback [12.2, 19.0): 136 requests; the candidate's 500s stop at its drain (12.3): 12.2..12.3 holds none
    assert found["rollback_error_rate_percent"].verdict == "pass"
    assert found["rollback_error_rate_percent"].window.startswith("requests sent from rollback_started to readiness_green")
    # the longest run without success: a 500 and the connection error are single failures
    assert found["longest_outage_seconds"].value == pytest.approx(0.05) and found["longest_outage_seconds"].verdict == "pass"
    assert found["restart_failed_requests"].threshold == 0 and found["restart_failed_requests"].verdict == "fail"
    check = next(item for item in summary.checks if item.name == "untouched_replicas_up")
    assert check.passed and check.status == "pass"
    assert "observation_started to rollback_started" in found["error_rate_observed"].window
    assert "answered in the 3s before each evaluation" in found["abort_fired"].window
    assert summary.details["plot"]["window"].startswith("error rate and p95 of the requests sent in the 3s before each point")
    assert any(line.startswith("Plot `plots/rollback.svg`") for line in summary.execution)
    assert any(line.startswith("Replica watch:") and "none" in line for line in summary.execution)


def test_an_untouched_replica_going_down_fails_the_scenario_and_is_named(bundle: Path):
    summary = summarize(BundleContext.load(with_availability(bundle, api2_down=(12.5, 15.0), outage=(13.0, 15.0))))
    found = figures(summary)
    assert summary.outcome == "fail"
    check = next(item for item in summary.checks if item.name == "untouched_replicas_up")
    assert not check.passed
    (down,) = check.observed["api-2"]
    assert down["start_mono"] == pytest.approx(T0 + 12.5) and down["end_mono"] == pytest.approx(T0 + 15.0)
    assert down["seconds"] == pytest.approx(2.5) and down["lb_statuses"] == ["DOWN"]
    assert any(reason.startswith("Every replica stayed up while the drill was not switching it: api-2 down 2.50s")
               for reason in summary.reasons), summary.reasons
    # every request sent in [13, 15) failed: 2 s without a success, judged against 2 s: passes at the limit
    assert found["longest_outage_seconds"].value == pytest.approx(2.0)
    assert found["rollback_error_rate_percent"].value > 5.0 and found["rollback_error_rate_percent"].verdict == "fail"
    assert found["restart_failed_requests"].value > 1


def test_a_bundle_without_a_replica_watch_has_no_replica_check(bundle: Path):
    summary = summarize(BundleContext.load(bundle))
    assert not any(item.name == "untouched_replicas_up" for item in summary.checks)
    assert summary.details["replica_watch"] is None
