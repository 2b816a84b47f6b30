"""Write -> outbox -> worker -> index -> recall, with the real API and worker processes."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import psycopg

from tests.support import http
from tests.support.http import bearer, parse_prometheus
from tests.support.postgres import TempPostgres
from tests.support.wait import wait_until

ACME = bearer("key-acme")
GLOBEX = bearer("key-globex")


def write(base: str, text: str, tenant: str = "acme", scope: str = "notes", headers: dict[str, str] = ACME) -> int:
    result = http.request("POST", f"{base}/v1/memory/write", {"tenant": tenant, "scope": scope, "text": text}, headers=headers)
    assert result.status == 200, result.body
    assert result.body["tenant"] == tenant and result.body["scope"] == scope
    return int(result.body["id"])


def recall(base: str, query: str, tenant: str = "acme", scope: str = "notes", headers: dict[str, str] = ACME) -> list[dict]:
    result = http.request(
        "POST", f"{base}/v1/memory/recall_text",
        {"tenant": tenant, "scope": scope, "query": query, "limit": 10}, headers=headers,
    )
    assert result.status == 200, result.body
    return list(result.body["results"])


def gauges(base: str) -> dict[str, float]:
    result = http.request("GET", f"{base}/metrics")
    assert result.status == 200
    assert result.headers["Content-Type"].startswith("text/plain")
    return parse_prometheus(result.body)


def test_recall_only_after_worker_and_backlog_drains(db3: str, releases: Callable[..., Path], procs) -> None:
    release = releases("v0.2.2", 3, 3)
    api, base = procs.api(release, db3)

    health = http.request("GET", f"{base}/health")
    assert health.status == 200
    assert health.body == {
        "status": "ok", "release": "v0.2.2", "schema_version": 3, "schema_supported": [3, 3], "db": "ok",
    }

    # No worker yet: the write is accepted but not recallable, and the backlog shows it.
    first = write(base, "The quick brown Fox jumps")
    assert recall(base, "fox") == []
    metrics = gauges(base)
    assert metrics["memstore_outbox_pending"] == 1
    assert metrics["memstore_outbox_failed"] == 0
    assert metrics['memstore_release_info{version="v0.2.2"}'] == 1
    assert metrics["memstore_schema_version"] == 3
    assert metrics['memstore_http_requests_total{status="200"}'] >= 3

    worker = procs.worker(release, db3)
    hits = wait_until(lambda: recall(base, "FOX quick"), timeout=10, what="memory indexed by the worker")
    assert hits[0]["id"] == first and hits[0]["text"] == "The quick brown Fox jumps"
    assert hits[0]["score"] == 1.0
    wait_until(lambda: gauges(base)["memstore_outbox_pending"] == 0, timeout=5, what="empty backlog")

    # Pause the worker: the backlog grows with every write and nothing new is recallable.
    assert worker.stop(signal.SIGTERM, timeout=10) == 0
    ids = [write(base, f"paused write number {i} zebra") for i in range(5)]
    assert gauges(base)["memstore_outbox_pending"] == 5
    assert recall(base, "zebra") == []

    procs.worker(release, db3, name="worker-2")
    wait_until(lambda: gauges(base)["memstore_outbox_pending"] == 0, timeout=10, what="backlog drained")
    assert sorted(h["id"] for h in recall(base, "zebra")) == sorted(ids)

    with psycopg.connect(db3) as conn:
        status = conn.execute("SELECT status, count(*), min(attempts), max(attempts) FROM outbox GROUP BY status").fetchall()
        index = conn.execute("SELECT tenant, scope, tokens FROM memory_index WHERE memory_id = %s", (first,)).fetchone()
    assert status == [("done", 6, 1, 1)]
    assert index == ("acme", "notes", ["the", "quick", "brown", "fox", "jumps"])

    assert api.stop(signal.SIGTERM, timeout=10) == 0
    events = api.log_events()
    assert any(e["event"] == "access" and e["path"] == "/v1/memory/write" and e["status"] == 200 for e in events)
    assert all("duration_ms" in e for e in events if e["event"] == "access")


def test_recall_ranks_by_token_overlap(db3: str, releases: Callable[..., Path], procs) -> None:
    release = releases("v0.2.2", 3, 3)
    _, base = procs.api(release, db3)
    procs.worker(release, db3)
    one = write(base, "red apple")
    both = write(base, "red apple pie with cream")
    write(base, "blue sky")
    wait_until(lambda: len(recall(base, "apple pie")) == 2, timeout=10, what="both apples indexed")
    hits = recall(base, "apple pie")
    assert [h["id"] for h in hits] == [both, one]
    assert [h["score"] for h in hits] == [1.0, 0.5]


def test_tenant_isolation_and_auth(db3: str, releases: Callable[..., Path], procs) -> None:
    release = releases("v0.2.2", 3, 3)
    _, base = procs.api(release, db3)
    procs.worker(release, db3)
    body = {"tenant": "acme", "scope": "notes", "text": "acme secret plans"}

    assert http.request("POST", f"{base}/v1/memory/write", body).status == 401
    assert http.request("POST", f"{base}/v1/memory/write", body, headers=bearer("nope")).status == 401
    assert http.request("POST", f"{base}/v1/memory/write", body, headers=GLOBEX).status == 403
    bad = http.request("POST", f"{base}/v1/memory/write", {"tenant": "acme", "scope": "notes"}, headers=ACME)
    assert bad.status == 400 and "text" in bad.body["error"]
    assert http.request("GET", f"{base}/v1/memory/write", headers=ACME).status == 405
    assert http.request("GET", f"{base}/nowhere").status == 404
    unsupported = http.request("PATCH", f"{base}/health")
    assert unsupported.status == 501 and "error" in unsupported.body

    # X-API-Key works as well as a bearer token.
    memory_id = write(base, "acme secret plans", headers={"X-API-Key": "key-acme"})
    write(base, "globex secret plans", tenant="globex", headers=GLOBEX)
    wait_until(lambda: recall(base, "secret"), timeout=10, what="acme memory indexed")
    wait_until(lambda: recall(base, "secret", tenant="globex", headers=GLOBEX), timeout=10, what="globex memory indexed")

    assert [h["id"] for h in recall(base, "secret plans")] == [memory_id]
    assert all(h["text"].startswith("globex") for h in recall(base, "secret plans", tenant="globex", headers=GLOBEX))
    # The other tenant cannot even ask for acme's scope, and another scope of acme is empty.
    denied = http.request(
        "POST", f"{base}/v1/memory/recall_text",
        {"tenant": "acme", "scope": "notes", "query": "secret"}, headers=GLOBEX,
    )
    assert denied.status == 403
    assert recall(base, "secret", scope="other") == []


def test_worker_survives_database_restart(pg: TempPostgres, db3: str, releases: Callable[..., Path], procs) -> None:
    release = releases("v0.2.2", 3, 3)
    _, base = procs.api(release, db3)
    worker = procs.worker(release, db3)
    write(base, "before the restart")
    wait_until(lambda: recall(base, "restart"), timeout=10, what="first memory indexed")

    pg.stop_server("fast")
    try:
        down = wait_until(
            lambda: (r := http.request("GET", f"{base}/health")).status == 503 and r,
            timeout=5, what="health 503 while the database is down",
        )
        assert down.body["db"] == "unreachable"
        assert http.request(
            "POST", f"{base}/v1/memory/write", {"tenant": "acme", "scope": "notes", "text": "x"}, headers=ACME
        ).status == 503
        wait_until(
            lambda: any(e["event"] == "worker.db_error" for e in worker.log_events()),
            timeout=5, what="worker noticing the outage",
        )
    finally:
        pg.start_server()

    assert worker.running()
    wait_until(lambda: http.request("GET", f"{base}/health").status == 200, timeout=10, what="health back to 200")
    second = write(base, "after the restart")
    hits = wait_until(lambda: [h for h in recall(base, "after") if h["id"] == second], timeout=15, what="indexed after restart")
    assert hits
    assert any(e["event"] == "worker.db_reconnected" for e in worker.log_events())
    assert worker.stop(signal.SIGTERM, timeout=10) == 0
