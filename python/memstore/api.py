"""HTTP API: /health, /metrics, /v1/memory/write, /v1/memory/recall_text, /v1/memory/note,
/v1/memory/forget; in the alt shape (memstore.shapes) /healthz, /internal/metrics,
/api/v2/memories, /api/v2/memories/search and /api/v2/scopes/purge instead.

/v1/memory/note is the write of a classic web form: a URL-encoded body, answered with the plain
text ``OK`` and no id (the shape of an application whose only write says nothing else).
/v1/memory/forget removes every memory of a tenant's scope, with its outbox events and index
rows (what a drill's cleanup request calls)."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import psycopg

from memstore import metrics, payloads, signals, store, store_alt
from memstore.config import ConfigError, Settings, mask_dsn
from memstore.db import ConnectionPool, DatabaseUnavailable, first_line
from memstore.faults import FaultInjector
from memstore.health import EXIT_CONTRACT_FAILURE, HealthProbe, probe_schema, startup_contract_violation
from memstore.log import log
from memstore.release import Release
from memstore.shapes import CLASSIC, Shape
from memstore.tokens import tokenize

JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass
class App:
    release: Release
    api_keys: dict[str, str]
    pool: ConnectionPool
    faults: FaultInjector
    health: HealthProbe
    requests: metrics.StatusCounter


Response = tuple[int, Any, str]  # status, body (dict -> JSON, str -> as is), content type


def _json(status: int, body: dict[str, Any]) -> Response:
    return status, body, JSON_TYPE


def _error(shape: Shape, status: int, message: str) -> Response:
    """An error answer in the shape's form: {"error": ...} or {"errors": [{"status", "detail"}]}."""
    if shape is CLASSIC:
        return _json(status, {"error": message})
    return _json(status, {"errors": [{"status": status, "detail": message}]})


class Handler(BaseHTTPRequestHandler):
    server: MemstoreHTTPServer
    server_version = "memstore"
    sys_version = ""
    # HTTP/1.0: one request per connection, so shutdown never waits on an idle keep-alive client.
    protocol_version = "HTTP/1.0"
    timeout = 15  # a client that stops sending cannot pin a thread forever

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._handle()

    def do_POST(self) -> None:  # noqa: N802
        self._handle()

    def do_PUT(self) -> None:  # noqa: N802
        self._handle()

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature from stdlib
        # Only stdlib-internal events reach here (normal requests are logged by _handle).
        log("http.error", client=self.client_address[0], message=format % args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server answers malformed requests and unknown methods itself, in HTML; keep
        # those JSON too, and counted and access-logged like every other request.
        self.close_connection = True
        try:
            self._send(*_error(self.server.app.release.shape, code, message or HTTPStatus(code).phrase))
        except OSError:
            pass
        self.server.app.requests.inc(code)
        log("access", method=self.command or "-", path=getattr(self, "path", "-"), status=code, duration_ms=0.0,
            auth=payloads.credential_headers(self.headers) if getattr(self, "headers", None) else [])

    def _handle(self) -> None:
        started = time.monotonic()
        app = self.server.app
        path = urlsplit(self.path).path
        try:
            status, body, content_type = self._route(app, path)
        except Exception as exc:  # noqa: BLE001 - one bad request must not kill the server
            log("api.unhandled_error", path=path, error=f"{type(exc).__name__}: {exc}")
            status, body, content_type = _error(app.release.shape, 500, "internal error")
        try:
            self._send(status, body, content_type)
        except OSError:
            pass  # the client went away; the access log still records what we answered
        app.requests.inc(status)
        log(
            "access",
            method=self.command,
            path=path,
            status=status,
            duration_ms=round((time.monotonic() - started) * 1000, 2),
            # Which credential headers came (names only, never values): what a rehearsal checks
            # to prove a client used the API's own convention.
            auth=payloads.credential_headers(self.headers),
        )

    def _send(self, status: int, body: Any, content_type: str) -> None:
        raw = (json.dumps(body) if content_type == JSON_TYPE else str(body)).encode("utf-8")
        self.send_response_only(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(raw)
        self.wfile.flush()

    def _read_body(self) -> bytes:
        length_raw = self.headers.get("Content-Length", "0")
        try:
            length = int(length_raw)
        except ValueError:
            raise payloads.BadRequest("invalid Content-Length") from None
        if length < 0 or length > payloads.MAX_BODY_BYTES:
            raise payloads.BadRequest(f"body must be at most {payloads.MAX_BODY_BYTES} bytes")
        return self.rfile.read(length) if length else b""

    def _routes(self, shape: Shape) -> dict[str, tuple[str, Callable[[App, bytes], Response]]]:
        """path -> (method, handler); the API paths (with a body, faulted) start with /v1/ or /api/."""
        if shape is CLASSIC:
            return {
                "/health": ("GET", self._health),
                "/metrics": ("GET", self._metrics),
                "/v1/memory/write": ("POST", self._write),
                "/v1/memory/recall_text": ("POST", self._recall),
                "/v1/memory/note": ("POST", self._note),
                "/v1/memory/forget": ("POST", self._forget),
            }
        return {
            shape.health_path: ("GET", self._health),
            shape.metrics_path: ("GET", self._metrics),
            "/api/v2/memories": ("POST", self._alt_write),
            "/api/v2/memories/search": ("POST", self._alt_search),
            "/api/v2/scopes/purge": ("POST", self._alt_purge),
        }

    def _route(self, app: App, path: str) -> Response:
        shape = app.release.shape
        routes = self._routes(shape)
        if path not in routes:
            return _error(shape, 404, "not found")
        method, handler = routes[path]
        if self.command != method:
            return _error(shape, 405, f"method not allowed, use {method}")
        if not path.startswith(("/v1/", "/api/")):
            return handler(app, b"")
        # Read the body before anything else: answering while the client's body is unread can
        # reset the connection and turn a clean 500 into a network error.
        try:
            raw = self._read_body()
        except payloads.BadRequest as exc:
            return _error(shape, 400, str(exc))
        decision = app.faults.decide()
        if decision.delay_seconds > 0:
            time.sleep(decision.delay_seconds)
        if decision.fail:
            return _error(shape, 500, "injected fault")
        return handler(app, raw)

    def _health(self, app: App, _raw: bytes) -> Response:
        status, body = app.health.report()
        return _json(status, body)

    def _metrics(self, app: App, _raw: bytes) -> Response:
        shape = app.release.shape
        families = [app.requests.family()]
        if shape is CLASSIC:
            # The alt shape names no release anywhere over HTTP.
            families.append(metrics.MetricFamily(
                "memstore_release_info", "gauge", "Release this process runs.",
                [({"version": app.release.version}, 1.0)],
            ))
        state = app.health.state()
        db_up = 0.0
        outbox: list[metrics.MetricFamily] = []
        if state.reachable:
            try:
                with app.pool.connection() as conn:
                    pending, failed = shape.store().outbox_counts(conn)
                db_up = 1.0
                outbox = [
                    metrics.MetricFamily(
                        shape.pending_metric, "gauge", "Outbox events waiting for the worker.",
                        [({}, float(pending))],
                    ),
                    metrics.MetricFamily(
                        shape.failed_metric, "gauge", "Dead-lettered outbox events.",
                        [({}, float(failed))],
                    ),
                ]
            except (DatabaseUnavailable, psycopg.Error) as exc:
                # Missing gauges, not stale or zero ones: a scraper must not read "backlog 0".
                log("api.metrics_db_error", error=first_line(exc))
        families.append(
            metrics.MetricFamily("memstore_db_up", "gauge", "1 if the outbox query of this scrape worked.", [({}, db_up)])
        )
        families.extend(outbox)
        if state.schema_version is not None:
            families.append(
                metrics.MetricFamily(
                    "memstore_schema_version" if shape is CLASSIC else "memstore_schema_revision", "gauge",
                    "Schema version of the database.",
                    [({}, float(state.schema_version))],
                )
            )
        return 200, metrics.render(families), metrics.CONTENT_TYPE

    def _authorize(self, app: App, raw: bytes, form: bool = False) -> tuple[dict[str, Any] | None, Response | None]:
        tenant = payloads.tenant_for_key(app.api_keys, payloads.presented_key(self.headers))
        if tenant is None:
            return None, _json(401, {"error": "missing or invalid API key"})
        try:
            data = payloads.decode_form(raw) if form else payloads.decode_json_object(raw)
        except payloads.BadRequest as exc:
            return None, _json(400, {"error": str(exc)})
        claimed = data.get("tenant")
        if isinstance(claimed, str) and claimed != tenant:
            return None, _json(403, {"error": "API key does not grant access to this tenant"})
        return data, None

    def _parsed(self, app: App, raw: bytes, parse: Callable[[dict[str, Any]], Any], form: bool = False
                ) -> tuple[Any, Response | None]:
        """The authorized request parsed by ``parse``, or the answer refusing it (text for a form)."""
        data, denied = self._authorize(app, raw, form=form)
        if denied:
            return None, denied
        assert data is not None
        try:
            return parse(data), None
        except payloads.BadRequest as exc:
            return None, (400, f"{exc}\n", TEXT_TYPE) if form else _json(400, {"error": str(exc)})

    def _write(self, app: App, raw: bytes) -> Response:
        req, refused = self._parsed(app, raw, payloads.parse_write)
        if refused:
            return refused

        def run(conn: psycopg.Connection) -> Response:
            memory_id = store.write_memory(conn, req.tenant, req.scope, req.text)
            return _json(200, {"id": memory_id, "tenant": req.tenant, "scope": req.scope})

        return _db_call(run, app)

    def _note(self, app: App, raw: bytes) -> Response:
        if (self.headers.get("Content-Type") or "").split(";")[0].strip().lower() != FORM_TYPE:
            return 415, f"expected {FORM_TYPE}\n", TEXT_TYPE
        req, refused = self._parsed(app, raw, payloads.parse_write, form=True)
        if refused:
            return refused

        def run(conn: psycopg.Connection) -> Response:
            store.write_memory(conn, req.tenant, req.scope, req.text)
            return 200, "OK", TEXT_TYPE

        return _db_call(run, app)

    def _forget(self, app: App, raw: bytes) -> Response:
        req, refused = self._parsed(app, raw, payloads.parse_forget)
        if refused:
            return refused

        def run(conn: psycopg.Connection) -> Response:
            deleted = store.forget_scope(conn, req.tenant, req.scope)
            return _json(200, {"tenant": req.tenant, "scope": req.scope, "deleted": deleted})

        return _db_call(run, app)

    def _recall(self, app: App, raw: bytes) -> Response:
        req, refused = self._parsed(app, raw, payloads.parse_recall)
        if refused:
            return refused
        tokens = tokenize(req.query)

        def run(conn: psycopg.Connection) -> Response:
            hits = store.recall(conn, req.tenant, req.scope, tokens, req.limit)
            results = [{"id": h.id, "text": h.text, "score": h.score} for h in hits]
            return _json(200, {"query": req.query, "results": results} if app.release.echo_query else {"results": results})

        return _db_call(run, app)

    # --- the alt shape ----------------------------------------------------------------------
    def _alt_parsed(self, app: App, raw: bytes, parse: Callable[[dict[str, Any]], Any]) -> tuple[Any, Response | None]:
        """The authorized alt request parsed by ``parse``: the key only from X-Api-Key (401 with an
        Authorization header), the body (400), the scope's tenant prefix that of the key (403)."""
        shape = app.release.shape
        refused = payloads.refused_credentials(self.headers, shape)
        tenant = None if refused else payloads.tenant_for_key(app.api_keys, payloads.presented_key(self.headers, shape))
        if tenant is None:
            return None, _error(shape, 401, refused or "missing or invalid API key")
        try:
            req = parse(payloads.decode_json_object(raw))
        except payloads.BadRequest as exc:
            return None, _error(shape, 400, str(exc))
        if payloads.scope_tenant(req.scope) != tenant:
            return None, _error(shape, 403, "API key does not grant access to this scope")
        return req, None

    def _alt_write(self, app: App, raw: bytes) -> Response:
        req, refused = self._alt_parsed(app, raw, payloads.parse_alt_write)
        if refused:
            return refused

        def run(conn: psycopg.Connection) -> Response:
            key = store_alt.write_memory(conn, req.scope, req.content)
            return _json(201, {"data": {"memory": {"key": key, "scope": req.scope}}})

        return _db_call(run, app)

    def _alt_search(self, app: App, raw: bytes) -> Response:
        req, refused = self._alt_parsed(app, raw, payloads.parse_alt_search)
        if refused:
            return refused
        tokens = tokenize(req.q)

        def run(conn: psycopg.Connection) -> Response:
            hits = [{"memory": {"key": h.key, "content": h.content}, "score": h.score}
                    for h in store_alt.search(conn, req.scope, tokens, req.top_k)]
            # The query is always echoed, as many search APIs do.
            return _json(200, {"query": req.q, "data": {"hits": hits, "count": len(hits)}})

        return _db_call(run, app)

    def _alt_purge(self, app: App, raw: bytes) -> Response:
        req, refused = self._alt_parsed(app, raw, payloads.parse_alt_purge)
        if refused:
            return refused

        def run(conn: psycopg.Connection) -> Response:
            return _json(200, {"data": {"scope": req.scope, "purged": store_alt.purge_scope(conn, req.scope)}})

        return _db_call(run, app)


def _db_call(action: Callable[[psycopg.Connection], Response], app: App) -> Response:
    try:
        with app.pool.connection() as conn:
            return action(conn)
    except DatabaseUnavailable as exc:
        log("api.db_unavailable", error=str(exc))
        return _error(app.release.shape, 503, "database unavailable")
    except psycopg.Error as exc:
        log("api.db_error", error=first_line(exc), sqlstate=getattr(exc, "sqlstate", None))
        return _error(app.release.shape, 503, "database error")


class MemstoreHTTPServer(ThreadingHTTPServer):
    # Non-daemon request threads + block_on_close: server_close() waits for in-flight requests.
    daemon_threads = False
    block_on_close = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        super().__init__(address, Handler)


def run_api(settings: Settings, host: str, port: int) -> int:
    release = settings.release
    dsn = settings.require_database_url()
    if not settings.api_keys:
        raise ConfigError("MEMSTORE_API_KEYS is not set or empty: every /v1 request would be refused")

    state = probe_schema(dsn, "memstore-api", shape=release.shape)
    violation = startup_contract_violation(release, state)
    if violation:
        print(violation, file=sys.stderr, flush=True)
        return EXIT_CONTRACT_FAILURE
    if not state.reachable:
        log("api.db_unreachable_at_startup", error=state.error, database=mask_dsn(dsn))

    pool = ConnectionPool(dsn, application_name="memstore-api")
    app = App(
        release=release,
        api_keys=dict(settings.api_keys),
        pool=pool,
        faults=FaultInjector(release.fault),
        health=HealthProbe(pool, release),
        requests=metrics.StatusCounter(),
    )
    try:
        server = MemstoreHTTPServer((host, port), app)
    except OSError as exc:
        log("api.bind_failed", listen=f"{host}:{port}", error=str(exc))
        pool.close()
        return 1

    signals.install()  # idempotent; covers callers that did not come through __main__
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="serve")
    serving.start()
    log(
        "api.started",
        release=release.version,
        shape=release.shape.name,
        schema_supported=release.supported,
        schema_version=state.schema_version,
        listen=f"{host}:{server.server_address[1]}",
        database=mask_dsn(dsn),
        fault={"error_rate": release.fault.error_rate, "latency_ms": release.fault.latency_ms},
        pid=os.getpid(),
    )
    # The handlers only record the signal; shutdown happens here, outside any signal handler.
    while signals.stop_requested() is None:
        time.sleep(0.1)
    log("api.stopping", signal=signals.name(signals.stop_requested()))
    server.shutdown()  # stop accepting; returns once serve_forever has left its loop
    server.server_close()  # waits for in-flight request threads
    serving.join(timeout=5)
    pool.close()
    log("api.stopped")
    return 0
