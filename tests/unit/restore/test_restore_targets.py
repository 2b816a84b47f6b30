"""Recovery targets: notation, placement between canary writes, backup choice, archive progress."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from hadrill.scenarios.restore import targets
from hadrill.scenarios.restore.targets import Target, TargetError

T = datetime(2026, 2, 28, 10, 10, 0, tzinfo=timezone.utc)


def write(seq: int, at: datetime, ok: bool = True) -> dict:
    return {"seq": seq, "ok": ok, "written_at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if ok else None}


def test_postgres_notation_has_a_numeric_utc_offset():
    moment = datetime(2026, 2, 28, 11, 10, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    assert targets.postgres_time(moment) == "2026-02-28 10:10:00.123456+00"
    assert Target("time", T).postgres == "2026-02-28 10:10:00.000000+00"
    assert Target("time", T).iso == "2026-02-28T10:10:00.000000Z"
    assert Target("latest").describe() == "latest archived WAL"


def test_a_derived_target_lands_in_the_middle_of_a_canary_gap():
    samples = [write(seq, T + timedelta(seconds=0.1 * seq)) for seq in range(20)]
    nominal = T + timedelta(seconds=0.93)  # between row 9 (0.9 s) and row 10 (1.0 s)
    chosen = targets.between_canaries(nominal, samples)
    assert chosen == T + timedelta(seconds=0.95)
    assert abs(chosen - nominal) < timedelta(seconds=0.05)


def test_a_target_without_canary_on_both_sides_is_kept():
    samples = [write(0, T), write(1, T + timedelta(seconds=0.1)), write(2, T + timedelta(seconds=0.2), ok=False)]
    assert targets.between_canaries(T + timedelta(seconds=5), samples) == T + timedelta(seconds=5)
    assert targets.between_canaries(T - timedelta(seconds=5), samples) == T - timedelta(seconds=5)


def test_time_target_from_the_incident_or_explicit():
    samples = [write(seq, T + timedelta(seconds=0.1 * seq)) for seq in range(30)]
    derived = targets.time_target(T + timedelta(seconds=2.03), 1.0, None, samples)  # nominal 1.03 s
    assert derived.kind == "time" and derived.time == T + timedelta(seconds=1.05)
    explicit = targets.time_target(T + timedelta(seconds=2.0), 1.0, "2026-02-28T09:00:00+00:00", samples)
    assert explicit.time == datetime(2026, 2, 28, 9, 0, tzinfo=timezone.utc)


def test_archive_progress_compares_segments_of_the_same_timeline():
    assert targets.archived_through("000000010000000000000007", "000000010000000000000007")
    assert targets.archived_through("000000010000000000000008.partial", "000000010000000000000007")
    assert not targets.archived_through("000000010000000000000006", "000000010000000000000007")
    assert not targets.archived_through("00000002.history", "000000010000000000000007")
    assert not targets.archived_through(None, "000000010000000000000007")


def info(*stops: int, stanza: str = "main") -> str:
    backups = [{"label": f"set-{index}", "error": False, "timestamp": {"start": stop - 10, "stop": stop}}
               for index, stop in enumerate(stops)]
    return json.dumps([{"name": stanza, "backup": backups}])


def test_pgbackrest_set_is_the_newest_finished_before_the_target():
    epoch = int(T.timestamp())
    sets = targets.pgbackrest_sets(info(epoch - 3600, epoch - 60, epoch + 60), "main")
    assert [item.label for item in sets] == ["set-0", "set-1", "set-2"]
    assert targets.choose_pgbackrest_set(sets, Target("time", T)).label == "set-1"
    assert targets.choose_pgbackrest_set(sets, Target("latest")).label == "set-2"


def test_a_target_before_the_oldest_backup_is_refused_with_the_reason():
    epoch = int(T.timestamp())
    sets = targets.pgbackrest_sets(info(epoch + 60), "main")
    with pytest.raises(TargetError, match=r"restore target 2026-02-28T10:10:00.000000Z is before the oldest backup "
                                          r"\(set-0, finished 2026-02-28T10:11:00.000000Z\)"):
        targets.choose_pgbackrest_set(sets, Target("time", T))
    with pytest.raises(TargetError, match="no usable backup"):
        targets.choose_pgbackrest_set([], Target("latest"))
    with pytest.raises(TargetError, match="knows no stanza 'other'"):
        targets.pgbackrest_sets(info(epoch), "other")


def test_the_pin_is_the_newest_set_and_the_newest_wal_of_the_current_database():
    epoch = int(T.timestamp())
    document = json.loads(info(epoch - 3600, epoch - 60))
    # After a pg_upgrade the stanza has two databases; only the current one's archive counts.
    document[0]["db"] = [{"id": 1, "version": "14"}, {"id": 2, "version": "15"}]
    document[0]["archive"] = [
        {"database": {"id": 1, "repo-key": 1}, "id": "14-1", "min": "000000010000000000000001", "max": "000000010000000000000099"},
        {"database": {"id": 2, "repo-key": 1}, "id": "15-2", "min": "000000010000000000000001", "max": "000000010000000000000011"},
    ]
    pin = targets.pgbackrest_pin(json.dumps(document), "main")
    assert pin == targets.ArchivePin(backup="set-1", wal="000000010000000000000011", archive_id="15-2")
    assert pin.timeline == "00000001"
    assert pin.as_dict() == {"backup": "set-1", "wal": "000000010000000000000011", "archive_id": "15-2"}


def test_a_repository_without_archived_wal_or_backup_cannot_be_pinned():
    epoch = int(T.timestamp())
    document = json.loads(info(epoch - 60))
    document[0]["db"] = [{"id": 1, "version": "15"}]
    document[0]["archive"] = [{"database": {"id": 1, "repo-key": 1}, "id": "15-1", "min": None, "max": None}]
    with pytest.raises(TargetError, match="holds no archived WAL for stanza 'main'"):
        targets.pgbackrest_pin(json.dumps(document), "main")
    with pytest.raises(TargetError, match="no usable backup"):
        targets.pgbackrest_pin(json.dumps([{"name": "main", "backup": []}]), "main")


def test_base_backups_from_their_metadata():
    documents = [
        json.dumps({"label": "20260228T090000Z", "path": "/bb/20260228T090000Z", "finished_at": "2026-02-28T09:00:05+00:00"}),
        "not json",
        json.dumps({"label": "20260228T101500Z", "finished_at": "2026-02-28T10:15:05+00:00"}),
    ]
    backups = targets.base_backups(documents, "/bb")
    assert [item.path for item in backups] == ["/bb/20260228T090000Z", "/bb/20260228T101500Z"]
    assert targets.choose_base_backup(backups, Target("time", T)).label == "20260228T090000Z"
    assert targets.choose_base_backup(backups, Target("latest")).label == "20260228T101500Z"
    with pytest.raises(TargetError, match="before the oldest base backup"):
        targets.choose_base_backup(backups, Target("time", T - timedelta(hours=2)))
