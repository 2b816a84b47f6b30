"""Migrations against a real PostgreSQL: ordered, recorded, idempotent, bounded by the release."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from tests.support.memstore import memstore_env, run_memstore


def test_migrate_applies_all_then_nothing(db: str, migrate: Callable[..., dict[str, Any]]) -> None:
    first = migrate(db)
    assert first["applied"] == [1, 2, 3, 4]
    assert first["schema_version"] == 4
    second = migrate(db)
    assert second["applied"] == []
    assert second["schema_version"] == 4

    with psycopg.connect(db) as conn:
        rows = conn.execute(
            "SELECT version, name, applied_at IS NOT NULL FROM schema_migrations ORDER BY version"
        ).fetchall()
        columns = {r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'memory_index'")}
    assert [r[0] for r in rows] == [1, 2, 3, 4]
    assert rows[0][1] == "memories_and_outbox"
    assert all(r[2] for r in rows)
    assert {"memory_id", "tenant", "scope", "tokens", "indexed_at", "token_count"} <= columns


def test_migrate_stepwise_and_never_down(db: str, migrate: Callable[..., dict[str, Any]]) -> None:
    assert migrate(db, to=2)["applied"] == [1, 2]
    assert migrate(db, to=3) == {"applied": [3], "schema_version": 3, "target": 3, "release": "dev"}
    # Asking for an older version is a no-op, not a downgrade.
    assert migrate(db, to=1)["schema_version"] == 3


def test_release_default_target_and_status(db: str, releases: Callable[..., Path]) -> None:
    release = releases("v0.1.8", 2, 3)
    env = memstore_env(release, db)

    status = run_memstore(release, ["migrate", "--status"], env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout) == {
        "schema_version": 0, "known_max": 4, "pending": [1, 2, 3],
        "release": "v0.1.8", "schema_supported": [2, 3], "in_range": False,
    }

    applied = run_memstore(release, ["migrate"], env)
    assert applied.returncode == 0, applied.stderr
    assert json.loads(applied.stdout)["applied"] == [1, 2, 3]  # the release's schema_max, not 4

    status = run_memstore(release, ["migrate", "--status"], env)
    assert json.loads(status.stdout)["schema_version"] == 3
    assert json.loads(status.stdout)["in_range"] is True


def test_migrate_rejects_unknown_target(db: str, releases: Callable[..., Path]) -> None:
    release = releases("dev")
    result = run_memstore(release, ["migrate", "--to", "99"], memstore_env(release, db))
    assert result.returncode == 2
    assert "not within [0, 4]" in result.stderr


def test_migrate_reports_unreachable_database_without_password(releases: Callable[..., Path]) -> None:
    release = releases("dev")
    dsn = "postgresql://memstore:s3cret-pw@127.0.0.1:1/memstore"
    result = run_memstore(release, ["migrate"], memstore_env(release, dsn))
    assert result.returncode == 1
    assert "database error" in result.stderr
    assert "s3cret-pw" not in result.stderr + result.stdout
