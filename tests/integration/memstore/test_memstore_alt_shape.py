"""memstore's alt shape (release manifest ``shape: alt``, memstore.shapes) with the real API and
worker processes and a real database: every convention differs from the classic shape's, and the
whole chain (migrate, seed, write, index, search, purge, gates, startup contract) still works."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support import http
from tests.support.memstore import install_release, memstore_env, run_memstore
from tests.support.postgres import TempPostgres
from tests.support.wait import wait_until

ACME = {"X-Api-Key": "key-acme"}


def alt_manifest(version: str, schema_min: int = 2, schema_max: int = 2, **extra: Any) -> dict[str, Any]:
    return {"version": version, "schema_min": schema_min, "schema_max": schema_max, "shape": "alt", **extra}


@pytest.fixture(scope="module")
def alt_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_release(tmp_path_factory.mktemp("alt"), "2.4.0", alt_manifest("2.4.0"))


@pytest.fixture
def alt_db(pg: TempPostgres, alt_release: Path) -> str:
    dsn = pg.create_database(f"alt_{uuid.uuid4().hex[:10]}")
    result = run_memstore(alt_release, ["migrate"], memstore_env(alt_release, dsn))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["applied"] == [1, 2]
    return dsn


def gate(release: Path, dsn: str, *args: str) -> tuple[int, dict[str, Any]]:
    result = run_memstore(release, ["gate", *args], memstore_env(release, dsn))
    return result.returncode, json.loads(result.stdout)


def search(base: str, scope: str, q: str, headers: dict[str, str] = ACME) -> http.HttpResult:
    return http.request("POST", f"{base}/api/v2/memories/search", {"scope": scope, "q": q, "top_k": 5}, headers=headers)


def test_the_alt_schema_has_no_status_no_tenant_and_text_revisions(alt_db: str) -> None:
    with psycopg.connect(alt_db) as conn:
        columns = {(table, column) for table, column in conn.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'public'")}
        revisions = [row[0] for row in conn.execute("select revision from schema_revisions order by revision")]
    assert revisions == ["0001", "0002"]
    assert ("events", "published_at") in columns and ("events", "failed_at") in columns
    assert not {c for c in columns if c[1] in {"status", "tenant", "id"} and c[0] in {"memories", "search_index"}}
    assert ("events", "status") not in columns
    assert not any(table == "schema_migrations" for table, _ in columns)


def test_write_index_search_purge_and_gates(alt_db: str, alt_release: Path, procs) -> None:
    api, base = procs.api(alt_release, alt_db)
    health = http.request("GET", f"{base}/healthz")
    assert health.status == 200 and health.body == {"ok": True, "db": "up", "schema_revision": 2}
    # No classic path, and the classic error form is not used.
    missing = http.request("GET", f"{base}/health")
    assert missing.status == 404 and missing.body == {"errors": [{"status": 404, "detail": "not found"}]}

    # The key only in X-Api-Key: a Bearer token is refused outright, even a valid one.
    body = {"scope": "acme/notes", "content": "alt shape tok1 first"}
    bearer = http.request("POST", f"{base}/api/v2/memories", body, headers={"Authorization": "Bearer key-acme"})
    assert bearer.status == 401 and "X-Api-Key" in bearer.body["errors"][0]["detail"]
    both = http.request("POST", f"{base}/api/v2/memories", body, headers={**ACME, "Authorization": "Bearer key-acme"})
    assert both.status == 401
    # Tenancy is the scope's prefix.
    assert http.request("POST", f"{base}/api/v2/memories", {"scope": "globex/notes", "content": "x"},
                        headers=ACME).status == 403
    assert http.request("POST", f"{base}/api/v2/memories", {"scope": "notes", "content": "x"},
                        headers=ACME).status == 400
    written = http.request("POST", f"{base}/api/v2/memories", body, headers={"x-api-key": "key-acme"})
    assert written.status == 201, written.body
    assert set(written.body) == {"data"} and "id" not in json.dumps(written.body)
    key = written.body["data"]["memory"]["key"]
    assert key.startswith("mem_") and len(key) == 20

    # Before the worker ran: the answer echoes the query (holding the token) but recalls nothing.
    echoed = search(base, "acme/notes", "tok1")
    assert echoed.status == 200 and echoed.body == {"query": "tok1", "data": {"hits": [], "count": 0}}
    metrics = http.parse_prometheus(http.request("GET", f"{base}/internal/metrics").body)
    assert metrics["memstore_events_unpublished"] == 1 and metrics["memstore_events_failed"] == 0
    assert not any(name.startswith(("memstore_release_info", "memstore_outbox")) for name in metrics)

    procs.worker(alt_release, alt_db)
    wait_until(lambda: search(base, "acme/notes", "tok1").body["data"]["count"] == 1, timeout=30, interval=0.1,
               what="the alt worker to index the write")
    hit = search(base, "acme/notes", "tok1").body["data"]["hits"][0]
    assert hit["memory"] == {"key": key, "content": "alt shape tok1 first"} and hit["score"] == 1.0
    with psycopg.connect(alt_db) as conn:
        published, failed = conn.execute("select published_at, failed_at from events where memory_key = %s",
                                          (key,)).fetchone()
    assert published is not None and failed is None
    assert search(base, "acme/notes", "tok1", headers={"X-Api-Key": "key-globex"}).status == 403

    code, health_gate = gate(alt_release, alt_db, "health", "--base-url", base, "--strict-warnings")
    assert code == 0, health_gate
    assert "schema revision 2" in {c["name"]: c for c in health_gate["checks"]}["api_health"]["detail"]
    code, consistency = gate(alt_release, alt_db, "consistency", "--cross-tenant", "--strict-warnings")
    assert code == 0, consistency
    per_tenant = {c["name"]: c for c in consistency["checks"]}["per_tenant_counts"]["value"]
    assert per_tenant == {"acme": {"memories": 1, "indexed": 1}}

    purged = http.request("POST", f"{base}/api/v2/scopes/purge", {"scope": "acme/notes"}, headers=ACME)
    assert purged.status == 200 and purged.body == {"data": {"scope": "acme/notes", "purged": 1}}
    assert search(base, "acme/notes", "tok1").body["data"]["count"] == 0

    # The access log names the credential headers each request carried, never their values.
    api_log = api.log_events()
    access = [item for item in api_log if item.get("event") == "access" and item.get("path", "").startswith("/api/")]
    assert {tuple(item["auth"]) for item in access} == {("authorization",), ("authorization", "x-api-key"), ("x-api-key",)}
    assert "key-acme" not in api.log_text()


def test_seed_consistency_and_a_poison_event(alt_db: str, alt_release: Path, procs) -> None:
    env = memstore_env(alt_release, alt_db)
    seeded = run_memstore(alt_release, ["seed", "--tenants", "acme,globex"], env, timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    assert json.loads(seeded.stdout)["per_tenant"] == {"acme": 2000, "globex": 2000}
    again = run_memstore(alt_release, ["seed", "--tenants", "acme,globex"], env, timeout=120)
    assert json.loads(again.stdout)["seeded"] == 0
    with psycopg.connect(alt_db) as conn:
        prefixes = dict(conn.execute("select split_part(scope, '/', 1), count(*) from memories group by 1").fetchall())
        unpublished = conn.execute("select count(*) from events where published_at is null").fetchone()[0]
        # A poison event: a key that names no memory.
        conn.execute("insert into events (memory_key, kind, payload) values ('mem_missing', 'memory.created', "
                     "'{\"key\": \"mem_missing\"}')")
    assert prefixes == {"acme": 2000, "globex": 2000} and unpublished == 0
    code, consistency = gate(alt_release, alt_db, "consistency", "--cross-tenant", "--strict-warnings")
    assert code == 0, consistency
    procs.worker(alt_release, alt_db, args=["--max-attempts", "2"])

    def dead_lettered() -> bool:
        with psycopg.connect(alt_db) as conn:
            return conn.execute("select failed_at is not null from events where memory_key = 'mem_missing'").fetchone()[0]

    wait_until(dead_lettered, timeout=30, interval=0.1, what="the poison event to be dead-lettered")
    code, health_gate = gate(alt_release, alt_db, "health", "--strict-warnings")
    assert code == 1 and {c["name"]: c for c in health_gate["checks"]}["outbox_failed"]["value"] == 1


def test_the_startup_contract_failure_has_the_alt_wording(alt_db: str, tmp_path: Path, procs) -> None:
    future = install_release(tmp_path, "3.0.0", alt_manifest("3.0.0", schema_min=3, schema_max=3))
    proc = procs.start(future, ["api", "--listen", "127.0.0.1:0"], alt_db, "future")
    assert proc.wait(timeout=30) == 78
    assert proc.log_text().splitlines()[0] == (
        "fatal: schema revision 2 is not supported by release 3.0.0 (supports 3..3)")
