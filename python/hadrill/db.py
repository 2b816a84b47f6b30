"""PostgreSQL access from the controller (psycopg 3), for checks, snapshots and samplers."""

from __future__ import annotations

import datetime as dt
import decimal
import time
import uuid
from collections.abc import Mapping, Sequence
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


def query(
    conninfo: str,
    sql: str,
    params: Sequence[Any] | Mapping[str, Any] | None = None,
    *,
    wait_seconds: float = 0.0,
    read_only: bool = False,
) -> list[dict[str, Any]]:
    with connect(conninfo, wait_seconds=wait_seconds, autocommit=not read_only) as connection:
        if read_only:
            connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cursor = connection.execute(sql, params)  # type: ignore[arg-type]
        rows = cursor.fetchall() if cursor.description else []
        if read_only:
            connection.rollback()
        return [json_safe(row) for row in rows]
