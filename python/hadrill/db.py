"""PostgreSQL access from the controller (psycopg 3), for checks, snapshots and samplers."""

from __future__ import annotations

import datetime as dt
import decimal
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

CONNECT_ERRORS = (psycopg.OperationalError,)


def json_safe(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    if isinstance(value, Mapping):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def connect(conninfo: str, *, wait_seconds: float = 0.0, autocommit: bool = True) -> psycopg.Connection:
    """Connect, retrying while the server starts (it refuses connections until ready)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return psycopg.connect(conninfo, autocommit=autocommit, row_factory=dict_row)
        except CONNECT_ERRORS:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


# Command tags (the first word of the server's status message) of statements that change nothing.
READ_COMMANDS = frozenset({"SELECT", "SHOW", "EXPLAIN", "FETCH", "BEGIN", "COMMIT", "ROLLBACK", "SET", "RESET", "VALUES", "TABLE", "LISTEN"})
ROW_COMMANDS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "COPY"})


def _changes(status: str) -> bool:
    words = status.split()
    if not words or words[0].upper() in READ_COMMANDS:
        return False
    if words[0].upper() in ROW_COMMANDS:
        return words[-1].isdigit() and int(words[-1]) > 0
    return True


@dataclass(frozen=True)
class Outcome:
    rows: list[dict[str, Any]]
    # The server's status message of each statement, e.g. "SELECT 3", "INSERT 0 1", "DROP TABLE".
    statuses: list[str]

    @property
    def status(self) -> str:
        return "; ".join(self.statuses)

    @property
    def changed(self) -> bool:
        """Whether any statement changed the database, as the server reported it."""
        return any(_changes(status) for status in self.statuses)


def execute(
    conninfo: str,
    sql: str,
    params: Sequence[Any] | Mapping[str, Any] | None = None,
    *,
    wait_seconds: float = 0.0,
    read_only: bool = False,
) -> Outcome:
    """Run ``sql`` (one statement, or several without params); rows of the first one that returns rows."""
    with connect(conninfo, wait_seconds=wait_seconds, autocommit=not read_only) as connection:
        if read_only:
            connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cursor = connection.execute(sql, params)  # type: ignore[arg-type]
        rows: list[dict[str, Any]] | None = None
        statuses = []
        while True:
            if rows is None and cursor.description:
                rows = cursor.fetchall()
            statuses.append(cursor.statusmessage or "")
            if not cursor.nextset():
                break
        if read_only:
            connection.rollback()
        return Outcome(rows=[json_safe(row) for row in rows or []], statuses=statuses)


def query(
    conninfo: str,
    sql: str,
    params: Sequence[Any] | Mapping[str, Any] | None = None,
    *,
    wait_seconds: float = 0.0,
    read_only: bool = False,
) -> list[dict[str, Any]]:
    return execute(conninfo, sql, params, wait_seconds=wait_seconds, read_only=read_only).rows
