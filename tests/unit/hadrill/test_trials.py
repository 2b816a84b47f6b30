"""What the preconditions try on the primary for each selected scenario (pure logic; the
integration test runs them against PostgreSQL as a drill user who lacks privileges)."""

from __future__ import annotations

from types import SimpleNamespace

from hadrill import trials

VALUES = {"drill_id": "ha_drill_20261202_local_01", "scenario": "restore", "run": "abcd1234"}


def restore(**overrides):
    settings = dict(
        db_restore_canary_table="drills.hadrill_canary", db_restore_target="time", db_restore_force_wal_switch=True,
        db_restore_schema_version_query="select max(version) from schema_migrations where note <> ${drill_id}",
        db_restore_sample_tenants=["acme", "globex"],
        db_restore_sample_queries=[SimpleNamespace(name="rows", query="select count(*) from t where tenant = %(tenant)s")],
    )
    settings.update(overrides)
    return SimpleNamespace(**settings)


def test_restore_tries_its_canary_schema_its_wal_switch_and_every_query_it_runs():
    found = trials.trials([trials.restore_queries(restore(), VALUES)])
    by_name = {item.name: item for item in found}
    assert by_name["restore:canary"].params == {"schema": "drills"}
    assert "has_schema_privilege" in by_name["restore:canary"].sql and "'CREATE'" in by_name["restore:canary"].sql
    assert by_name["restore:pg_switch_wal"].params == {"function": "pg_switch_wal()"}
    assert by_name["restore:schema_version"].sql == (
        "EXPLAIN select max(version) from schema_migrations where note <> 'ha_drill_20261202_local_01'")
    assert by_name["restore:sample:rows"].params["tenant"] == "acme"
    assert "cutoff" in by_name["restore:sample:rows"].params


def test_a_latest_target_or_no_forced_switch_needs_no_pg_switch_wal():
    for settings in (restore(db_restore_target="latest"), restore(db_restore_force_wal_switch=False)):
        assert "restore:pg_switch_wal" not in {item.name for item in trials.trials([trials.restore_queries(settings, VALUES)])}
    canary = next(item for item in trials.trials([trials.restore_queries(restore(db_restore_canary_table="hadrill_canary"), VALUES)])
                  if item.name == "restore:canary")
    assert canary.params == {"schema": None}  # the drill user's current schema


def test_replay_tries_its_sql_readings_and_proof_and_nothing_for_other_sources():
    sql = SimpleNamespace(worker_replay_backlog_source="sql", worker_replay_backlog_query="select 1",
                          worker_replay_failed_query="select 0", worker_replay_processed_query=None,
                          worker_replay_proof_method="sql", worker_replay_proof_query="select id from t where id = any(%(ids)s)")
    names = [(item.name, item.params) for item in trials.trials([trials.replay_queries(sql, VALUES)])]
    assert names == [("replay:backlog", None), ("replay:failed", None), ("replay:proof", {"ids": []})]
    other = SimpleNamespace(worker_replay_backlog_source="prometheus", worker_replay_proof_method="http",
                            worker_replay_proof_query=None)
    assert trials.trials([trials.replay_queries(other, VALUES)]) == []


def test_a_sql_cleanup_is_planned_never_run():
    cleanup = SimpleNamespace(query="DELETE FROM memories WHERE scope = ${drill_id}")
    [trial] = trials.trials([trials.cleanup_queries("replay", cleanup, VALUES)])
    assert trial.sql == "EXPLAIN DELETE FROM memories WHERE scope = 'ha_drill_20261202_local_01'"
    assert trials.trials([trials.cleanup_queries("replay", SimpleNamespace(query=None, request={}), VALUES)]) == []
