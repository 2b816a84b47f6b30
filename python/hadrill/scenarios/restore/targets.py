"""Recovery targets: when to restore to, in which notation, and from which backup.

Facts measured on PostgreSQL 15 / pgBackRest 2.45 (shared/notes/pitr-facts.md): targets are
written with a numeric UTC offset (``+00``; a zone name makes pgBackRest fail its backup set
selection, and a target without offset is read in the restored server's time zone).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from hadrill.clock import format_utc, parse_utc

SEGMENT = re.compile(r"^[0-9A-F]{24}")


class TargetError(ValueError):
    """The restore cannot reach the target (reported as the scenario's failure reason)."""


def postgres_time(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS.ffffff+00``, the notation both pgBackRest and PostgreSQL accept."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f") + "+00"


@dataclass(frozen=True)
class Target:
    kind: str  # "time" or "latest"
    time: datetime | None = None

    @property
    def iso(self) -> str | None:
        return format_utc(self.time) if self.time else None

    @property
    def postgres(self) -> str | None:
        return postgres_time(self.time) if self.time else None

    def describe(self) -> str:
        return self.iso or "latest archived WAL"


def _written(sample: Mapping[str, Any]) -> datetime | None:
    value = sample.get("written_at")
    return parse_utc(value) if sample.get("ok") and isinstance(value, str) else None


def between_canaries(nominal: datetime, samples: Iterable[Mapping[str, Any]]) -> datetime:
    """Move a nominal target into the middle of the gap between two canary writes.

    A canary's commit lands a moment after its ``written_at``; a target inside that moment
    would make "the last row committed before the target" undecidable. In the middle of the
    gap between the last write before the nominal target and the next one it is decidable,
    and it moves by less than half a canary interval. Without a write on both sides the
    nominal target is kept.
    """
    times = sorted(moment for moment in (_written(item) for item in samples) if moment is not None)
    before = [moment for moment in times if moment <= nominal]
    after = [moment for moment in times if moment > nominal]
    if not before or not after:
        return nominal
    return before[-1] + (after[0] - before[-1]) / 2


def time_target(incident: datetime, before_seconds: float, explicit: str | None,
                samples: Iterable[Mapping[str, Any]]) -> Target:
    if explicit:
        return Target("time", parse_utc(explicit))
    nominal = incident - timedelta(seconds=before_seconds)
    return Target("time", between_canaries(nominal, samples))


def segment_of(name: str | None) -> str | None:
    """The 24-hex-digit segment a WAL file name starts with (``.partial``/``.backup`` suffixes allowed)."""
    if not name:
        return None
    match = SEGMENT.match(name)
    return match.group(0) if match else None


def archived_through(last_archived: str | None, needed: str) -> bool:
    """True once the archiver's last archived file is at or beyond the needed segment.

    Segment names of one timeline sort like their positions; a later timeline sorts after.
    """
    segment = segment_of(last_archived)
    return segment is not None and segment >= needed


# -- pgBackRest -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupSet:
    label: str
    start: datetime
    stop: datetime


def pgbackrest_sets(info_json: str, stanza: str) -> list[BackupSet]:
    """The backup sets of a stanza from ``pgbackrest info --output=json``, oldest first."""
    try:
        stanzas = json.loads(info_json)
    except ValueError as exc:
        raise TargetError(f"pgbackrest info did not return JSON: {exc}") from None
    entry = next((item for item in stanzas if item.get("name") == stanza), None)
    if entry is None:
        raise TargetError(f"pgbackrest info knows no stanza {stanza!r}")
    sets = []
    for backup in entry.get("backup", []):
        if backup.get("error"):
            continue
        stamp = backup.get("timestamp", {})
        sets.append(BackupSet(
            label=str(backup.get("label")),
            start=datetime.fromtimestamp(int(stamp["start"]), timezone.utc),
            stop=datetime.fromtimestamp(int(stamp["stop"]), timezone.utc),
        ))
    return sorted(sets, key=lambda item: item.stop)


def choose_pgbackrest_set(sets: list[BackupSet], target: Target) -> BackupSet:
    """The set pgBackRest will restore from: the newest that ended before a time target."""
    return _newest_before(sets, target, lambda item: item.stop, "the pgBackRest repository holds no usable backup",
                          "backup")


@dataclass(frozen=True)
class ArchivePin:
    """What a pgBackRest repository held at the incident: its newest backup set and the newest WAL
    segment of the stanza's current database. A ``latest`` restore uses nothing newer, so WAL
    archived after the incident cannot count, wherever the repository is (a directory of the
    database host, a repository host reached over SSH, S3/Azure/GCS): both are read through
    pgBackRest itself (``info``), nothing is copied."""

    backup: str
    wal: str
    archive_id: str

    @property
    def timeline(self) -> str:
        return self.wal[:8]

    def as_dict(self) -> dict[str, str]:
        return {"backup": self.backup, "wal": self.wal, "archive_id": self.archive_id}


def pgbackrest_pin(info_json: str, stanza: str) -> ArchivePin:
    """The :class:`ArchivePin` of ``pgbackrest info --output=json`` for ``stanza``."""
    sets = pgbackrest_sets(info_json, stanza)
    if not sets:
        raise TargetError("the pgBackRest repository holds no usable backup")
    entry = next(item for item in json.loads(info_json) if item.get("name") == stanza)
    databases = [item for item in entry.get("db", []) if isinstance(item.get("id"), int)]
    if not databases:
        raise TargetError(f"pgbackrest info shows no database for stanza {stanza!r}")
    current = max(databases, key=lambda item: item["id"])
    archive = next((item for item in entry.get("archive", [])
                    if (item.get("database") or {}).get("id") == current["id"]), None)
    newest = segment_of((archive or {}).get("max"))
    if newest is None:
        raise TargetError(f"the pgBackRest repository holds no archived WAL for stanza {stanza!r}: "
                          "a latest restore has nothing to replay")
    return ArchivePin(backup=sets[-1].label, wal=newest, archive_id=str((archive or {}).get("id")))


_Backup = TypeVar("_Backup", "BackupSet", "BaseBackup")


def _newest_before(backups: list[_Backup], target: Target, finished: Callable[[_Backup], datetime],
                   none_found: str, kind: str) -> _Backup:
    """The newest backup (oldest first in ``backups``) that finished before a time target, or the
    newest for a latest target."""
    if not backups:
        raise TargetError(none_found)
    if target.time is None:
        return backups[-1]
    usable = [item for item in backups if finished(item) <= target.time]
    if not usable:
        oldest = backups[0]
        raise TargetError(
            f"restore target {target.iso} is before the oldest {kind} "
            f"({oldest.label}, finished {format_utc(finished(oldest))}): nothing can be restored to it"
        )
    return usable[-1]


# -- pg_basebackup ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BaseBackup:
    label: str
    path: str
    finished: datetime


def base_backups(documents: Iterable[str], root: str) -> list[BaseBackup]:
    """Base backups from their ``<label>.json`` metadata documents, oldest first."""
    found = []
    for text in documents:
        try:
            meta = json.loads(text)
            found.append(BaseBackup(
                label=str(meta["label"]),
                path=str(meta.get("path") or f"{root.rstrip('/')}/{meta['label']}"),
                finished=parse_utc(str(meta["finished_at"])),
            ))
        except (ValueError, KeyError, TypeError):
            continue  # not a base backup's metadata (or a torn one): never restored from
    return sorted(found, key=lambda item: item.finished)


def choose_base_backup(backups: list[BaseBackup], target: Target) -> BaseBackup:
    return _newest_before(backups, target, lambda item: item.finished, "no base backup with metadata found",
                          "base backup")