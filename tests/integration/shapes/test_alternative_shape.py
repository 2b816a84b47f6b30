"""The whole drill against the second rehearsal target shape, from its own inventory alone.

``inventories/local-alt`` describes a sandbox running memstore's alt shape (python/memstore/README.md,
"Two shapes"): health without a release at ``/healthz``, ``X-Api-Key`` only (the API refuses an
``Authorization`` header), writes answering ``{"data": {"memory": {"key": ...}}}`` with text keys,
search answers that always echo the query, tenancy by scope prefix, an ``events`` outbox with
``published_at``/``failed_at``, ``schema_revisions.revision``, other host names, and the
``command`` platform adapter. It differs from ``inventories/local`` only in variables: nothing in
the collection or in hadrill knows either shape.

One ``hadrill run`` of all three scenarios (module fixture), checked against the test's own
observation of the primary (a separate connection polling the outbox and the drill's scopes every
0.2 s), the API's own access log (which credential headers each request carried) and the release
links on disk.

The module brings the alternative sandbox up itself when it is not already up, beside the
default one (its own root, ports, stanza, app user and drill environment), and tears it down at
the end if it brought it up (``HADRILL_KEEP_SANDBOX=1`` keeps it). With ``HADRILL_SANDBOX_VARS``
the alternative shape runs in that private sandbox instead.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from hadrill.events import read_lines
from tests.integration.conftest import REPO, Sandbox, bring_up, load_inventory_facts
from tests.support.background import BackgroundObserver
from tests.support.drill import drill_env, hadrill

pytestmark = pytest.mark.integration

ALT_INVENTORY = REPO / "inventories" / "local-alt"
DRILL_TIMEOUT = 900
OBSERVER_INTERVAL = 0.2
DRILL_SCOPES = "default/hadrill-%"
KNOWN_GOOD = "2.3.1"


@dataclass
class OutboxObserver(BackgroundObserver):
    """The test's ground truth on the primary: unpublished and failed events, and the rows of every
    drill-scoped scope, every OBSERVER_INTERVAL seconds for at most DRILL_TIMEOUT seconds."""

    dsn: str
    samples: int = 0
    max_unpublished: int = 0
    max_failed: int = 0
    max_rows: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def observe(self, stop: threading.Event) -> None:
        deadline = time.monotonic() + DRILL_TIMEOUT
        conn: psycopg.Connection | None = None
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=3)
                unpublished, failed = conn.execute(
                    "SELECT count(*) FILTER (WHERE published_at IS NULL AND failed_at IS NULL),"
                    " count(*) FILTER (WHERE failed_at IS NOT NULL) FROM events").fetchone()
                rows = dict(conn.execute("SELECT scope, count(*) FROM memories WHERE scope LIKE %s GROUP BY scope",
                                         (DRILL_SCOPES,)).fetchall())
                self.samples += 1
                self.max_unpublished = max(self.max_unpublished, unpublished)
                self.max_failed = max(self.max_failed, failed)
                for scope, count in rows.items():
                    self.max_rows[scope] = max(self.max_rows.get(scope, 0), count)
            except psycopg.Error as exc:
                self.errors.append(str(exc).strip())
                conn = None
            stop.wait(OBSERVER_INTERVAL)
        if conn is not None:
            conn.close()


@dataclass
class AltDrill:
    sandbox: Sandbox
    result: Any
    bundle: Path
    summary: dict[str, Any]
    observer: OutboxObserver
    env: dict[str, str]

    def scenario(self, name: str) -> dict[str, Any]:
        return self.summary["scenarios"][name]

    def figure(self, scenario: str, name: str) -> Any:
        return next(f["value"] for f in self.scenario(scenario)["figures"] if f["name"] == name)

    def samples(self, name: str) -> list[dict[str, Any]]:
        return list(read_lines(self.bundle / "samples" / f"{name}.jsonl"))

    def markers(self, name: str) -> list[dict[str, Any]]:
        return [e for e in read_lines(self.bundle / "events.jsonl") if e["event"] == "marker" and e["name"] == name]


@pytest.fixture(scope="module")
def alt_sandbox() -> Iterator[Sandbox]:
    box = Sandbox(load_inventory_facts(ALT_INVENTORY), inventory=ALT_INVENTORY)
    brought_up = not box.healthy()
    if brought_up:
        box.bring_up_run = bring_up(box)
    yield box
    if brought_up and os.environ.get("HADRILL_KEEP_SANDBOX") != "1":
        down = box.run_playbook("absent")
        assert down.returncode == 0, f"tearing the alternative sandbox down failed:\n{down.tail()}"


@pytest.fixture(scope="module")
def alt_drill(alt_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> AltDrill:
    evidence = tmp_path_factory.mktemp("alt-evidence")
    env = drill_env(evidence)
    with OutboxObserver(alt_sandbox.db_admin_dsn) as observer:
        result = hadrill("run", *alt_sandbox.inventory_args, env=env, timeout=DRILL_TIMEOUT)
    bundles = sorted(path for path in evidence.glob("ha_drill_*") if path.is_dir())
    assert len(bundles) == 1 and (bundles[0] / "summary.json").is_file(), (
        bundles, result.returncode, result.stdout[-4000:], result.stderr[-3000:])
    summary = json.loads((bundles[0] / "summary.json").read_text())
    return AltDrill(alt_sandbox, result, bundles[0], summary, observer, env)


def test_every_scenario_passes_from_the_alternative_inventory(alt_drill: AltDrill) -> None:
    assert alt_drill.result.returncode == 0, alt_drill.result.stdout[-4000:] + alt_drill.result.stderr[-2000:]
    summary = alt_drill.summary
    assert (summary["result"], summary["run_status"], summary["result_reasons"]) == ("pass", "completed", [])
    assert summary["environment"] == alt_drill.sandbox.facts["drill_environment"]
    assert summary["preconditions"]["outcome"] == "pass"
    assert set(summary["scenarios"]) == {"restore", "rollback", "replay"}
    for name, scenario in summary["scenarios"].items():
        assert scenario["outcome"] == "pass", (name, scenario["reasons"])
        assert scenario["checks"], name
        # Every check held and compared something (a check that compared nothing is warn, not pass).
        assert [(c["name"], c["passed"], c["compared_nothing"]) for c in scenario["checks"]
                if not c["passed"] or c["compared_nothing"]] == [], name
    assert [gate["name"] for gate in summary["gates"] if gate.get("passed") is not True] == []
    verified = hadrill("verify", str(alt_drill.bundle), env=alt_drill.env, timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_the_restore_compared_each_tenants_rows_with_the_primarys(alt_drill: AltDrill) -> None:
    """The tenant sample (tenancy by scope prefix, a LIKE with %% in the inventory's query) counted
    the rows the test counts itself on the primary, and the smoke's read-back found its write."""
    snapshot = json.loads((alt_drill.bundle / "records" / "restore-snapshot.json").read_text())
    assert snapshot["schema_version"] == "0002"
    checks = {c["name"]: c for c in alt_drill.scenario("restore")["checks"]}
    with psycopg.connect(alt_drill.sandbox.db_admin_dsn) as conn:
        for tenant in ("default", "acme", "globex"):
            ours = conn.execute("SELECT count(*) FROM memories WHERE split_part(scope, '/', 1) = %s AND created_at < %s",
                                (tenant, snapshot["cutoff"])).fetchone()[0]
            assert ours >= 2000  # the seeded rows at least
            assert checks[f"tenant_sample_{tenant}"]["observed"]["memories"][0]["rows"] == ours, tenant
    read_back = checks["smoke_read-back"]
    assert read_back["passed"] and read_back["observed"]["path"] == "/api/v2/memories/search"
    assert checks["smoke_write"]["observed"]["status"] == 201


def test_release_identity_came_from_the_platform_adapter(alt_drill: AltDrill) -> None:
    """The health answer names no release: every switched host's release was read through the
    command adapter, and the links on disk agree with what the drill reported."""
    enabled = alt_drill.markers("host_enabled")
    assert enabled and {m["data"]["release_read_from"] for m in enabled} == {
        "platform adapter (the health answer names no release)"}
    checks = {c["name"]: c for c in alt_drill.scenario("rollback")["checks"]}
    assert checks["replicas_on_known_good"]["observed"] == {"web-a": KNOWN_GOOD, "web-b": KNOWN_GOOD}
    root = alt_drill.sandbox.root
    assert {host: os.path.basename(os.readlink(root / "hosts" / host / "current")) for host in ("web-a", "web-b")} == {
        "web-a": KNOWN_GOOD, "web-b": KNOWN_GOOD}
    assert alt_drill.figure("rollback", "abort_fired") is True
    assert alt_drill.figure("rollback", "startup_contract_failures") == 0


def test_writes_and_backlog_agree_with_the_primary(alt_drill: AltDrill) -> None:
    """Acknowledged writes (text keys captured at data.memory.key) are the rows the test saw in
    each drill scope; the backlog peak read from the API's gauges is the one the test counted in
    the events table; cleanup removed both scopes (an HTTP purge and a SQL statement)."""
    observer = alt_drill.observer
    assert observer.samples > 100 and not observer.errors[:1]
    drill_id = alt_drill.summary["drill_id"]
    for scenario, samples in (("rollback", "rollback_traffic"), ("replay", "replay_writes")):
        writes = [s for s in alt_drill.samples(samples) if s["request"] == "write"]
        acknowledged = [s for s in writes if s["ok"]]
        unanswered = [s for s in writes if s.get("status") is None]
        seen = observer.max_rows.get(f"default/hadrill-{scenario}-{drill_id}", 0)
        assert acknowledged and len(acknowledged) <= seen <= len(acknowledged) + len(unanswered), (scenario, seen)
        if scenario == "replay":
            assert all(s["captured"]["id"].startswith("mem_") for s in acknowledged)
    with psycopg.connect(alt_drill.sandbox.db_admin_dsn) as conn:
        left = conn.execute("SELECT count(*) FROM memories WHERE scope LIKE %s", (f"default/hadrill-%-{drill_id}",)
                            ).fetchone()[0]
    assert left == 0
    peak = alt_drill.figure("replay", "peak_backlog")
    assert peak > 0 and abs(observer.max_unpublished - peak) <= max(15, 0.15 * observer.max_unpublished), (
        peak, observer.max_unpublished)
    assert alt_drill.figure("replay", "failed_after") == observer.max_failed == 0
    proof = alt_drill.figure("replay", "replay_proof")
    assert proof.split("/")[0] == proof.split("/")[1] != "0"


def _access_lines(path: Path, start: datetime, end: datetime) -> list[dict[str, Any]]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if item.get("event") == "access" and start <= datetime.fromisoformat(item["ts"]) <= end:
            lines.append(item)
    return lines


def test_the_api_saw_only_its_own_key_header(alt_drill: AltDrill) -> None:
    """Every request of the drill carried X-Api-Key and none carried Authorization (which this API
    refuses), on the replicas and on the restore's verification API."""
    start = datetime.fromisoformat(alt_drill.summary["started_at"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(alt_drill.summary["finished_at"].replace("Z", "+00:00"))
    logs = alt_drill.sandbox.root / "logs"
    replicas = [line for host in ("web-a", "web-b") for line in _access_lines(logs / f"{host}.err.log", start, end)]
    verification = _access_lines(alt_drill.bundle / "logs" / "restore-api.log", start, end)
    for lines in (replicas, verification):
        api = [line for line in lines if line["path"].startswith("/api/")]
        assert api and all(line["auth"] == ["x-api-key"] for line in api)
        assert not [line for line in lines if "authorization" in line["auth"]]
    paths = {line["path"] for line in replicas}
    assert {"/api/v2/memories", "/api/v2/memories/search", "/api/v2/scopes/purge", "/healthz",
            "/internal/metrics"} <= paths
    assert not {"/health", "/metrics"} & paths
