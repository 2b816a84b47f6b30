"""The drill journal on the target side (hadrill.target_journal), against the sandbox's database:

- a drill user who may not create the journal table, or not write or close its entries, is refused
  by drill_start before anything is created (a real PostgreSQL role without those privileges);
- an open entry left there by a drill whose controller vanished (its bundle nowhere on this
  machine) makes the next drill refuse to start, and `hadrill recover -i INVENTORY`, given nothing
  but the inventory, undoes it (issue 16.6: it used to look only under its evidence root and say
  "nothing to recover").

Each test uses a table of its own (drill_journal_table), so the environment's journal is untouched.
"""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
from psycopg import sql

from hadrill import clock
from hadrill.start import refuse_open_entries
from hadrill.target_journal import TargetJournal
from tests.support.drill import drill_env, hadrill

pytestmark = pytest.mark.integration


@pytest.fixture
def journal_table(sandbox):
    name = f"hadrill_journal_it_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(sandbox.db_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture
def drill_user(sandbox):
    """A login role with what a read-only monitoring user has: no CREATE on the schema, no table privileges."""
    name, password = f"drill_nojournal_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with psycopg.connect(sandbox.db_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(name), sql.Literal(password)))
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(name)))
    try:
        yield name, password
    finally:
        with psycopg.connect(sandbox.db_admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def _table_exists(sandbox, table: str) -> bool:
    with psycopg.connect(sandbox.db_admin_dsn, autocommit=True) as conn:
        return conn.execute("select to_regclass(%s) is not null", (table,)).fetchone()[0]


def test_a_user_who_may_not_create_or_write_the_journal_is_refused_before_anything(sandbox, tmp_path, drill_user,
                                                                                    journal_table):
    name, password = drill_user
    overlay = tmp_path / "user.json"
    overlay.write_text(json.dumps({"db_user": name, "db_password": password, "drill_journal_table": journal_table}))
    run = hadrill("run", *sandbox.inventory_args, "-e", f"@{overlay}", "--scenario", "none", env=drill_env(tmp_path))
    assert run.returncode == 3, run.stdout[-3000:] + run.stderr
    assert f"cannot create the drill journal (table {journal_table} of the database of" in run.stderr
    assert "permission denied for schema public" in run.stderr and "needs CREATE on the journal table's schema" in run.stderr
    assert list(tmp_path.glob("ha_drill_*")) == [] and not _table_exists(sandbox, journal_table)

    # A DBA created the table and granted reading and writing, but not closing (UPDATE).
    TargetJournal(conninfo=sandbox.db_admin_dsn, table=journal_table, environment="-").ensure()
    with psycopg.connect(sandbox.db_admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(sql.Identifier(journal_table), sql.Identifier(name)))
    run = hadrill("run", *sandbox.inventory_args, "-e", f"@{overlay}", "--scenario", "none", env=drill_env(tmp_path))
    assert run.returncode == 3, run.stdout[-3000:] + run.stderr
    assert f"the drill user may not UPDATE the drill journal (table {journal_table}" in run.stderr
    assert list(tmp_path.glob("ha_drill_*")) == []
    with psycopg.connect(sandbox.db_admin_dsn, autocommit=True) as conn:
        assert conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(journal_table))).fetchone()[0] == 0


def test_an_entry_left_by_a_vanished_controller_blocks_the_next_drill_until_recover_with_only_the_inventory(
        sandbox, tmp_path, journal_table):
    environment = sandbox.facts["drill_environment"]
    target = TargetJournal(conninfo=sandbox.db_admin_dsn, table=journal_table, environment=environment)
    target.ensure()
    lost = "ha_drill_20250101_" + environment + "_07"
    undone = tmp_path / "undone"
    # What a drill whose controller vanished left: its row (a bundle on a machine that is gone, never
    # sealed) and one open entry whose undo leaves a trace the test can see.
    target.record_drill(lost, clock.now().iso, {"evidence_dir": "/gone/artifacts/ha_drill/" + lost, "controller": "gone-host"})
    target.open(lost, "marker-file", "a marker file removed", {"kind": "command", "host": "localhost",
                                                               "command": f"touch {undone}"},
                scenario=None, host="localhost", opened_at=clock.now().iso)
    overlay = ["-e", f"drill_journal_table={journal_table}"]

    refused = hadrill("run", *sandbox.inventory_args, *overlay, "--scenario", "none", env=drill_env(tmp_path / "evidence"))
    assert refused.returncode == 3, refused.stdout[-3000:] + refused.stderr
    assert f"previous drill {lost} on '{environment}' stopped without undoing: {lost}: a marker file removed on localhost" \
        in refused.stderr
    assert "hadrill recover -i <inventory>" in refused.stderr and "Nothing was changed" in refused.stderr
    assert not (tmp_path / "evidence").exists() or list((tmp_path / "evidence").glob("ha_drill_*")) == []

    # Only the inventory: no --evidence-root, no HADRILL_EVIDENCE_ROOT, no bundle anywhere.
    recovered = hadrill("recover", *sandbox.inventory_args, *overlay, env=drill_env())
    output = recovered.stdout + recovered.stderr
    assert recovered.returncode == 0, output
    assert "nothing to recover" not in output
    assert f"{lost}: tried to undo 1 open action(s)" in output and "undone      a marker file removed on localhost (command)" \
        in output
    assert f"bundle not on this controller (it was at /gone/artifacts/ha_drill/{lost} on gone-host; never sealed" in output
    assert undone.exists(), "the undo command did not run"
    with psycopg.connect(sandbox.db_admin_dsn, autocommit=True, row_factory=psycopg.rows.dict_row) as conn:
        rows = conn.execute(sql.SQL("select kind, closed_by, detail from {} where drill_id = %s order by kind")
                            .format(sql.Identifier(journal_table)), (lost,)).fetchall()
    assert rows[1]["kind"] == "entry" and rows[1]["closed_by"] == "recover"
    assert rows[0]["detail"]["recovered"]["undone"] == ["marker-file"]
    assert refuse_open_entries(target) is True  # what drill_start asks: nothing open any more

    again = hadrill("recover", *sandbox.inventory_args, *overlay, env=drill_env())
    assert again.returncode == 0 and "nothing to recover" in again.stdout, again.stdout + again.stderr
