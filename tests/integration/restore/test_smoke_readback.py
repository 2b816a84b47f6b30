"""The vacuous read-back, on the sandbox: a restored copy that cannot recall anything (its
verification API runs without the worker that indexes writes) behind an API whose recall echoes
its query (release manifest ``echo_query: true``).

One restore drill runs both read-backs of the same write, in order:

- the old pattern, ``expect_body_contains: "${token}"``, PASSES: the token is in the echo;
- the documented pattern, ``expect_json`` on the recalled item (the one whose id the write
  returned), FAILS, and with it the smoke and the drill: no RTO is claimed.

The test's own observer reads the verification instance while the drill runs: the smoke's write
is there and was never indexed, so nothing could have been recalled.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.integration.restore.conftest import OBSERVER_BUDGET_SECONDS, dsn, leftovers, run_drill
from tests.support.background import BackgroundObserver

pytestmark = pytest.mark.integration

SCOPE = "hadrill-${scenario}-${drill_id}"
SMOKE = [
    {"name": "health", "path": "/health", "retry_seconds": 30},
    {"name": "write", "method": "POST", "path": "/v1/memory/write", "expect_status": [200, 201],
     "json": {"tenant": "default", "scope": SCOPE, "text": "restore smoke ${token}"}, "capture": {"id": "id"}},
    # The old pattern: passes on the echo of the query.
    {"name": "read-back-echo", "method": "POST", "path": "/v1/memory/recall_text",
     "json": {"tenant": "default", "scope": SCOPE, "query": "restore smoke ${token}", "limit": 5},
     "expect_body_contains": "${token}"},
    # The documented pattern: the recalled item, the one with the written id, holds the token.
    {"name": "read-back-item", "method": "POST", "path": "/v1/memory/recall_text",
     "json": {"tenant": "default", "scope": SCOPE, "query": "restore smoke ${token}", "limit": 5},
     "expect_json": [{"path": "results[?to_string(id) == '${id}'] | [0].text", "contains": "${token}"}],
     "retry_seconds": 5, "retry_interval_seconds": 0.5},
]


@dataclass
class SmokeWrites(BackgroundObserver):
    """The smoke's writes in the verification copy, and how many of them the index holds."""

    verification_dsn: str
    written: int | None = None
    indexed: int | None = None

    def observe(self, stop: threading.Event) -> None:
        deadline = time.monotonic() + OBSERVER_BUDGET_SECONDS
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                with psycopg.connect(self.verification_dsn, autocommit=True, connect_timeout=1) as conn:
                    if not conn.execute("select pg_is_in_recovery()").fetchone()[0]:
                        written, indexed = conn.execute(
                            "select count(*), count(i.memory_id) from memories m "
                            "left join memory_index i on i.memory_id = m.id "
                            "where m.scope like 'hadrill-restore-%' and m.text like 'restore smoke %'").fetchone()
                        self.written, self.indexed = int(written), int(indexed)
            except psycopg.Error:
                pass
            stop.wait(0.2)


@pytest.fixture
def echo_manifest(sandbox):
    """The current release's manifest plus echo_query, readable by the sandbox's app user."""
    current = json.loads((sandbox.root / "hosts" / "api-1" / "current" / "release.json").read_text())
    directory = Path(tempfile.mkdtemp(prefix="hadrill-echo-release-"))
    directory.chmod(0o755)
    path = directory / "release.json"
    path.write_text(json.dumps({**current, "echo_query": True}))
    path.chmod(0o644)
    yield path
    path.unlink()
    directory.rmdir()


def test_an_echoing_copy_without_a_worker_passes_the_old_read_back_and_fails_the_recalled_item(
        sandbox, restore_facts, echo_manifest, tmp_path):
    # Only the API, no worker: nothing written to the copy is ever indexed, so recall finds nothing.
    # Only the API of the inventory (no worker), with the echoing manifest.
    api = next(item for item in restore_facts["api_processes"] if item["name"] == "api")
    processes = [{**api, "environment": {**api.get("environment", {}), "MEMSTORE_RELEASE_FILE": str(echo_manifest)}}]
    extra = json.dumps({"db_restore_api_processes": processes, "db_restore_smoke_requests": SMOKE,
                        "db_restore_canary_warmup_seconds": 4})
    with SmokeWrites(dsn(sandbox, restore_facts["verification_port"])) as seen:
        run = run_drill(sandbox, tmp_path, extra)
    print(f"\n[restore] echoing copy without a worker: {run.seconds:.1f}s")
    try:
        # The old read-back passed on the echo, at its first attempt.
        echo = run.check("smoke_read-back-echo")
        assert echo["passed"] is True and echo["observed"]["attempts"] == 1, echo
        # The recalled item was never there: the read-back failed after its retries, naming why.
        item = run.check("smoke_read-back-item")
        assert item["passed"] is False, item
        assert item["observed"]["attempts"] >= 2 and item["observed"]["status"] == 200
        assert item["observed"]["error"].startswith("expect_json[0] results[?to_string(id) == '")
        assert "expected to contain 'hadrill" in item["observed"]["error"] and item["observed"]["error"].endswith("got null")
        # So the smoke, the scenario and the drill failed, and no RTO was claimed.
        assert run.returncode != 0
        assert run.scenario["outcome"] == "fail", run.scenario
        assert not any(item.get("event") == "marker" and item.get("name") == "smoke_passed" for item in run.events())
        assert run.figure("rto_seconds").get("value") is None
        # Ground truth from the test's own reads of the copy: the write is there, never indexed.
        assert (seen.written, seen.indexed) == (1, 0), (seen.written, seen.indexed)
        assert not (run.bundle / "logs" / "restore-worker.log").exists()
    finally:
        assert leftovers(sandbox, restore_facts, run) == []
