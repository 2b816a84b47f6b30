"""drill_cleanup: one request or SQL statement per writing scenario, placeholders of the drill
only, filled into what the journal keeps for hadrill recover."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hadrill import cleanup, sqltemplate
from hadrill.config.common import DrillSettings

BASE = {"drill_environment": "local", "drill_environment_class": "sandbox", "drill_owner": "o"}
VALUES = {"drill_id": "ha_drill_20260101_local_01", "scenario": "replay", "run": "0a1b2c3d"}


def test_a_sql_cleanup_gets_its_placeholders_as_quoted_literals():
    query = "DELETE FROM memories WHERE scope = 'drill-' || ${run} AND note <> ${drill_id} AND pct LIKE '5%'"
    assert sqltemplate.fill(query, VALUES) == (
        "DELETE FROM memories WHERE scope = 'drill-' || '0a1b2c3d' AND note <> 'ha_drill_20260101_local_01' "
        "AND pct LIKE '5%'")
    assert sqltemplate.fill("x = ${drill_id}", {"drill_id": "it's"}) == "x = 'it''s'"


def test_postgresql_dollar_syntax_is_left_alone():
    query = "DO $$ BEGIN PERFORM $tag$a$tag$; END $$; SELECT $1, ${scenario}"
    assert sqltemplate.placeholders(query) == ["scenario"]
    assert sqltemplate.fill(query, VALUES) == "DO $$ BEGIN PERFORM $tag$a$tag$; END $$; SELECT $1, 'replay'"
    assert sqltemplate.unknown("x = ${tokn} and y = $tag$z$tag$", ["drill_id"]) == ["tokn"]


def test_the_journal_keeps_what_recovery_runs():
    sql = cleanup.Cleanup.model_validate({"query": "DELETE FROM t WHERE scope = ${drill_id}"})
    assert sql.undo(VALUES) == {"kind": "sql", "query": "DELETE FROM t WHERE scope = 'ha_drill_20260101_local_01'"}
    http = cleanup.Cleanup.model_validate({"request": {"name": "forget", "method": "POST", "path": "/forget",
                                                       "json": {"scope": "d-${drill_id}"}}})
    assert http.undo(VALUES) == {"kind": "http", "values": VALUES, "request": {
        "name": "forget", "method": "POST", "path": "/forget", "json": {"scope": "d-${drill_id}"}}}


@pytest.mark.parametrize("value,message", [
    ({"restore": {"query": "x"}}, "restore has no cleanup"),
    ({"replay": {}}, "expected one of request"),
    ({"replay": {"query": "x", "request": {"name": "r", "path": "/r"}}}, "expected one of request"),
    ({"replay": {"query": "DELETE ... ${token}"}}, "unknown placeholder(s) ['token']"),
    ({"rollback": {"request": {"name": "r", "path": "/r/${seq}"}}}, "unknown placeholder(s) ['seq']"),
    ({"rollback": {"request": {"name": "r", "path": "r"}}}, "expected a path starting with '/'"),
])
def test_bad_cleanups_are_refused_naming_the_variable(value, message):
    with pytest.raises(ValidationError) as raised:
        DrillSettings.model_validate({**BASE, "drill_cleanup": value})
    assert message in str(raised.value) and "drill_cleanup" in str(raised.value)


def test_cleanups_for_the_writing_scenarios():
    settings = DrillSettings.model_validate({**BASE, "drill_cleanup": {
        "rollback": {"request": {"name": "forget", "method": "POST", "path": "/forget",
                                 "json": {"scope": "${scenario}-${drill_id}"}, "expect_json": [{"path": "deleted", "exists": True}]}},
        "replay": {"query": "DELETE FROM t WHERE scope = ${run}"},
    }})
    assert set(settings.drill_cleanup) == {"rollback", "replay"}
