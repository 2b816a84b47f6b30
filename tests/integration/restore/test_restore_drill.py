"""Scenario A against the real sandbox (PostgreSQL, pgBackRest, supervisord apps), through `hadrill run`.

Each drill runs beside the test's own Observer, which reads every committed canary row on the
primary and, while the drill runs, what the promoted verification instance holds. The drill's
figures are checked against that ground truth:

- RPO: written_at of the newest canary written before the incident minus written_at of the
  newest canary in the copy (server clock, read by the test), within one canary interval (a row
  written just before the incident but acknowledged just after it counts for the test, not for
  the drill);
- time target: the copy ends with exactly the last canary written before the target;
- RTO: smoke_passed - incident of events.jsonl.

Every drill must leave no verification instance, port, data directory, process or canary
table behind, and its bundle must hold no secret.
"""

from __future__ import annotations

import re
import json
import os
import signal
import subprocess
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from hadrill.scenarios.restore import phase

from tests.integration.restore.conftest import (
    Observer,
    as_utc,
    dsn,
    leftovers,
    run_drill,
    secrets_in_bundle,
)
from tests.support.restore_logs import end_of_recovery_at, pgbackrest_restore

pytestmark = pytest.mark.integration

# The sandbox archives every 10 s: a `latest` drill needs a longer warm-up (the inventory's 12 s);
# a time target only needs a few seconds of canary rows on both sides of it.
SHORT_WARMUP = "db_restore_canary_warmup_seconds=4"


def observe_and_run(sandbox, facts, tmp_path, *extra: str):
    with Observer(dsn(sandbox), dsn(sandbox, facts["verification_port"]), facts["canary_table"]) as observer:
        run = run_drill(sandbox, tmp_path, *extra)
    print(f"\n[restore] drill {' '.join(extra) or '(inventory defaults)'}: {run.seconds:.1f}s")
    return run, observer


def assert_measured_against_ground_truth(run, observer, facts, target: str) -> None:
    assert run.returncode == 0, run.output[-4000:]
    scenario = run.scenario
    assert scenario["outcome"] == "pass", scenario["reasons"]

    # RTO is smoke passed minus incident, as recorded in events.jsonl.
    incident, smoke_passed = run.marker("incident"), run.marker("smoke_passed")
    assert run.figure("rto_seconds")["value"] == pytest.approx(smoke_passed["mono"] - incident["mono"], abs=1e-3)
    assert run.figure("rto_seconds")["threshold"] == 120

    # What the copy holds, seen by the test itself while the instance ran.
    assert observer.restored_in_recovery is False, "the test never saw the promoted verification instance"
    restored = observer.restored_newest
    assert restored is not None, "the copy holds no canary row"
    assert run.check("canary_restored")["observed"]["newest_seq"] == restored.seq
    assert observer.restored_rows == restored.seq + 1, "the copy's canary rows are not a gap-free prefix"

    # RPO against the committed rows of the primary, on the server's clock.
    incident_at = as_utc(incident["ts"])
    newest = observer.newest_written_before(incident_at)
    assert newest is not None
    truth = (newest.written_at - restored.written_at).total_seconds()
    # Within one canary interval (plus the few milliseconds between a row's insert and its acknowledgement).
    interval = facts["canary_interval_seconds"]
    reported = run.figure("rpo_seconds")["value"]
    assert reported == pytest.approx(truth, abs=interval + 0.02), (reported, truth)
    assert restored.written_at <= incident_at, "the copy holds a canary written after the incident"

    if target == "time":
        target_at = as_utc(run.marker("restore_target")["data"]["target_time"])
        expected = observer.newest_written_before(target_at)
        assert expected is not None and restored.seq == expected.seq, (restored, expected, target_at)
        assert run.figure("target_exact")["value"] is True
    else:
        assert not any(item["name"] == "target_exact" for item in scenario["figures"])

    checks = {item["name"]: item for item in scenario["checks"]}
    for name in ("schema_version", "tenant_sample_default", "tenant_sample_acme", "tenant_sample_globex",
                 "verification_api_serving", "smoke_health", "smoke_write", "smoke_read-back",
                 "verification_process_api_stopped", "verification_process_worker_stopped",
                 "verification_instance_removed", "canary_table_dropped"):
        assert checks[name]["passed"] and not checks[name]["compared_nothing"], checks[name]
    # The sandbox is seeded (thousands of memories per tenant): the sample compares real data.
    for tenant in ("default", "acme", "globex"):
        assert checks[f"tenant_sample_{tenant}"]["observed"]["memories"][0]["rows"] >= 2000
    # What listened on the API port was the API this drill started, and teardown stopped both processes.
    started = {item["data"]["process"]: item["data"]["pid"] for item in run.events()
               if item.get("event") == "marker" and item["name"] == "verification_process_started"}
    assert checks["verification_api_serving"]["observed"]["listener_pid"] == started["api"]
    assert {checks[f"verification_process_{name}_stopped"]["observed"] for name in ("api", "worker")} == {"terminated"}
    execution = "\n".join(scenario["execution"])
    assert "Smoke endpoints passed: `/health`, `/v1/memory/write`, `/v1/memory/recall_text`" in execution
    rpo_basis = scenario["details"]["rpo"]
    if target == "time":
        # The RPO of a time target is its offset before the incident, by construction; the gap is measured beside it.
        target_at = as_utc(run.marker("restore_target")["data"]["target_time"])
        assert rpo_basis["target_offset_seconds"] == pytest.approx((incident_at - target_at).total_seconds(), abs=1e-3)
        assert rpo_basis["measured_canary_gap_seconds"] == reported
        assert f"RPO by construction: the time target lies {rpo_basis['target_offset_seconds']:g} s before the incident" \
            in execution
    else:
        # A latest restore shows what was lost: the acknowledged rows after the newest restored one.
        lost = [row for seq, row in observer.rows.items() if restored.seq < seq and row.written_at <= incident_at]
        assert rpo_basis["lost_rows"] == run.figure("canary_lost")["value"]
        assert abs(rpo_basis["lost_rows"] - len(lost)) <= 1  # a row written just before the incident, acknowledged after
        assert "Lost at the incident (latest archived WAL):" in execution


def assert_restore_phase_against_the_programs_logs(sandbox, run) -> None:
    """The restore phase's markers against pgBackRest's and the restored server's own logs: the
    restore is timed on the host inside one command, restore_finished dated back to its end,
    promoted recorded once the server ended recovery; the phase's steps add up to it."""
    started, finished, running, promoted = (run.marker(name) for name in (
        "restore_started", "restore_finished", "instance_started", "promoted"))
    restored = pgbackrest_restore(Path(sandbox.facts["pgbackrest_config"]), sandbox.facts["pgbackrest_stanza"],
                                  finished["data"]["data_dir"])
    assert restored is not None, "pgBackRest's log has no successful restore into the drill's data directory"
    slack = timedelta(milliseconds=2)  # pgBackRest's log has milliseconds
    # pgBackRest ran between restore_started and restore_finished, within the step timed on the host.
    assert as_utc(started["ts"]) <= restored.ended_at - timedelta(seconds=restored.seconds) + slack
    assert restored.ended_at <= as_utc(finished["ts"]) + slack
    assert finished["data"]["host_seconds"] >= restored.seconds - 0.002
    assert started["mono"] <= finished["mono"] <= running["mono"] <= promoted["mono"]
    assert running["data"]["command_seconds"] <= running["mono"] - started["mono"]
    # The server ended recovery (its end-of-recovery checkpoint) before the drill saw it promoted.
    ended = end_of_recovery_at((run.bundle / "logs" / "restore-postgres.log").read_text(encoding="utf-8"))
    assert ended is not None and ended <= as_utc(promoted["ts"])
    assert promoted["data"]["polls"] >= 1
    steps = phase.drill_steps(run.events())
    assert steps is not None and steps.total_seconds == pytest.approx(promoted["mono"] - started["mono"])
    found = steps.as_dict()
    assert found[phase.RESTORE] == finished["data"]["host_seconds"] and found[phase.ROUND_TRIPS] >= 0
    assert abs(found[phase.REST]) < 0.01 and steps.task_kind == "service"


def assert_clean(sandbox, facts, run) -> None:
    assert leftovers(sandbox, facts, run) == []
    assert secrets_in_bundle(sandbox, facts, run.bundle) == []
    assert sandbox.healthy()


def dump_primary(sandbox, facts) -> str:
    """Everything in the application database except the canary table and the drill journal's
    table (the drill's own records on the target, see safety.md), as pg_dump prints it."""
    db = sandbox.facts["db"]
    env = {**os.environ, "PGPASSWORD": db["password"]}
    proc = subprocess.run(
        [f"{facts['pg_bindir']}/pg_dump", "-h", db["host"], "-p", str(db["port"]), "-U", db["user"], "-d", db["dbname"],
         "--no-password", f"--exclude-table={facts['canary_table']}", f"--exclude-table={facts['journal_table']}"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )
    # pg_dump (15.14+) fences its output with \restrict/\unrestrict and a random key per run.
    return "\n".join(line for line in proc.stdout.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


def processes_with_an_environment_value_in_their_command(facts, tmp_path) -> str:
    """Extra vars: the inventory's verification processes, each given an environment variable whose
    value (`memstore`) is a word of its command line. Ansible masks every occurrence of it in the
    module's result (the environment is no_log), the recorded command line included (issue 18)."""
    processes = [{**item, "environment": {**item["environment"], "HADRILL_IT_APP": "memstore"}}
                 for item in facts["api_processes"]]
    assert all("memstore" in item["command"] for item in processes)
    path = tmp_path / "processes.json"
    path.write_text(json.dumps({"db_restore_api_processes": processes}))
    path.chmod(0o600)
    return f"@{path}"


def test_pgbackrest_time_target_leaves_the_primary_unchanged(sandbox, restore_facts, tenant_data, fresh_backups, tmp_path):
    before = dump_primary(sandbox, restore_facts)
    masked = processes_with_an_environment_value_in_their_command(restore_facts, tmp_path)
    run, observer = observe_and_run(sandbox, restore_facts, tmp_path, SHORT_WARMUP, masked)
    try:
        assert_measured_against_ground_truth(run, observer, restore_facts, "time")
        assert run.marker("restore_started")["data"]["method"] == "pgbackrest"
        assert_restore_phase_against_the_programs_logs(sandbox, run)
        assert dump_primary(sandbox, restore_facts) == before, \
            "the drill changed the primary outside its canary table and its journal"
        assert observer.rows, "the test saw no canary row on the primary"
    finally:
        assert_clean(sandbox, restore_facts, run)


def test_pgbackrest_latest_counts_only_what_was_archived_at_the_incident(sandbox, restore_facts, tenant_data, fresh_backups, tmp_path):
    run, observer = observe_and_run(sandbox, restore_facts, tmp_path, "db_restore_target=latest")
    try:
        assert_measured_against_ground_truth(run, observer, restore_facts, "latest")
        # The repository is pinned through pgBackRest at the incident (no copy of it): its newest WAL
        # segment then, and the backup set the restore used.
        incident = run.marker("incident")["data"]
        assert incident["frozen_archive"] is None
        assert re.fullmatch(r"[0-9A-F]{24}", incident["pinned_archive"]["wal"]), incident
        assert run.marker("restore_started")["data"]["backup"] == incident["pinned_archive"]["backup"]
    finally:
        assert_clean(sandbox, restore_facts, run)


def test_basebackup_time_target(sandbox, restore_facts, tenant_data, fresh_backups, tmp_path):
    run, observer = observe_and_run(sandbox, restore_facts, tmp_path, "db_restore_method=basebackup", SHORT_WARMUP)
    try:
        assert_measured_against_ground_truth(run, observer, restore_facts, "time")
        assert run.marker("restore_started")["data"]["method"] == "basebackup"
    finally:
        assert_clean(sandbox, restore_facts, run)


def test_basebackup_latest(sandbox, restore_facts, tenant_data, fresh_backups, tmp_path):
    run, observer = observe_and_run(sandbox, restore_facts, tmp_path, "db_restore_method=basebackup",
                                    "db_restore_target=latest")
    try:
        assert_measured_against_ground_truth(run, observer, restore_facts, "latest")
        assert run.marker("incident")["data"]["frozen_archive"].endswith("/frozen-wal")
    finally:
        assert_clean(sandbox, restore_facts, run)


def test_a_target_before_the_oldest_backup_fails_with_the_reason(sandbox, restore_facts, tmp_path):
    run = run_drill(sandbox, tmp_path, "db_restore_target_time=2000-01-01T00:00:00Z",
                    "db_restore_canary_warmup_seconds=0")
    try:
        assert run.returncode == 1, run.output[-3000:]
        scenario = run.scenario
        assert scenario["outcome"] == "fail"
        assert scenario["reasons"][0].startswith("restore target 2000-01-01T00:00:00.000000Z is before the oldest backup")
        assert "is before the oldest backup" in (run.bundle / "report.md").read_text()
        assert run.summary["result"] == "fail"
    finally:
        assert_clean(sandbox, restore_facts, run)


def test_a_wrong_expected_schema_version_fails_after_a_real_restore(sandbox, restore_facts, fresh_backups, tmp_path):
    # A tenant with no data at all: its sample compares 0 rows on both sides, which proves nothing.
    run = run_drill(sandbox, tmp_path, "db_restore_expected_schema_version=999", "db_restore_canary_warmup_seconds=2",
                    '{"db_restore_sample_tenants": ["default", "acme", "globex", "hadrill-it-nobody"]}')
    try:
        assert run.returncode == 1, run.output[-3000:]
        scenario = run.scenario
        assert scenario["outcome"] == "fail"
        assert any("schema version 3, expected 999" in reason for reason in scenario["reasons"]), scenario["reasons"]
        names = {item["name"] for item in run.events() if item.get("event") == "marker"}
        assert {"promoted", "schema_checked", "scenario_failed", "teardown_finished"} <= names
        assert "smoke_started" not in names
        checks = {item["name"]: item for item in scenario["checks"]}
        assert checks["verification_instance_removed"]["passed"]
        assert checks["tenant_sample_default"]["passed"] and not checks["tenant_sample_default"]["compared_nothing"]
        empty = checks["tenant_sample_hadrill-it-nobody"]
        assert empty["passed"] and empty["compared_nothing"], empty  # recorded as warn
        assert "covered 0 rows on the primary and on the copy" in empty["compared_nothing"]
    finally:
        assert_clean(sandbox, restore_facts, run)


def test_an_instance_that_cannot_start_fails_with_the_servers_fatal_line(sandbox, restore_facts, fresh_backups, tmp_path):
    # A real restore, then a setting PostgreSQL refuses: the server logs why and exits.
    run = run_drill(sandbox, tmp_path, "db_restore_canary_warmup_seconds=2",
                    '{"db_restore_instance_settings": {"shared_buffers": "32MB", "max_connections": "plenty"}}')
    try:
        assert run.returncode == 1, run.output[-3000:]
        scenario = run.scenario
        assert scenario["outcome"] == "fail"
        server_log = (run.bundle / "logs" / "restore-postgres.log").read_text()
        assert 'invalid value for parameter "max_connections": "plenty"' in server_log
        fatal = [line for line in server_log.splitlines() if "FATAL:" in line][-1]
        cause = fatal[fatal.index("FATAL:"):]
        assert cause.startswith("FATAL:  configuration file") and "contains errors" in cause
        # The reason quotes the server's own FATAL line, not the first line of its log.
        assert any(cause in reason for reason in scenario["reasons"]), scenario["reasons"]
        assert "restore_finished" in {item["name"] for item in run.events() if item.get("event") == "marker"}
    finally:
        assert_clean(sandbox, restore_facts, run)


def test_a_leaked_listener_on_the_api_port_fails_the_restore(sandbox, restore_facts, tenant_data, tmp_path):
    """A verification API left running by an earlier drill (here: the real API, serving the primary)
    holds the port. Before the fix, the new API could not bind, the smoke test hit the leaked one,
    and the restore passed. Now the port is refused before anything is changed."""
    facts = restore_facts
    release = facts["current_release_dir"]
    env = {**facts["app_environment"], "PYTHONPATH": release, "PATH": "/usr/bin:/bin"}
    leak = subprocess.Popen([f"{facts['sandbox_venv']}/bin/python", "-m", "memstore", "api", "--listen",
                             f"127.0.0.1:{facts['api_port']}"], cwd=release, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run = None
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{facts['api_port']}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert leak.poll() is None and time.monotonic() < deadline, "the leaked API never answered"
            time.sleep(0.2)
        run = run_drill(sandbox, tmp_path, "db_restore_canary_warmup_seconds=2")
        assert run.returncode == 1, run.output[-3000:]
        scenario = run.scenario
        assert scenario["outcome"] == "fail", scenario
        assert any(f"port {facts['api_port']} is already in use by pid {leak.pid}" in reason
                   for reason in scenario["reasons"]), scenario["reasons"]
        markers = {item["name"] for item in run.events() if item.get("event") == "marker"}
        assert not markers & {"canary_table_created", "canary_started", "restore_started", "smoke_passed"}, markers
        assert leak.poll() is None, "the drill stopped a process it did not start"
    finally:
        os.killpg(leak.pid, signal.SIGKILL)
        leak.wait(timeout=30)
        if run is not None:
            assert_clean(sandbox, restore_facts, run)
