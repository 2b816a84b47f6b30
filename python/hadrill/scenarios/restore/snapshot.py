"""Schema version and tenant sample: read on the primary before the incident, again on the copy.

The snapshot runs in one read-only REPEATABLE READ transaction, so every query sees the same
moment. The tenant sample covers rows up to a cutoff (the server's clock minus
``cutoff_seconds``, and never later than a time target): rows written after it may legitimately
be missing from the copy, rows before it must all be there, unchanged. The same queries with
the same cutoff then run on the restored copy and the results must be equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from hadrill.clock import format_utc, parse_utc
from hadrill.db import connect, json_safe


class SampleQuery(BaseModel):
    name: str
    query: str


class Snapshot(BaseModel):
    taken_at: str
    schema_version: str | None
    cutoff: str
    tenants: list[str]
    # tenant -> query name -> result rows
    sample: dict[str, dict[str, list[dict[str, Any]]]]


class SnapshotError(RuntimeError):
    pass


def _schema_version(connection: Any, query: str) -> str | None:
    row = connection.execute(query).fetchone()
    if not row:
        return None
    value = next(iter(row.values()))
    return None if value is None else str(value)


def _sample(connection: Any, tenants: Sequence[str], queries: Sequence[SampleQuery], cutoff: datetime
            ) -> dict[str, dict[str, list[dict[str, Any]]]]:
    result: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for tenant in tenants:
        result[tenant] = {}
        for item in queries:
            try:
                rows = connection.execute(item.query, {"tenant": tenant, "cutoff": cutoff}).fetchall()
            except Exception as exc:
                raise SnapshotError(f"sample query {item.name!r} failed for tenant {tenant!r}: {exc}") from None
            result[tenant][item.name] = [json_safe(dict(row)) for row in rows]
    return result


def take(conninfo: str, *, schema_query: str, tenants: Sequence[str], queries: Sequence[SampleQuery],
         cutoff_seconds: float, target_time: str | None = None) -> Snapshot:
    with connect(conninfo, autocommit=False) as connection:
        connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        now = connection.execute("select clock_timestamp() as now").fetchone()["now"]
        cutoff = now - timedelta(seconds=cutoff_seconds)
        if target_time:
            cutoff = min(cutoff, parse_utc(target_time) - timedelta(seconds=cutoff_seconds))
        try:
            version = _schema_version(connection, schema_query)
        except Exception as exc:
            raise SnapshotError(f"schema version query failed on the primary: {exc}") from None
        sample = _sample(connection, tenants, queries, cutoff)
        connection.rollback()
    return Snapshot(taken_at=format_utc(now), schema_version=version, cutoff=format_utc(cutoff),
                    tenants=list(tenants), sample=sample)


def read_restored(conninfo: str, *, schema_query: str, queries: Sequence[SampleQuery], snapshot: Snapshot
                  ) -> tuple[str | None, dict[str, dict[str, list[dict[str, Any]]]]]:
    with connect(conninfo, autocommit=False) as connection:
        connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            version = _schema_version(connection, schema_query)
        except Exception as exc:
            raise SnapshotError(f"schema version query failed on the restored copy: {exc}") from None
        sample = _sample(connection, snapshot.tenants, queries, parse_utc(snapshot.cutoff))
        connection.rollback()
    return version, sample


def differences(expected: dict[str, list[dict[str, Any]]], observed: dict[str, list[dict[str, Any]]]
                ) -> list[str]:
    """Readable differences of one tenant's sample (empty when equal)."""
    found = []
    for name in sorted(set(expected) | set(observed)):
        before, after = expected.get(name), observed.get(name)
        if before != after:
            found.append(f"{name}: primary {before} vs restored {after}")
    return found


# A sample query may report how many rows it covered in a column of this name (the documented
# queries do: ``count(*) as rows``).
COUNT_COLUMN = "rows"


def compared_nothing(expected: dict[str, list[dict[str, Any]]], observed: dict[str, list[dict[str, Any]]]) -> str:
    """Why one tenant's sample compared nothing, or "" when it compared something.

    It compared nothing when, on both sides, every query returned no row or only rows whose
    ``rows`` column is 0: equal empty samples prove nothing about the restore.
    """
    def empty(result: list[dict[str, Any]] | None) -> bool:
        return not result or all(row.get(COUNT_COLUMN) == 0 for row in result)

    names = sorted(set(expected) | set(observed))
    if not names:
        return "no sample query"
    if all(empty(expected.get(name)) and empty(observed.get(name)) for name in names):
        return f"every sample query covered 0 rows on the primary and on the copy ({', '.join(names)})"
    return ""
