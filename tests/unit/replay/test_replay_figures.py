"""Scenario C figures from a synthetic bundle: values, verdicts, reasons, execution lines, plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hadrill.context import BundleContext
from hadrill.scenarios.replay.figures import summarize

INTERVAL = 0.5


def ts(mono: float) -> str:
    minutes, seconds = divmod(mono, 60)
    return f"2026-11-28T10:{int(minutes):02d}:{seconds:09.6f}Z"


def marker(name: str, mono: float, **data: Any) -> dict[str, Any]:
    return {"event": "marker", "name": name, "scenario": "replay", "ts": ts(mono), "mono": mono, "data": data}


def write_bundle(root: Path, *, backlog: list[float | None], failed: list[float] | None = None,
                 events: list[dict[str, Any]], writes: int = 100, config: dict[str, Any] | None = None) -> BundleContext:
    """Backlog samples every INTERVAL from mono 0; one write per 0.1 s from 0 to 20 s."""
    root.mkdir(parents=True)
    (root / "drill.json").write_text(json.dumps({
        "drill_id": root.name, "scenarios": ["replay"],
        "thresholds": {"drain_seconds": 60, "backlog_peak_ratio": 1000},
        "config": {"scenarios": {"replay": {
            "worker_replay_write_rate": 10.0, "worker_replay_steady_samples": 3,
            "worker_replay_envelope_ratio": 2.0, "worker_replay_envelope_absolute": 5.0,
            "worker_replay_sample_interval_seconds": INTERVAL, "worker_replay_baseline_seconds": 2.6, **(config or {}),
        }}},
    }))
    samples = root / "samples"
    samples.mkdir()
    failed = failed or [0.0] * len(backlog)
    with (samples / "replay_backlog.jsonl").open("w") as handle:
        for index, value in enumerate(backlog):
            mono = index * INTERVAL
            handle.write(json.dumps({"ts": ts(mono), "mono": mono, "seq": index, "backlog": value,
                                     "failed": failed[index], "ok": value is not None}) + "\n")
    with (samples / "replay_writes.jsonl").open("w") as handle:
        for index in range(writes * 2):
            mono = index * 0.1
            handle.write(json.dumps({"ts": ts(mono), "mono": mono, "seq": index, "ok": True, "token": f"t{index}",
                                     "captured": {"id": 1000 + index}}) + "\n")
    with (root / "events.jsonl").open("w") as handle:
        for event in events:
            handle.write(json.dumps(event) + "\n")
    return BundleContext.load(root)


def proof_check(passed: bool = True, checked: int = 100, compared_nothing: str = "") -> dict[str, Any]:
    return {"event": "check", "name": "replay_proof", "label": "Writes acknowledged during the outage were processed",
            "scenario": "replay", "passed": passed, "ts": ts(25), "mono": 25.0, "compared_nothing": compared_nothing,
            "observed": {"checked": checked, "processed": checked if passed else checked - 3,
                         "missing": 0 if passed else 3},
            "detail": f"{checked}/{checked} writes acknowledged during the outage were processed"}


def gate(name: str, passed: bool) -> dict[str, Any]:
    return {"event": "gate", "name": name, "command": f"app gate {name}", "host": "worker-1", "scenario": "replay",
            "rc": 0 if passed else 1, "passed": passed, "duration_s": 1.0, "started_at": ts(26), "ts": ts(27),
            "mono": 27.0, "output_file": f"gates/replay-{name}.log"}


# baseline 0..3 s: [1,2,1,0,1,1]; paused 3..13 s: +5 per sample; resumed at 13.0; drained at 15.0
BACKLOG = [1, 2, 1, 0, 1, 1] + [5.0 * n for n in range(1, 21)] + [105, 60, 10, 2, 1, 0, 1, 2, 1, 0, 0, 1]


def normal_events(**extra_markers: float) -> list[dict[str, Any]]:
    events = [
        marker("scenario_started", 0.0), marker("baseline_started", 0.0), marker("baseline_finished", 2.6),
        marker("worker_paused", 3.0), marker("worker_resumed", 13.0), marker("drained", 16.2),
        marker("replay_verified", 25.0), marker("scenario_finished", 30.0),
        proof_check(), gate("health", True), gate("consistency", True),
    ]
    events += [marker(name, mono) for name, mono in extra_markers.items()]
    return sorted(events, key=lambda item: item["mono"])


def figures(summary) -> dict[str, Any]:
    return {item.name: item for item in summary.figures}


def test_a_clean_drill_passes_with_figures_from_the_samples(tmp_path):
    summary = summarize(write_bundle(tmp_path / "ha_drill_20261128_t_01", backlog=BACKLOG, events=normal_events()))
    found = figures(summary)
    assert summary.outcome == "pass", summary.reasons
    assert found["pause_seconds"].value == pytest.approx(10.0)
    assert found["baseline_backlog"].value == 1
    assert found["peak_backlog"].value == 105
    assert found["backlog_peak_ratio"].value == pytest.approx(105.0) and found["backlog_peak_ratio"].verdict == "pass"
    # resumed at 13.0; samples 13.0=105, 13.5=60, 14.0=10, 14.5=2 (first of three <= 5)
    assert found["drain_seconds"].value == pytest.approx(1.5) and found["drain_seconds"].verdict == "pass"
    assert (found["failed_before"].value, found["failed_after"].value) == (0, 0)
    assert found["writes_during_pause"].value == 101  # acknowledged at 3.0, 3.1 ... 13.0
    assert found["replay_proof"].value == "100/100" and found["post_recovery_gates"].value == "2/2"
    assert summary.execution[0].startswith("Worker paused for `10s` under controlled write traffic")
    assert summary.execution[1].startswith("Real outage, no processing: `10s` (the stop command 10:00:03.0 -> "
                                           "the first processing after the resume 10:00:13.5)")
    assert summary.execution[2] == "Backlog peaked at `~105x` normal baseline (peak 105, baseline 1)."
    assert summary.execution[3].startswith("Worker resumed and backlog drained in `1.5s`")
    assert summary.execution[4] == "Post-recovery gates passed: `app gate health`, `app gate consistency`"
    assert "plots/replay.svg" in summary.evidence
    svg = (tmp_path / "ha_drill_20261128_t_01" / "plots" / "replay.svg").read_text()
    for label in ("paused", "resumed", "drained", "backlog", "failed events"):
        assert label in svg


def test_a_zero_baseline_reports_the_absolute_peak(tmp_path):
    backlog = [0, 0, 0, 0, 0, 0] + BACKLOG[6:]
    summary = summarize(write_bundle(tmp_path / "ha_drill_20261128_t_02", backlog=backlog, events=normal_events()))
    ratio = figures(summary)["backlog_peak_ratio"]
    assert ratio.value is None and ratio.verdict == "info" and "absolute peak is 105" in ratio.source
    assert summary.outcome == "pass"
    assert summary.execution[2].startswith("Backlog peaked at `105` (normal baseline 0")


def test_failed_events_that_grew_fail_the_scenario_with_the_reason(tmp_path):
    failed = [2.0] * 30 + [3.0] * (len(BACKLOG) - 30)
    summary = summarize(write_bundle(tmp_path / "ha_drill_20261128_t_03", backlog=BACKLOG, failed=failed,
                                     events=normal_events()))
    assert summary.outcome == "fail"
    assert any("failed events grew from 2 to 3" in reason for reason in summary.reasons)
    assert (figures(summary)["failed_before"].value, figures(summary)["failed_after"].value) == (2, 3)


def test_a_drain_past_its_timeout_fails_but_says_slow_nothing_lost(tmp_path):
    # resumed at 13.0 with 105 pending; the worker catches up at 10/s net: inside the envelope at 23.0
    backlog = BACKLOG[:26] + [105 - 5 * n for n in range(21)] + [4, 3, 2]
    events = [event for event in normal_events() if event.get("name") != "drained"]
    events += [marker("drain_timeout", 20.0, reason="the backlog did not drain within 7s after the resume: ..."),
               marker("drain_overtime", 20.1, seconds=60.0, watching=True, workers={"w1": "RUNNING"}, not_running=[]),
               marker("drained", 24.1)]
    summary = summarize(write_bundle(tmp_path / "ha_drill_20261128_t_04", backlog=backlog, events=events,
                                     config={"worker_replay_drain_timeout_seconds": 7.0}))
    assert summary.outcome == "fail"
    drain = figures(summary)["drain_seconds"]
    assert drain.value == pytest.approx(10.0) and "after the drain timeout, in the extra watch" in drain.source
    assert summary.reasons == [
        "the backlog did not drain within 7s after the resume: ...; it drained 10.0s after the resume, in the extra "
        "watch; slow, nothing lost: 100/100 writes acknowledged during the outage were processed"]
    assert ("Worker resumed; the backlog did not drain within `7.0s`; it drained in `10s`, in the extra watch: "
            "slow, nothing lost: 100/100 writes acknowledged during the outage were processed.") in summary.execution
    assert [entry.label for entry in summary.timeline if entry.at][-4:] == [
        "Drain timeout", "Backlog drained (detected)", "Replay verified", "Scenario finished"]


def test_a_drain_that_never_came_says_how_much_was_lost(tmp_path):
    backlog = BACKLOG[:26] + [105 + 5 * n for n in range(1, 15)]
    events = [event for event in normal_events() if event.get("name") not in {"drained", "replay_verified", "replay_proof"}]
    events += [marker("drain_timeout", 20.0, reason="the backlog did not drain within 7s after the resume: ..."),
               marker("drain_overtime", 20.1, seconds=60.0, watching=False, workers={"w1": "BACKOFF"},
                      not_running=["w1"]),
               proof_check(passed=False)]
    summary = summarize(write_bundle(tmp_path / "ha_drill_20261128_t_04b", backlog=backlog, events=events,
                                     config={"worker_replay_drain_timeout_seconds": 7.0}))
    assert summary.outcome == "fail" and figures(summary)["drain_seconds"].verdict == "missing"
    assert ("the backlog did not drain within 7s after the resume: ...; no extra watch: w1 is BACKOFF; lost 3: 3 of "
            "100 writes acknowledged during the outage were not processed") in summary.reasons
    # No processing after the resume: no real outage figure, and the proof window ran to the last sample.
    assert figures(summary)["real_outage_seconds"].verdict == "missing"
    assert summary.details["proof_window"]["end"].startswith("last backlog sample")


def test_thresholds_judge_ratio_and_drain(tmp_path):
    ctx = write_bundle(tmp_path / "ha_drill_20261128_t_05", backlog=BACKLOG, events=normal_events())
    ctx.drill["thresholds"] = {"drain_seconds": 1.0, "backlog_peak_ratio": 50}
    summary = summarize(ctx)
    assert figures(summary)["drain_seconds"].verdict == "fail"
    assert figures(summary)["backlog_peak_ratio"].verdict == "fail"
    assert summary.outcome == "fail"


def test_a_cap_resume_and_a_failed_gate_are_reported(tmp_path):
    events = [event for event in normal_events() if event.get("name") != "consistency"]
    events.append(gate("consistency", False))
    events.append(marker("backlog_cap_reached", 12.9))
    summary = summarize(write_bundle(tmp_path / "ha_drill_20261128_t_06", backlog=BACKLOG, events=events,
                                     config={"worker_replay_backlog_cap": 100}))
    assert summary.outcome == "fail"
    assert "resumed early: the backlog passed the cap of 100" in summary.execution[0]
    assert any(line.startswith("Post-recovery gates failed: `app gate consistency` (exit code 1)") for line in summary.execution)


def test_an_unstarted_scenario_is_not_run(tmp_path):
    summary = summarize(write_bundle(tmp_path / "ha_drill_20261128_t_07", backlog=[], events=[]))
    assert summary.outcome == "not_run" and summary.execution == []


def test_a_worker_that_did_not_come_back_has_no_drain_figure_and_says_why(tmp_path):
    events = [event for event in normal_events()
              if event.get("name") not in {"drained", "replay_verified", "scenario_finished"} and event["event"] == "marker"]
    events.append(marker("scenario_failed", 16.0, reason="the worker did not come back after the resume: w1 is BACKOFF"))
    backlog = BACKLOG[:26] + [105 + 5 * n for n in range(1, 8)]
    summary = summarize(write_bundle(tmp_path / "ha_drill_20261128_t_08", backlog=backlog, events=events))
    assert summary.outcome == "fail"
    assert summary.reasons[0] == "the worker did not come back after the resume: w1 is BACKOFF"
    assert "Worker resume requested; the drain was not measured (the scenario stopped before it, see why)." in summary.execution
    assert figures(summary)["drain_seconds"].value is None and figures(summary)["replay_proof"].verdict == "missing"


def test_the_real_outage_from_the_stop_command_to_the_first_processing_is_reported_beside_the_pause(tmp_path):
    # The stop command at 3.0 stops processing at once but the platform confirms only at 6.0; the
    # start is requested at 13.0 and the worker first processes by 15.5 (the backlog drops).
    backlog = [1, 2, 1, 0, 1, 1] + [5.0 * n for n in range(1, 26)] + [80, 30, 4, 2, 1, 0, 1]
    events = [event for event in normal_events() if event.get("name") not in {"worker_paused", "drained"}]
    events += [marker("worker_stop_requested", 3.0), marker("worker_paused", 6.0), marker("drained", 17.8)]
    summary = summarize(write_bundle(tmp_path / "ha_drill_20261128_t_10", backlog=backlog,
                                     events=sorted(events, key=lambda item: item["mono"])))
    assert summary.outcome == "pass", summary.reasons
    found = figures(summary)
    assert found["pause_seconds"].value == pytest.approx(7.0)
    assert found["pause_seconds"].source == ("worker_paused 10:00:06.0 -> worker_resumed 10:00:13.0; "
                                             "configured worker_replay_pause_seconds 900s")
    assert found["real_outage_seconds"].value == pytest.approx(12.5) and found["real_outage_seconds"].verdict == "info"
    assert found["real_outage_seconds"].source.startswith(
        "the stop command 10:00:03.0 -> the first processing after the resume 10:00:15.5, "
        "from the backlog and the drill's acknowledged writes")
    assert found["writes_during_pause"].value == 71  # 6.0 .. 13.0
    assert found["writes_during_outage"].value == 126  # 3.0 .. 15.5: the replay proof's window
    assert "from the stop command 10:00:03.0 to the first processing after the resume 10:00:15.5" \
        in found["writes_during_outage"].source
    assert found["drain_seconds"].value == pytest.approx(3.5)
    assert any(line.startswith("Real outage, no processing: `12s` (the stop command 10:00:03.0 -> the first "
                               "processing after the resume 10:00:15.5); 126 writes acknowledged") for line in summary.execution)
    labels = [(entry.label, entry.at) for entry in summary.timeline if entry.at]
    assert labels[2:7] == [
        ("Worker stop requested", ts(3.0)), ("Processing stopped (measured)", ts(3.0)),
        ("Worker paused (platform reports it stopped)", ts(6.0)), ("Worker resumed (start requested)", ts(13.0)),
        ("Processing resumed (measured)", ts(15.5))]
    svg = (tmp_path / "ha_drill_20261128_t_10" / "plots" / "replay.svg").read_text()
    assert all(label in svg for label in ("stop requested", "processing stopped", "processing resumed"))
    assert summary.details["outage"]["method"] == "backlog"
    assert summary.details["proof_window"] == {"from_mono": 3.0, "to_mono": 15.5,
                                               "end": "first processing after the resume", "to": ts(15.5)}


def test_a_processed_reading_tells_the_outage_without_the_writes(tmp_path):
    ctx = write_bundle(tmp_path / "ha_drill_20261128_t_11", backlog=BACKLOG, events=normal_events())
    samples = ctx.bundle.root / "samples" / "replay_backlog.jsonl"
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    # processed: +1 per sample except while stopped (from 4.0 until 14.0)
    for index, row in enumerate(rows):
        row["processed"] = float(min(index, 8) + max(0, index - 28))
    samples.write_text("".join(json.dumps(row) + "\n" for row in rows))
    summary = summarize(BundleContext.load(ctx.bundle.root))
    outage = summary.details["outage"]
    assert outage["method"] == "processed"
    # last rise 3.5 -> 4.0, so processing is certain after 3.5; clamped to the stop command (worker_paused) 3.0
    assert outage["stopped_mono"] == 3.5 and outage["resumed_mono"] == 14.5
    assert figures(summary)["real_outage_seconds"].value == pytest.approx(11.0)
    assert "from the inventory's processed reading" in figures(summary)["real_outage_seconds"].source


def test_a_rising_baseline_ends_the_scenario_incomplete_without_a_pause(tmp_path):
    # The worker keeps up with half the writes: +2.5 per sample during the baseline.
    backlog = [2.5 * n for n in range(8)]
    events = [marker("scenario_started", 0.0), marker("baseline_started", 0.0), marker("baseline_finished", 3.6),
              marker("baseline_unsteady", 3.7, reason="the backlog was not steady ..."),
              marker("scenario_finished", 3.9, paused=False)]
    summary = summarize(write_bundle(tmp_path / "ha_drill_20261128_t_12", backlog=backlog, events=events,
                                     config={"worker_replay_baseline_seconds": 3.6}))
    assert summary.outcome == "incomplete"
    assert summary.reasons == [
        "the backlog was not steady during the baseline: rising (Theil-Sen slope +5/s over 3.5s = +17.5, "
        "allowed +/-8.75, the envelope's margin above the baseline); the workers were not paused"]
    assert set(figures(summary)) == {"baseline_backlog", "baseline_drift"}
    assert figures(summary)["baseline_drift"].value == pytest.approx(17.5)
    assert summary.execution[0].startswith("The backlog was not steady during the baseline, so the worker was not paused")


def test_a_baseline_found_moving_afterwards_makes_a_paused_drill_incomplete(tmp_path):
    backlog = [0, 1, 2, 3, 4, 5] + BACKLOG[6:]
    summary = summarize(write_bundle(tmp_path / "ha_drill_20261128_t_13", backlog=backlog, events=normal_events()))
    assert summary.outcome == "incomplete"
    assert summary.reasons[0].startswith("the backlog was not steady during the baseline: rising")
    assert "were not paused" not in summary.reasons[0]


def test_an_empty_proof_set_is_a_warning_and_the_scenario_incomplete(tmp_path):
    events = [event for event in normal_events() if event.get("name") not in {"replay_proof", "replay_verified"}]
    events.append(proof_check(checked=0, compared_nothing="no write was acknowledged during the outage: nothing "
                                                          "proves the replay"))
    summary = summarize(write_bundle(tmp_path / "ha_drill_20261128_t_14", backlog=BACKLOG, events=events))
    proof = next(check for check in summary.checks if check.name == "replay_proof")
    assert proof.status == "warn" and summary.outcome == "incomplete"
    assert summary.reasons == ["Writes acknowledged during the outage were processed compared nothing: no write was "
                               "acknowledged during the outage: nothing proves the replay"]


def test_a_drain_noticed_only_after_its_timeout_still_fails(tmp_path):
    # No drain_timeout marker (the drill saw the drain late), but the samples say 1.5 s > 1 s.
    summary = summarize(write_bundle(tmp_path / "ha_drill_20261128_t_15", backlog=BACKLOG, events=normal_events(),
                                     config={"worker_replay_drain_timeout_seconds": 1.0}))
    assert summary.outcome == "fail"
    assert summary.reasons == ["the backlog drained 1.5s after the resume, after the drain timeout of 1s; slow, nothing "
                               "lost: 100/100 writes acknowledged during the outage were processed"]
