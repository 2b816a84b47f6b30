"""Validation gates: machine-readable verdicts on the service's health and data consistency."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import psycopg

from memstore import migrations
from memstore.db import connect, first_line
from memstore.release import Release
from memstore.shapes import CLASSIC, Shape

OK, WARNING, ERROR = "ok", "warning", "error"


@dataclass
class Check:
    name: str
    status: str
    detail: str
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if data["value"] is None:
            del data["value"]
        return data


def verdict(checks: list[Check], strict_warnings: bool) -> str:
    failing = {ERROR, WARNING} if strict_warnings else {ERROR}
    return "fail" if any(c.status in failing for c in checks) else "pass"


def report(gate: str, checks: list[Check], strict_warnings: bool, release: Release, started: float) -> dict[str, Any]:
    return {
        "gate": gate,
        "result": verdict(checks, strict_warnings),
        "checks": [c.as_dict() for c in checks],
        "strict_warnings": strict_warnings,
        "release": release.version,
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
    }


def check_api(base_url: str, timeout: float, shape: Shape = CLASSIC) -> Check:
    url = base_url.rstrip("/") + shape.health_path
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - operator-given URL
            body = json.loads(resp.read().decode("utf-8") or "{}")
            status = resp.status
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read().decode("utf-8") or "{}")
        except ValueError:
            body = {}
        reason = body.get("reason") if isinstance(body, dict) else None
        return Check("api_health", ERROR, f"{url} answered {exc.code}: {reason or exc.reason}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Check("api_health", ERROR, f"{url} unreachable: {exc}")
    if status == 200 and shape.health_ok(body):
        if shape is CLASSIC:
            return Check("api_health", OK, f"{url} ok (release {body.get('release')}, schema {body.get('schema_version')})")
        return Check("api_health", OK, f"{url} ok (schema revision {body.get('schema_revision')})")
    return Check("api_health", ERROR, f"{url} answered {status}: {body}")


def _read_only_snapshot(conn: psycopg.Connection) -> None:
    # One consistent snapshot for all checks of a gate run: counts must agree with each other.
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def _with_db(dsn: str, checks: list[Check], body: Callable[[psycopg.Connection], None]) -> None:
    try:
        with connect(dsn, application_name="memstore-gate", connect_timeout=3, statement_timeout_ms=30000) as conn:
            checks.append(Check("db_reachable", OK, "connected"))
            with conn.transaction():
                _read_only_snapshot(conn)
                body(conn)
    except psycopg.OperationalError as exc:
        if not any(c.name == "db_reachable" for c in checks):
            checks.append(Check("db_reachable", ERROR, f"cannot connect: {first_line(exc)}"))
        else:
            checks.append(Check("db_query", ERROR, f"query failed: {first_line(exc)}"))
    except psycopg.Error as exc:
        checks.append(Check("db_query", ERROR, f"query failed: {first_line(exc)}"))


def _schema_check(conn: psycopg.Connection, release: Release) -> tuple[Check, int]:
    version = migrations.schema_version(conn, release.shape)
    if release.supports(version):
        return Check("schema_version", OK, f"{version} within [{release.schema_min}, {release.schema_max}]", version), version
    return (
        Check("schema_version", ERROR, f"{version} outside [{release.schema_min}, {release.schema_max}]", version),
        version,
    )


def health_gate(
    dsn: str,
    release: Release,
    *,
    base_url: str | None,
    max_pending: int,
    max_pending_age: float,
    strict_warnings: bool,
    http_timeout: float = 3.0,
) -> dict[str, Any]:
    started = time.monotonic()
    checks: list[Check] = []
    store = release.shape.store()
    if base_url:
        checks.append(check_api(base_url, http_timeout, release.shape))

    def db_checks(conn: psycopg.Connection) -> None:
        schema, _ = _schema_check(conn, release)
        checks.append(schema)
        pending, failed = store.outbox_counts(conn)
        checks.append(
            Check("outbox_failed", WARNING, f"{failed} dead-lettered event(s)", failed)
            if failed
            else Check("outbox_failed", OK, "no dead-lettered events", 0)
        )
        checks.append(
            Check("outbox_pending", WARNING, f"{pending} pending event(s) > {max_pending}", pending)
            if pending > max_pending
            else Check("outbox_pending", OK, f"{pending} pending event(s) <= {max_pending}", pending)
        )
        age = store.oldest_pending_age_seconds(conn)
        if age is None:
            checks.append(Check("outbox_oldest_pending_age", OK, "no pending events", 0))
        elif age > max_pending_age:
            checks.append(
                Check("outbox_oldest_pending_age", WARNING, f"oldest pending {age:.1f}s > {max_pending_age:g}s", round(age, 3))
            )
        else:
            checks.append(
                Check("outbox_oldest_pending_age", OK, f"oldest pending {age:.1f}s <= {max_pending_age:g}s", round(age, 3))
            )

    _with_db(dsn, checks, db_checks)
    return report("health", checks, strict_warnings, release, started)


def consistency_gate(
    dsn: str, release: Release, *, cross_tenant: bool, scope: str | None, strict_warnings: bool
) -> dict[str, Any]:
    started = time.monotonic()
    checks: list[Check] = []
    shape = release.shape

    def db_checks(conn: psycopg.Connection) -> None:
        schema_check, version = _schema_check(conn, release)
        if version < shape.index_schema:
            schema_check = Check("schema_version", ERROR,
                                 f"{version}: no derived index before schema {shape.index_schema}", version)
            checks.append(schema_check)
            return
        checks.append(schema_check)
        figures = shape.store().consistency_figures(conn, scope)
        checks.append(_zero("index_rows_have_memory", figures.orphan_index_rows, "index row(s) point at no memory"))
        checks.append(_zero("index_matches_memory", figures.mismatched_index_rows,
                            "index row(s) whose tenant/scope differ from their memory's"))
        if cross_tenant:
            # Named separately (with examples) because a cross-tenant row is a data leak, the
            # finding a drill report must call out, not just one more mismatch.
            rows = figures.cross_tenant_rows
            if rows:
                sample = [{"memory_id": r[0], "index_tenant": r[1], "memory_tenant": r[2]} for r in rows[:5]]
                checks.append(
                    Check(
                        "cross_tenant_index_rows",
                        ERROR,
                        f"{len(rows)} index row(s) point at another tenant's memory",
                        {"count": len(rows), "sample": sample},
                    )
                )
            else:
                checks.append(Check("cross_tenant_index_rows", OK, "no index row points at another tenant's memory", 0))
        checks.append(_zero("done_events_indexed", figures.unindexed_done_events,
                            "'done' event(s) without an index row"))
        checks.append(_zero("memories_indexed_or_queued", figures.lost_memories, "memory(ies) neither indexed nor queued"))
        dead = figures.dead_lettered_memories
        checks.append(
            Check("dead_lettered_memories", WARNING, f"{dead} memory(ies) unindexed because their event failed", dead)
            if dead
            else Check("dead_lettered_memories", OK, "none", 0)
        )
        checks.append(Check("per_tenant_counts", OK, f"{len(figures.per_tenant)} tenant(s)", figures.per_tenant))

    _with_db(dsn, checks, db_checks)
    result = report("consistency", checks, strict_warnings, release, started)
    result["cross_tenant"] = cross_tenant
    result["scope"] = scope
    return result


def _zero(name: str, n: int, what: str) -> Check:
    return Check(name, ERROR, f"{n} {what}", n) if n else Check(name, OK, f"0 {what}", 0)
