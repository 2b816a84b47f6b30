"""Versioned SQL migrations: files migrations/NNNN_<name>.sql, recorded in schema_migrations.

The alt shape (memstore.shapes) has its own files, migrations/alt/NNNN_<name>.sql, recorded in
schema_revisions.revision as text ('0002'). Every function takes the shape; classic by default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import psycopg
from psycopg import sql

from memstore.shapes import CLASSIC, Shape

MIGRATIONS_DIR = CLASSIC.migrations_dir
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

# One constant key: migrators of every release serialize on the same lock.
ADVISORY_LOCK_KEY = 0x6D656D73  # "mems"


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """All migration files, checked to be numbered 1..N without gaps or duplicates."""
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE.match(path.name)
        if not match:
            raise MigrationError(f"migration file name not NNNN_name.sql: {path.name}")
        found.append(Migration(int(match.group(1)), match.group(2), path))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"migrations must be numbered 1..N without gaps: expected {expected:04d}, "
                f"found {migration.path.name}"
            )
    return found


@lru_cache(maxsize=None)
def known_max(shape: Shape = CLASSIC) -> int:
    return len(discover(shape.migrations_dir))


def _history(shape: Shape) -> tuple[sql.Identifier, sql.Identifier]:
    return sql.Identifier(shape.history_table), sql.Identifier(shape.history_column)


def _has_history(conn: psycopg.Connection, shape: Shape) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (shape.history_table,)).fetchone()
    return bool(row and row[0])


def applied_versions(conn: psycopg.Connection, shape: Shape = CLASSIC) -> set[int]:
    if not _has_history(conn, shape):
        return set()
    table, column = _history(shape)
    return {int(r[0]) for r in conn.execute(sql.SQL("SELECT {} FROM {}").format(column, table))}


def schema_version(conn: psycopg.Connection, shape: Shape = CLASSIC) -> int:
    """The highest applied migration; 0 for a database never migrated."""
    return max(applied_versions(conn, shape), default=0)


def _ensure_table(conn: psycopg.Connection, shape: Shape) -> None:
    # Under the lock: two first-time migrators racing on CREATE TABLE IF NOT EXISTS can still
    # collide on the catalog.
    table, column = _history(shape)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
        conn.execute(sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            " {} {} PRIMARY KEY,"
            " name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT clock_timestamp())"
        ).format(table, column, sql.SQL("text" if shape.history_as_text else "integer")))


def migrate(conn: psycopg.Connection, target: int, available: list[Migration] | None = None,
            shape: Shape = CLASSIC) -> list[int]:
    """Apply pending migrations up to `target`, each in its own locked transaction.

    `conn` must be in autocommit mode. Never downgrades: a database already beyond `target`
    is left alone. Returns the versions applied by this call.
    """
    migrations = discover(shape.migrations_dir) if available is None else available
    if target < 0 or target > len(migrations):
        raise MigrationError(f"target schema version {target} is not within [0, {len(migrations)}]")
    _ensure_table(conn, shape)
    table, column = _history(shape)
    applied: list[int] = []
    for migration in migrations[:target]:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
            # Re-read under the lock: a concurrent migrator may have applied it meanwhile.
            done = conn.execute(
                sql.SQL("SELECT 1 FROM {} WHERE {} = %s").format(table, column),
                (shape.history_value(migration.version),),
            ).fetchone()
            if done:
                continue
            # No parameters: psycopg sends the file as one simple query, so it may hold
            # several statements.
            conn.execute(migration.sql().encode("utf-8"))
            conn.execute(
                sql.SQL("INSERT INTO {} ({}, name) VALUES (%s, %s)").format(table, column),
                (shape.history_value(migration.version), migration.name),
            )
        applied.append(migration.version)
    return applied
