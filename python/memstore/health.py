"""Database health: the startup schema contract and the cached probe behind GET /health."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import psycopg

from memstore import migrations
from memstore.db import ConnectionPool, DatabaseUnavailable, connect, first_line
from memstore.release import Release
from memstore.shapes import CLASSIC, Shape

EXIT_CONTRACT_FAILURE = 78  # EX_CONFIG: supervisors treat it as "do not bother restarting fast"


@dataclass(frozen=True)
class DbState:
    reachable: bool
    schema_version: int | None
    error: str | None = None


def probe_schema(dsn: str, application_name: str, connect_timeout: int = 2, shape: Shape = CLASSIC) -> DbState:
    """One-off connection: is the database reachable, and at which schema version?"""
    try:
        with connect(dsn, application_name=application_name, connect_timeout=connect_timeout) as conn:
            return DbState(True, migrations.schema_version(conn, shape))
    except psycopg.Error as exc:
        return DbState(False, None, first_line(exc))


def startup_contract_violation(release: Release, state: DbState) -> str | None:
    """The STARTUP CONTRACT FAILURE line if a reachable database is outside the release's range.

    An unreachable database is not a violation: the process starts and reports unavailable
    until the database comes back.
    """
    if state.reachable and state.schema_version is not None and not release.supports(state.schema_version):
        return release.contract_failure(state.schema_version)
    return None


class HealthProbe:
    """Checks the database through the pool at most once per `ttl` seconds.

    Load balancers poll /health often; the cache keeps that from becoming database load while
    staying fresh enough (~0.5 s) for rollback timings.
    """

    def __init__(self, pool: ConnectionPool, release: Release, ttl: float = 0.5) -> None:
        self._pool = pool
        self._release = release
        self._ttl = ttl
        self._lock = threading.Lock()
        self._state: DbState | None = None
        self._checked_at = 0.0

    def state(self) -> DbState:
        with self._lock:
            now = time.monotonic()
            if self._state is None or now - self._checked_at > self._ttl:
                self._state = self._check()
                self._checked_at = time.monotonic()
            return self._state

    def _check(self) -> DbState:
        try:
            with self._pool.connection() as conn:
                return DbState(True, migrations.schema_version(conn, self._release.shape))
        except DatabaseUnavailable as exc:
            return DbState(False, None, str(exc))
        except psycopg.Error as exc:
            return DbState(False, None, first_line(exc))

    def report(self) -> tuple[int, dict[str, Any]]:
        """The /health answer: (status, body) in the release's shape."""
        status, body = self._classic_report()
        if self._release.shape is CLASSIC:
            return status, body
        # alt: {"ok": ..., "db": "up"|"down", "schema_revision": N[, "reason"]}; no release.
        alt: dict[str, Any] = {"ok": status == 200, "db": "up" if body["db"] == "ok" else "down",
                               "schema_revision": body["schema_version"]}
        if "reason" in body:
            alt["reason"] = body["reason"]
        return status, alt

    def _classic_report(self) -> tuple[int, dict[str, Any]]:
        state = self.state()
        body: dict[str, Any] = {
            "release": self._release.version,
            "schema_version": state.schema_version,
            "schema_supported": self._release.supported,
            "db": "ok" if state.reachable else "unreachable",
        }
        if not state.reachable:
            return 503, {"status": "unavailable", **body, "reason": f"database unreachable: {state.error}"}
        assert state.schema_version is not None
        if not self._release.supports(state.schema_version):
            reason = (
                f"schema version {state.schema_version} outside supported range "
                f"[{self._release.schema_min}, {self._release.schema_max}]"
            )
            return 503, {"status": "unavailable", **body, "reason": reason}
        return 200, {"status": "ok", **body}
