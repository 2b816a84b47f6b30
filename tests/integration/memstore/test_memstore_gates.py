"""Poison events are dead-lettered; the health and consistency gates judge the real database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from tests.support import http
from tests.support.http import bearer
from tests.support.memstore import memstore_env, run_memstore
from tests.support.postgres import TempPostgres
from tests.support.wait import wait_until

ACME = bearer("key-acme")


def gate(release: Path, dsn: str, *args: str) -> tuple[int, dict[str, Any]]:
    result = run_memstore(release, ["gate", *args], memstore_env(release, dsn))
    assert result.stdout.count("\n") == 1, (result.stdout, result.stderr)
    return result.returncode, json.loads(result.stdout)


def checks(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in report["checks"]}


def write(base: str, tenant: str, text: str, key: str) -> int:
    result = http.request(
        "POST", f"{base}/v1/memory/write", {"tenant": tenant, "scope": "notes", "text": text}, headers=bearer(key)
    )
    assert result.status == 200, result.body
    return int(result.body["id"])


def test_poison_events_dead_lettered_and_health_gate(db3: str, releases: Callable[..., Path], procs) -> None:
    release = releases("v0.2.2", 3, 3)
    _, base = procs.api(release, db3)

    code, report = gate(release, db3, "health", "--strict-warnings", "--base-url", base)
    assert (code, report["result"]) == (0, "pass"), report
    assert report["gate"] == "health" and report["strict_warnings"] is True
    assert {c["status"] for c in report["checks"]} == {"ok"}
    assert set(checks(report)) >= {"api_health", "db_reachable", "schema_version", "outbox_failed",
                                   "outbox_pending", "outbox_oldest_pending_age"}

    with psycopg.connect(db3) as conn:
        conn.execute("INSERT INTO outbox (event_type, payload) VALUES ('memory.written', '{}')")
        conn.execute(
            "INSERT INTO outbox (memory_id, event_type, payload) VALUES (999999, 'memory.written', '{\"memory_id\": 999999}')"
        )
    good = write(base, "acme", "a healthy memory", "key-acme")
    worker = procs.worker(release, db3, args=["--max-attempts", "3"])

    def failed_events() -> list[tuple]:
        with psycopg.connect(db3) as conn:
            return conn.execute(
                "SELECT id, attempts, last_error FROM outbox WHERE status = 'failed' ORDER BY id"
            ).fetchall()

    failed = wait_until(lambda: len(failed_events()) == 2 and failed_events(), timeout=15, what="2 dead-lettered events")
    assert [f[1] for f in failed] == [3, 3]
    assert "no memory_id" in failed[0][2]
    assert "999999 does not exist" in failed[1][2]
    with psycopg.connect(db3) as conn:
        assert conn.execute("SELECT status FROM outbox WHERE memory_id = %s", (good,)).fetchone() == ("done",)
    assert sum(e["event"] == "worker.dead_lettered" for e in worker.log_events()) == 2

    metrics = http.parse_prometheus(http.request("GET", f"{base}/metrics").body)
    assert metrics["memstore_outbox_failed"] == 2

    code, report = gate(release, db3, "health", "--strict-warnings")
    assert (code, report["result"]) == (1, "fail")
    assert checks(report)["outbox_failed"]["status"] == "warning"
    assert checks(report)["outbox_failed"]["value"] == 2
    # Without --strict-warnings a warning does not fail the gate.
    code, report = gate(release, db3, "health")
    assert (code, report["result"]) == (0, "pass")


def test_health_gate_backlog_and_unreachable(db3: str, releases: Callable[..., Path], procs) -> None:
    release = releases("v0.2.2", 3, 3)
    _, base = procs.api(release, db3)
    for i in range(3):
        write(base, "acme", f"queued {i}", "key-acme")
    code, report = gate(release, db3, "health", "--max-pending", "2", "--strict-warnings")
    assert code == 1 and checks(report)["outbox_pending"]["status"] == "warning"

    code, report = gate(release, "postgresql://memstore:pw-not-logged@127.0.0.1:1/memstore", "health",
                        "--base-url", "http://127.0.0.1:1")
    assert code == 1
    assert checks(report)["db_reachable"]["status"] == "error"
    assert checks(report)["api_health"]["status"] == "error"
    assert "pw-not-logged" not in json.dumps(report)


def test_health_gate_schema_out_of_range(db: str, migrate: Callable[..., dict[str, Any]], releases: Callable[..., Path]) -> None:
    migrate(db, to=4)
    code, report = gate(releases("v0.2.2", 3, 3), db, "health")
    assert code == 1
    assert checks(report)["schema_version"]["status"] == "error"
    assert "4 outside [3, 3]" in checks(report)["schema_version"]["detail"]


def test_consistency_gate(pg: TempPostgres, db3: str, releases: Callable[..., Path], procs) -> None:
    release = releases("v0.2.2", 3, 3)
    _, base = procs.api(release, db3)
    worker = procs.worker(release, db3)
    acme = [write(base, "acme", f"acme note {i}", "key-acme") for i in range(3)]
    globex = write(base, "globex", "globex note", "key-globex")

    def all_indexed() -> bool:
        with psycopg.connect(db3) as conn:
            row = conn.execute("SELECT count(*) FROM memory_index").fetchone()
            return bool(row and row[0] == 4)

    wait_until(all_indexed, timeout=10, what="4 memories indexed")
    assert worker.stop(timeout=10) == 0

    code, report = gate(release, db3, "consistency", "--cross-tenant", "--strict-warnings")
    assert (code, report["result"]) == (0, "pass"), report
    assert report["gate"] == "consistency"
    assert checks(report)["per_tenant_counts"]["value"] == {
        "acme": {"memories": 3, "indexed": 3}, "globex": {"memories": 1, "indexed": 1},
    }
    code, report = gate(release, db3, "consistency", "--cross-tenant", "--scope", "elsewhere")
    assert code == 0 and checks(report)["per_tenant_counts"]["value"] == {}

    # Corrupt one index row so it claims acme's memory belongs to globex (as superuser: the
    # service role could do it too, but this is what a buggy migration or restore would do).
    with pg.admin_connect(db3.rsplit("/", 1)[1]) as conn:
        conn.execute("UPDATE memory_index SET tenant = 'globex' WHERE memory_id = %s", (acme[0],))

    code, report = gate(release, db3, "consistency")
    assert (code, report["result"]) == (1, "fail")
    assert checks(report)["index_matches_memory"]["value"] == 1
    assert "cross_tenant_index_rows" not in checks(report)
    code, report = gate(release, db3, "consistency", "--cross-tenant")
    assert (code, report["result"]) == (1, "fail")
    cross = checks(report)["cross_tenant_index_rows"]
    assert cross["status"] == "error"
    assert cross["value"]["sample"] == [{"memory_id": acme[0], "index_tenant": "globex", "memory_tenant": "acme"}]
    # The API never serves the corrupted row to the wrong tenant.
    hits = http.request(
        "POST", f"{base}/v1/memory/recall_text",
        {"tenant": "globex", "scope": "notes", "query": "acme note"}, headers=bearer("key-globex"),
    ).body["results"]
    assert [h["id"] for h in hits] == [globex]

    # A 'done' event whose index row disappeared is caught too.
    with pg.admin_connect(db3.rsplit("/", 1)[1]) as conn:
        conn.execute("UPDATE memory_index SET tenant = 'acme' WHERE memory_id = %s", (acme[0],))
        conn.execute("DELETE FROM memory_index WHERE memory_id = %s", (acme[1],))
    code, report = gate(release, db3, "consistency", "--cross-tenant")
    assert code == 1
    assert checks(report)["done_events_indexed"]["status"] == "error"
    assert checks(report)["memories_indexed_or_queued"]["value"] == 1
    assert checks(report)["cross_tenant_index_rows"]["status"] == "ok"
