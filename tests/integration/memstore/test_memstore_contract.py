"""Release behaviour: startup schema contract, fault injection, unreachable DB, clean shutdown."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support import http
from tests.support.http import bearer
from tests.support.memstore import wait_http
from tests.support.wait import wait_until

WRITE = {"tenant": "acme", "scope": "notes", "text": "hello"}


def test_startup_contract(db3: str, migrate: Callable[..., dict[str, Any]], releases: Callable[..., Path], procs) -> None:
    old = releases("v0.1.5", 1, 2)
    api = procs.start(old, ["api", "--listen", "127.0.0.1:56999"], db3, "old-api")
    assert api.wait(timeout=15) == 78
    lines = api.log_text().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("STARTUP CONTRACT FAILURE:")
    assert "v0.1.5" in lines[0] and "[1, 2]" in lines[0] and "schema version 3" in lines[0]

    worker = procs.worker(old, db3, name="old-worker")
    assert worker.wait(timeout=15) == 78
    assert worker.log_text().startswith("STARTUP CONTRACT FAILURE:")

    # A release whose range includes the schema serves.
    _, base = procs.api(releases("v0.1.8", 2, 3), db3, name="v018-api")
    health = http.request("GET", f"{base}/health")
    assert health.status == 200 and health.body["release"] == "v0.1.8"

    # Moving the database beyond v0.2.2's range makes v0.2.2 refuse to start.
    migrate(db3, to=4)
    current = procs.start(releases("v0.2.2", 3, 3), ["api", "--listen", "127.0.0.1:56998"], db3, "v022-api")
    assert current.wait(timeout=15) == 78
    assert "schema version 4" in current.log_text()
    # The running v0.1.8 API now reports itself unavailable instead of serving a foreign schema.
    time.sleep(0.6)  # health check cache
    health = http.request("GET", f"{base}/health")
    assert health.status == 503 and "outside supported range" in health.body["reason"]


def test_fault_injection_spares_health(db3: str, releases: Callable[..., Path], procs) -> None:
    bad = releases("v0.2.3-rc1", 3, 3, fault={"error_rate": 1.0})
    _, base = procs.api(bad, db3)
    for _ in range(3):
        result = http.request("POST", f"{base}/v1/memory/write", WRITE, headers=bearer("key-acme"))
        assert (result.status, result.body) == (500, {"error": "injected fault"})
    assert http.request("GET", f"{base}/health").status == 200
    metrics = http.parse_prometheus(http.request("GET", f"{base}/metrics").body)
    assert metrics['memstore_http_requests_total{status="500"}'] == 3
    assert metrics['memstore_release_info{version="v0.2.3-rc1"}'] == 1

    # The environment override turns the fault off for the same release.
    _, healthy = procs.api(bad, db3, name="api-override", MEMSTORE_FAULT_ERROR_RATE="0")
    assert http.request("POST", f"{healthy}/v1/memory/write", WRITE, headers=bearer("key-acme")).status == 200


def test_unreachable_database_at_startup(releases: Callable[..., Path], procs) -> None:
    dsn = "postgresql://memstore:hunter2-secret@127.0.0.1:1/memstore"
    api, base = procs.api(releases("v0.2.2", 3, 3), dsn)
    health = http.request("GET", f"{base}/health")
    assert health.status == 503
    assert health.body["status"] == "unavailable" and health.body["db"] == "unreachable"
    write = http.request("POST", f"{base}/v1/memory/write", WRITE, headers=bearer("key-acme"))
    assert (write.status, write.body) == (503, {"error": "database unavailable"})
    assert api.stop(timeout=10) == 0
    log = api.log_text()
    assert "hunter2-secret" not in log
    assert "memstore:***@127.0.0.1:1" in log


def test_sigterm_finishes_in_flight_request(db3: str, releases: Callable[..., Path], procs) -> None:
    slow = releases("v0.2.3-slow", 3, 3, fault={"latency_ms": 800})
    api, base = procs.api(slow, db3)
    results: list[http.HttpResult] = []
    client = threading.Thread(
        target=lambda: results.append(http.request("POST", f"{base}/v1/memory/write", WRITE, headers=bearer("key-acme")))
    )
    client.start()
    time.sleep(0.3)  # the request is now inside its injected latency
    started = time.monotonic()
    assert api.stop(signal.SIGTERM, timeout=10) == 0
    client.join(timeout=10)
    assert results and results[0].status == 200, results
    assert time.monotonic() - started < 5
    # Stopped listening: new connections are refused.
    try:
        http.request("GET", f"{base}/health", timeout=1)
        raise AssertionError("API still answering after SIGTERM")
    except OSError:
        pass


def test_stop_signal_during_startup_is_not_lost(db3: str, releases: Callable[..., Path], procs) -> None:
    """A supervisor may stop a process while it is still importing: still a clean exit 0."""
    worker = procs.worker(releases("v0.2.2", 3, 3), db3)
    time.sleep(0.3)  # interpreter up, most likely still importing psycopg
    assert worker.stop(signal.SIGTERM, timeout=10) == 0


def test_sigint_stops_idle_api_and_worker(db3: str, releases: Callable[..., Path], procs) -> None:
    release = releases("v0.2.2", 3, 3)
    api, base = procs.api(release, db3)
    worker = procs.worker(release, db3)
    wait_http(base, api)
    wait_until(lambda: any(e["event"] == "worker.started" for e in worker.log_events()), timeout=10, what="worker up")
    assert worker.stop(signal.SIGINT, timeout=10) == 0
    assert api.stop(signal.SIGINT, timeout=10) == 0
    assert [e["event"] for e in worker.log_events()][-1] == "worker.stopped"
    assert [e["event"] for e in api.log_events()][-1] == "api.stopped"
