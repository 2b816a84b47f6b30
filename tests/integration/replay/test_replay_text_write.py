"""Scenario C with a write that answers plain text: memstore's form endpoint POST /v1/memory/note
answers ``OK`` and no id (the shape of an application whose only write says nothing else).

The write's id is the request's own ``${token}`` (``capture: {id: {value: "${token}"}}``); the
HTTP proof finds each write by recalling its token and asserting on the recalled item. Writes
land in a scope of this drill, and a SQL ``drill_cleanup`` removes them after the scenario.

Ground truth: the test's own connection counts the drill's writes in the database (written and
indexed by the worker) while the drill runs, and after it: none left, none of their outbox events.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

import psycopg
import pytest

from hadrill.events import read_lines
from hadrill.journal import open_entries
from tests.integration.replay.test_replay_drill import DRILL_TIMEOUT, extra_vars, leave_serving, start_drill
from tests.support.background import BackgroundObserver

pytestmark = pytest.mark.integration

SCOPE = "hadrill-${scenario}-${drill_id}"
NOTES = ("select count(*), count(i.memory_id) from memories m left join memory_index i on i.memory_id = m.id "
         "where m.scope like 'hadrill-replay-ha_drill_%' and m.text like 'replay note %'")
SETTINGS = {
    "worker_replay_write_request": {
        "name": "note", "method": "POST", "path": "/v1/memory/note",
        "form": {"tenant": "default", "scope": SCOPE, "text": "replay note ${token}"},
        "expect_status": [200], "expect_body_contains": "OK",
        "capture": {"id": {"value": "${token}"}},
    },
    "worker_replay_proof_method": "http",
    "worker_replay_proof_request": {
        "name": "recall", "method": "POST", "path": "/v1/memory/recall_text",
        "json": {"tenant": "default", "scope": SCOPE, "query": "${token}", "limit": 5},
        "expect_json": [{"path": "results[].text", "matches": "^replay note ${id}$"}],
    },
    "drill_cleanup": {"replay": {"query": (
        "WITH gone AS (DELETE FROM memories WHERE tenant = 'default' AND scope = 'hadrill-' || ${scenario} || '-' "
        "|| ${drill_id} RETURNING id) DELETE FROM outbox WHERE memory_id IN (SELECT id FROM gone)")}},
    "worker_replay_baseline_seconds": 2,
    "worker_replay_pause_seconds": 6,
    "worker_replay_gates": [],
    "validation_gates_commands": [],
}


@dataclass
class Notes(BackgroundObserver):
    """The drill's notes in the database: the most seen written, and the most seen indexed."""

    dsn: str
    written: int = 0
    indexed: int = 0

    def observe(self, stop: threading.Event) -> None:
        deadline = time.monotonic() + DRILL_TIMEOUT
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            while not stop.is_set() and time.monotonic() < deadline:
                written, indexed = connection.execute(NOTES).fetchone()
                self.written, self.indexed = max(self.written, int(written)), max(self.indexed, int(indexed))
                stop.wait(0.1)


def test_a_text_write_with_the_token_as_its_id_is_proven_and_cleaned_up(sandbox, tmp_path):
    try:
        with Notes(sandbox.db_admin_dsn) as notes:
            drill = start_drill(sandbox, tmp_path, *extra_vars(**SETTINGS))
            rc = drill.wait()
        assert rc == 0, drill.output[-4000:]
        summary = drill.summary()
        replay = summary["scenarios"]["replay"]
        assert summary["result"] == "pass" and replay["outcome"] == "pass", replay["reasons"]

        # Every write answered the text OK; its id is its own token.
        writes = list(read_lines(drill.bundle / "samples" / "replay_writes.jsonl"))
        acknowledged = [item for item in writes if item["ok"]]
        assert acknowledged and all(item["status"] == 200 for item in acknowledged)
        assert all(item["captured"] == {"id": item["token"]} for item in acknowledged)

        # The proof checked, by token, every write of its window, and found each one recalled.
        proof = next(item for item in replay["checks"] if item["name"] == "replay_proof")
        record = json.loads((drill.bundle / "records" / "replay_proof.json").read_text())
        window = record["window"]
        in_window = sorted(item["token"] for item in acknowledged if window["from_mono"] <= item["mono"] <= window["to_mono"])
        assert proof["passed"] and in_window and sorted(record["checked_ids"]) == in_window
        assert proof["observed"]["processed"] == len(in_window) and record["missing_ids"] == []

        # The test's own count: every acknowledged note was written and indexed during the drill...
        assert notes.written >= len(acknowledged) and notes.indexed == notes.written, (notes, len(acknowledged))
        # ...and the cleanup removed them with their outbox events, journaled and closed.
        cleanup = next(item for item in replay["checks"] if item["name"] == "cleanup")
        assert cleanup["passed"] and cleanup["observed"]["kind"] == "sql", cleanup
        with psycopg.connect(sandbox.db_admin_dsn, autocommit=True) as connection:
            assert connection.execute(NOTES).fetchone() == (0, 0)
            orphans = connection.execute(
                "select count(*) from outbox o where o.event_type = 'memory.written' "
                "and not exists (select 1 from memories m where m.id = o.memory_id)").fetchone()[0]
            assert orphans == 0
        journal = list(read_lines(drill.bundle / "journal.jsonl"))
        opened = [line for line in journal if line["id"] == "cleanup-replay" and line["op"] == "open"]
        assert len(opened) == 1 and opened[0]["undo"]["kind"] == "sql"
        assert f"'{drill.bundle.name}'" in opened[0]["undo"]["query"]
        assert open_entries(drill.bundle) == []
    finally:
        leave_serving(sandbox)
