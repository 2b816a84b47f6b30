"""Versioned SQL migrations: files migrations/NNNN_<name>.sql, recorded in schema_migrations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import psycopg

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
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


@lru_cache(maxsize=1)
def known_max() -> int:
    return len(discover())


def schema_version(conn: psycopg.Connection) -> int:
    """max(version) of schema_migrations; 0 for a database never migrated."""
    row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def applied_versions(conn: psycopg.Connection) -> set[int]:
    row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return set()
    return {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations")}


def _ensure_table(conn: psycopg.Connection) -> None:
    # Under the lock: two first-time migrators racing on CREATE TABLE IF NOT EXISTS can still
    # collide on the catalog.
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY,"
            " name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT clock_timestamp())"
        )


def migrate(conn: psycopg.Connection, target: int, available: list[Migration] | None = None) -> list[int]:
    """Apply pending migrations up to `target`, each in its own locked transaction.

    `conn` must be in autocommit mode. Never downgrades: a database already beyond `target`
    is left alone. Returns the versions applied by this call.
    """
    migrations = discover() if available is None else available
    if target < 0 or target > len(migrations):
        raise MigrationError(f"target schema version {target} is not within [0, {len(migrations)}]")
    _ensure_table(conn)
    applied: list[int] = []
    for migration in migrations[:target]:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
            # Re-read under the lock: a concurrent migrator may have applied it meanwhile.
            done = conn.execute(
                "SELECT 1 FROM schema_migrations WHERE version = %s", (migration.version,)
            ).fetchone()
            if done:
                continue
            # No parameters: psycopg sends the file as one simple query, so it may hold
            # several statements.
            conn.execute(migration.sql().encode("utf-8"))
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
        applied.append(migration.version)
    return applied
