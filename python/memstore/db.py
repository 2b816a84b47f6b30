"""Connections: a small thread-safe pool for the API and a plain connect for the rest.

psycopg_pool is deliberately not used (the target service stays on stdlib + psycopg).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import conninfo as _conninfo
from psycopg.pq import TransactionStatus

DEFAULT_CONNECT_TIMEOUT = 2


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached (or the pool is exhausted): callers answer 503."""


def connect(
    dsn: str,
    *,
    application_name: str,
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
    statement_timeout_ms: int | None = None,
) -> psycopg.Connection:
    """Open an autocommit connection; transactions are explicit (`with conn.transaction()`)."""
    params = _conninfo.conninfo_to_dict(dsn)
    extra: dict[str, object] = {"connect_timeout": connect_timeout}
    # Named in pg_stat_activity so drills can tell API, worker and gate sessions apart, but an
    # operator's own application_name wins.
    if "application_name" not in params:
        extra["application_name"] = application_name
    conn = psycopg.connect(dsn, autocommit=True, **extra)  # type: ignore[arg-type]
    if statement_timeout_ms is not None:
        try:
            # Bounds every query so a stuck database turns into an error, not a hung request.
            conn.execute("SELECT set_config('statement_timeout', %s, false)", (str(statement_timeout_ms),))
        except BaseException:
            _close_quietly(conn)
            raise
    return conn


class ConnectionPool:
    """At most `max_size` connections; idle ones are reused and probed before reuse."""

    def __init__(
        self,
        dsn: str,
        *,
        application_name: str,
        max_size: int = 8,
        connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
        acquire_timeout: float = 2.0,
        statement_timeout_ms: int = 5000,
        probe_after: float = 1.0,
    ) -> None:
        self._dsn = dsn
        self._application_name = application_name
        self._connect_timeout = connect_timeout
        self._acquire_timeout = acquire_timeout
        self._statement_timeout_ms = statement_timeout_ms
        self._probe_after = probe_after
        self._slots = threading.BoundedSemaphore(max_size)
        self._lock = threading.Lock()
        self._idle: list[tuple[psycopg.Connection, float]] = []
        self._closed = False

    def _new(self) -> psycopg.Connection:
        return connect(
            self._dsn,
            application_name=self._application_name,
            connect_timeout=self._connect_timeout,
            statement_timeout_ms=self._statement_timeout_ms,
        )

    def _checkout(self) -> psycopg.Connection:
        while True:
            with self._lock:
                if not self._idle:
                    break
                conn, idle_since = self._idle.pop()
            if conn.closed or conn.broken:
                continue
            if time.monotonic() - idle_since < self._probe_after:
                return conn
            # After a database restart an idle connection looks fine until used; probing here
            # makes the first request after the restart succeed instead of failing.
            try:
                conn.execute("SELECT 1")
                return conn
            except psycopg.Error:
                _close_quietly(conn)
        return self._new()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        if self._closed:
            raise DatabaseUnavailable("connection pool is closed")
        if not self._slots.acquire(timeout=self._acquire_timeout):
            raise DatabaseUnavailable("all database connections are busy")
        try:
            try:
                conn = self._checkout()
            except psycopg.OperationalError as exc:
                raise DatabaseUnavailable(f"cannot connect to the database: {first_line(exc)}") from exc
            try:
                yield conn
            except BaseException:
                # The session state is unknown after an error; a fresh connection is cheaper
                # than reasoning about it.
                _close_quietly(conn)
                raise
            if conn.info.transaction_status == TransactionStatus.IDLE and not self._closed:
                with self._lock:
                    self._idle.append((conn, time.monotonic()))
            else:
                _close_quietly(conn)
        finally:
            self._slots.release()

    def close(self) -> None:
        self._closed = True
        with self._lock:
            idle, self._idle = self._idle, []
        for conn, _ in idle:
            _close_quietly(conn)


def _close_quietly(conn: psycopg.Connection) -> None:
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - closing a broken connection must never mask the real error
        pass


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
