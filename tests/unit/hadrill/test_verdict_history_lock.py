from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hadrill import journal, lock
from hadrill import manifest
from hadrill.cli import main
from hadrill.config.common import HistoryTolerance
from hadrill.history import load, render_table
from hadrill.summary import SCHEMA_VERSION, Check, Figure, GateResult, Preconditions, ScenarioSummary, Summary
from hadrill.verdict import overall


def scenario(outcome: str, selected: bool = True) -> ScenarioSummary:
    return ScenarioSummary(scenario="restore", title="A", goal="g", selected=selected, outcome=outcome,
                           reasons=[] if outcome == "pass" else [f"because {outcome}"])


PASSED = Preconditions(outcome="pass", checks=[Check(name="x", label="x", passed=True)])


def test_everything_passing_is_pass():
    assert overall(run_status="completed", preconditions=PASSED, scenarios=[scenario("pass")], gates=[]) == ("pass", [])


def test_a_failed_scenario_fails_the_drill():
    result, reasons = overall(run_status="completed", preconditions=PASSED, scenarios=[scenario("fail")], gates=[])
    assert result == "fail" and reasons == ["restore: because fail"]


def test_interruption_or_incomplete_is_partial():
    assert overall(run_status="interrupted", preconditions=PASSED, scenarios=[scenario("pass")], gates=[])[0] == "partial"
    assert overall(run_status="completed", preconditions=PASSED, scenarios=[scenario("incomplete")], gates=[])[0] == "partial"


def test_unselected_scenarios_do_not_count():
    assert overall(run_status="completed", preconditions=PASSED, scenarios=[scenario("not_run", selected=False)], gates=[])[0] == "pass"


def test_failed_gate_or_precondition_fails():
    gate = GateResult(name="g", command="c", host="h", rc=1, passed=False, duration_s=0.1, started_at=None, output_file=None)
    assert overall(run_status="completed", preconditions=PASSED, scenarios=[], gates=[gate])[0] == "fail"
    failed = Preconditions(outcome="fail", checks=[Check(name="x", label="DB reachable", passed=False, detail="refused")])
    result, reasons = overall(run_status="stopped_at_preconditions", preconditions=failed, scenarios=[], gates=[])
    assert result == "fail" and reasons == ["precondition DB reachable: refused"]


def test_a_check_that_compared_nothing_is_a_warning_never_a_pass():
    from types import SimpleNamespace

    from hadrill.events import CheckEvent, Marker, MarkerIndex
    from hadrill.scenarios.base import summarize

    vacuous = CheckEvent(name="tenant_sample_matches", label="Tenant sample", scenario="restore", passed=True,
                         compared_nothing="0 rows on both sides", ts="2026-12-01T00:00:00Z", mono=1.0)
    assert vacuous.status == "warn"
    markers = MarkerIndex(Marker(name=name, scenario="restore", ts="2026-12-01T00:00:00Z", mono=mono)
                          for mono, name in enumerate(("scenario_started", "scenario_finished")))
    ctx = SimpleNamespace(markers=markers, scenario_checks=lambda scenario: [vacuous], scenario_gates=lambda scenario: [])
    summary = summarize(ctx, "restore", figures=[], execution=[], timeline_entries=[])
    assert summary.outcome == "incomplete"
    assert summary.checks[0].status == "warn"
    assert summary.reasons == ["Tenant sample compared nothing: 0 rows on both sides"]
    result, reasons = overall(run_status="completed", preconditions=PASSED, scenarios=[summary], gates=[])
    assert result == "partial" and reasons == ["restore: Tenant sample compared nothing: 0 rows on both sides"]
    empty = Preconditions(outcome="pass", checks=[Check(name="b", label="Backups", passed=True, compared_nothing="no backup listed")])
    assert overall(run_status="completed", preconditions=empty, scenarios=[], gates=[]) == (
        "partial", ["precondition Backups compared nothing: no backup listed"])


def test_figure_judgement():
    assert Figure.judged("rto_seconds", "RTO", 10.0, threshold=20.0).verdict == "pass"
    assert Figure.judged("rto_seconds", "RTO", 30.0, threshold=20.0).verdict == "fail"
    assert Figure.judged("rto_seconds", "RTO", None, threshold=20.0).verdict == "missing"
    assert Figure.judged("rto_seconds", "RTO", 30.0).verdict == "info"


def write_summary(root, drill_id, environment, started, rto, *, method="pgbackrest", target="latest", rpo=None,
                  seal=True, tolerance=None):
    """A sealed bundle (summary.json and MANIFEST.sha256) with a restore's RTO (and RPO)."""
    figures = [Figure.judged("rto_seconds", "RTO", rto, threshold=100)] if rto is not None else []
    if rpo is not None:
        figures.append(Figure.judged("rpo_seconds", "RPO", rpo, threshold=100))
    summary = Summary(
        drill_id=drill_id, environment=environment, environment_class="staging", date=started[:10], owner="o",
        started_at=started, finished_at=None, duration_s=None, run_status="completed", result="pass",
        preconditions=Preconditions(outcome="pass"),
        scenarios={"restore": ScenarioSummary(scenario="restore", title="A", goal="g", selected=True,
                                              outcome="pass", figures=figures,
                                              details={"method": method, "target": target})},
    )
    bundle = root / drill_id
    bundle.mkdir()
    (bundle / "summary.json").write_text(summary.model_dump_json())
    if tolerance is not None:
        (bundle / "drill.json").write_text(json.dumps({"config": {"settings": {"drill_history_tolerance": tolerance}}}))
    if seal:
        manifest.write_manifest(bundle)
    return bundle


def test_history_flags_figures_worse_than_the_previous_drill_of_the_environment(tmp_path):
    write_summary(tmp_path, "ha_drill_20261101_staging_01", "staging", "2026-11-01T10:00:00Z", 40.0)
    write_summary(tmp_path, "ha_drill_20261102_prod_01", "prod", "2026-11-02T10:00:00Z", 10.0)
    write_summary(tmp_path, "ha_drill_20261103_staging_01", "staging", "2026-11-03T10:00:00Z", 55.0)
    write_summary(tmp_path, "ha_drill_20261104_staging_01", "staging", "2026-11-04T10:00:00Z", 20.0)
    rows, skipped = load(tmp_path)
    assert skipped == []
    assert [set(row.worse) for row in rows] == [set(), set(), {"RTO"}, set()]
    assert rows[2].worse["RTO"] == "+15s since ha_drill_20261101_staging_01"
    table = render_table(rows)
    assert "55s ▲worse" in table and table.count("▲worse") == 1


def test_history_ignores_changes_inside_the_tolerance(tmp_path):
    """A 1 s difference was flagged as worse: only growth beyond both tolerances is."""
    write_summary(tmp_path, "ha_drill_20261101_staging_01", "staging", "2026-11-01T10:00:00Z", 10.0)
    write_summary(tmp_path, "ha_drill_20261102_staging_01", "staging", "2026-11-02T10:00:00Z", 11.0)  # +1 s
    write_summary(tmp_path, "ha_drill_20261103_staging_01", "staging", "2026-11-03T10:00:00Z", 100.0)  # +89 s
    write_summary(tmp_path, "ha_drill_20261104_staging_01", "staging", "2026-11-04T10:00:00Z", 106.0,  # +6 s, 6 %
                  tolerance={"percent": 5, "seconds": 1})
    rows, _ = load(tmp_path)
    assert [set(row.worse) for row in rows] == [set(), set(), {"RTO"}, {"RTO"}]
    # The command line's tolerance replaces the inventory's.
    rows, _ = load(tmp_path, HistoryTolerance(percent=10, seconds=5))
    assert [set(row.worse) for row in rows] == [set(), set(), {"RTO"}, set()]
    rows, _ = load(tmp_path, HistoryTolerance(percent=0, seconds=0))
    assert [set(row.worse) for row in rows] == [set(), {"RTO"}, {"RTO"}, {"RTO"}]


def test_history_compares_like_with_like(tmp_path):
    """A time-target restore is compared with time-target restores only (its RPO is the offset by
    construction), and a restore method with the same method."""
    write_summary(tmp_path, "ha_drill_20261101_staging_01", "staging", "2026-11-01T10:00:00Z", 20.0, target="time", rpo=1.0)
    write_summary(tmp_path, "ha_drill_20261102_staging_01", "staging", "2026-11-02T10:00:00Z", 20.0, target="latest", rpo=60.0)
    write_summary(tmp_path, "ha_drill_20261103_staging_01", "staging", "2026-11-03T10:00:00Z", 200.0, method="basebackup",
                  rpo=70.0)
    write_summary(tmp_path, "ha_drill_20261104_staging_01", "staging", "2026-11-04T10:00:00Z", 21.0, target="time", rpo=30.0)
    rows, _ = load(tmp_path)
    assert [set(row.worse) for row in rows] == [set(), set(), set(), {"RPO"}]
    assert rows[3].worse["RPO"] == "+29s since ha_drill_20261101_staging_01"
    assert [row.kinds["restore"] for row in rows] == [
        "pgbackrest, time target", "pgbackrest, latest target", "basebackup, latest target", "pgbackrest, time target"]


def test_history_verifies_each_bundle_and_names_those_it_skipped(tmp_path, capsys):
    write_summary(tmp_path, "ha_drill_20261101_staging_01", "staging", "2026-11-01T10:00:00Z", 10.0)
    tampered = write_summary(tmp_path, "ha_drill_20261102_staging_01", "staging", "2026-11-02T10:00:00Z", 10.0)
    (tampered / "summary.json").write_text((tampered / "summary.json").read_text().replace("10.0", "1.0"))
    write_summary(tmp_path, "ha_drill_20261103_staging_01", "staging", "2026-11-03T10:00:00Z", 10.0, seal=False)
    newer = write_summary(tmp_path, "ha_drill_20261104_staging_01", "staging", "2026-11-04T10:00:00Z", 10.0)
    (newer / "summary.json").write_text((newer / "summary.json").read_text().replace(f'"{SCHEMA_VERSION}"', '"2.0"'))
    manifest.write_manifest(newer)
    (tmp_path / "ha_drill_20261105_staging_01").symlink_to("/etc")
    rows, skipped = load(tmp_path)
    assert [row.drill_id for row in rows] == ["ha_drill_20261101_staging_01"]
    reasons = {item.drill_id: (item.reason, item.problem) for item in skipped}
    assert reasons["ha_drill_20261102_staging_01"] == ("does not match its manifest: changed: summary.json", True)
    assert reasons["ha_drill_20261103_staging_01"][0].startswith("not sealed") and not reasons["ha_drill_20261103_staging_01"][1]
    assert "schema_version 2.0" in reasons["ha_drill_20261104_staging_01"][0]
    assert reasons["ha_drill_20261105_staging_01"] == ("a symlink, not a bundle directory", True)
    assert main(["history", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert "ha_drill_20261101_staging_01" in out
    assert "skipped ha_drill_20261102_staging_01: does not match its manifest: changed: summary.json" in err
    assert "skipped ha_drill_20261103_staging_01: not sealed" in out


def test_lock_refuses_a_second_drill_and_names_the_holder(tmp_path):
    lock.acquire(tmp_path, "staging", "ha_drill_20261128_staging_01", os.getpid())
    with pytest.raises(lock.DrillLocked, match="ha_drill_20261128_staging_01 is running"):
        lock.acquire(tmp_path, "staging", "ha_drill_20261128_staging_02", os.getpid())
    lock.release(tmp_path, "staging", "ha_drill_20261128_staging_01")
    lock.acquire(tmp_path, "staging", "ha_drill_20261128_staging_02", os.getpid())


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_lock_with_open_journal_asks_for_recovery(tmp_path):
    previous = tmp_path / "ha_drill_20261128_staging_01"
    previous.mkdir()
    journal.open_entry(previous, "worker paused", {"kind": "platform", "operation": "start", "target": "w"}, host="w")
    lock.acquire(tmp_path, "staging", previous.name, dead_pid())
    with pytest.raises(lock.DrillLocked, match="hadrill recover"):
        lock.acquire(tmp_path, "staging", "ha_drill_20261128_staging_02", os.getpid())
    journal.close_entry(previous, journal.open_entries(previous)[0].id)
    lock.acquire(tmp_path, "staging", "ha_drill_20261128_staging_02", os.getpid())
    assert json.loads(lock.lock_path(tmp_path, "staging").read_text())["drill_id"] == "ha_drill_20261128_staging_02"
