"""Migration files and worker helpers that need no database."""

from __future__ import annotations

from pathlib import Path

import pytest

from memstore import migrations
from memstore.worker import PoisonEvent, WorkerOptions, memory_id_of, retry_delay


def test_shipped_migrations() -> None:
    found = migrations.discover()
    assert [m.version for m in found] == [1, 2, 3, 4]
    assert [m.name for m in found] == ["memories_and_outbox", "memory_index", "memory_source", "memory_index_token_count"]
    assert migrations.known_max() == 4
    assert all(m.sql().strip() for m in found)


def test_discover_rejects_gaps_and_bad_names(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("select 1;")
    (tmp_path / "0003_c.sql").write_text("select 1;")
    with pytest.raises(migrations.MigrationError, match="expected 0002"):
        migrations.discover(tmp_path)
    (tmp_path / "0003_c.sql").unlink()
    (tmp_path / "2_b.sql").write_text("select 1;")
    with pytest.raises(migrations.MigrationError, match="NNNN_name"):
        migrations.discover(tmp_path)


def test_memory_id_of_payload() -> None:
    assert memory_id_of({"memory_id": 7}) == 7
    assert memory_id_of({"memory_id": " 8 "}) == 8
    for bad in ({}, None, [], {"memory_id": None}, {"memory_id": True}, {"memory_id": "x"}, {"memory_id": 1.5}):
        with pytest.raises(PoisonEvent):
            memory_id_of(bad)


def test_retry_delay_doubles_and_caps() -> None:
    options = WorkerOptions(retry_backoff=0.5, max_backoff=3.0)
    assert [retry_delay(options, n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
