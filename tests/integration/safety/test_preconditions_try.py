"""Preconditions try what the scenarios will do: a drill user who lacks a privilege the selected
scenarios need is stopped at the preconditions, naming it, before any fault (issue 18.5).

The user is real: a PostgreSQL role granted pg_switch_wal() in another database (the mistake that
once passed the preconditions and failed the restore 20 s in) and no SELECT on the outbox table the
replay's backlog query reads."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from hadrill.events import read_lines
from hadrill.target_journal import TargetJournal
from tests.support.drill import drill_env, hadrill

pytestmark = pytest.mark.integration


@pytest.fixture
def limited_user(sandbox):
    name = f"drill_limited_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    db = sandbox.facts["db"]
    admin = sandbox.db_admin_dsn
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            psycopg.sql.Identifier(name), psycopg.sql.Literal(password)))
        conn.execute(psycopg.sql.SQL("GRANT pg_read_all_stats TO {}").format(psycopg.sql.Identifier(name)))
        conn.execute(psycopg.sql.SQL("GRANT CREATE, USAGE ON SCHEMA public TO {}").format(psycopg.sql.Identifier(name)))
        conn.execute(psycopg.sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(psycopg.sql.Identifier(name)))
        conn.execute(psycopg.sql.SQL("REVOKE SELECT ON outbox FROM {}").format(psycopg.sql.Identifier(name)))
    # The drill journal on the target side, which every drill writes (its own privileges are tried
    # by tests/integration/safety/test_journal_privileges.py).
    TargetJournal(conninfo=admin, table="hadrill_journal", environment="-").ensure()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("GRANT SELECT, INSERT, UPDATE ON hadrill_journal TO {}").format(psycopg.sql.Identifier(name)))
    # pg_switch_wal() granted, but in another database than the drill's.
    other = admin.replace(f"dbname={db['dbname']}", "dbname=postgres")
    with psycopg.connect(other, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("GRANT EXECUTE ON FUNCTION pg_switch_wal() TO {}").format(psycopg.sql.Identifier(name)))
    try:
        yield name, password
    finally:
        with psycopg.connect(other, autocommit=True) as conn:
            conn.execute(psycopg.sql.SQL("REVOKE EXECUTE ON FUNCTION pg_switch_wal() FROM {}").format(psycopg.sql.Identifier(name)))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(psycopg.sql.SQL("DROP OWNED BY {}").format(psycopg.sql.Identifier(name)))
            conn.execute(psycopg.sql.SQL("DROP ROLE {}").format(psycopg.sql.Identifier(name)))


def test_a_missing_privilege_stops_the_drill_at_the_preconditions(limited_user, sandbox, tmp_path):
    name, password = limited_user
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps({"db_user": name, "db_password": password}))
    result = hadrill("run", *sandbox.inventory_args, "-e", f"@{creds}", "--scenario", "restore", "--scenario", "replay",
                     env=drill_env(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    [bundle] = list(tmp_path.glob("ha_drill_*"))
    checks = {line["name"]: line for line in read_lines(bundle / "events.jsonl") if line.get("event") == "check"}
    restore, replay = checks["restore_database_privileges"], checks["replay_database_privileges"]
    assert not restore["passed"] and "Force a WAL switch before the time target" in restore["detail"]
    assert "lacks this privilege in the drill's database" in restore["detail"]
    assert restore["observed"]["Create the canary table hadrill_canary"] == "ok"
    assert not replay["passed"] and "permission denied for table outbox" in replay["detail"]
    names = [line.get("name") for line in read_lines(bundle / "events.jsonl")]
    assert "preconditions_failed" in names
    assert not {"scenario_started", "incident", "worker_paused"} & set(names), "no fault may follow a failed precondition"
    journal = list(read_lines(bundle / "journal.jsonl")) if (bundle / "journal.jsonl").exists() else []
    assert {line["id"] for line in journal} <= {"sampler-drill_lock"}, "only the drill lock was taken (and released)"
    with psycopg.connect(sandbox.db_admin_dsn, autocommit=True) as conn:
        assert conn.execute("select count(*) from pg_tables where tablename like 'hadrill%' "
                            "and tablename <> 'hadrill_journal'").fetchone()[0] == 0

