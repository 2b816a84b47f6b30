"""The drill journal: what undoes each reversible action, written before the action.

A role opens an entry (``worker paused on worker-1; undo: start it``) before it acts and closes
it once undone. After a controller crash the open entries are exactly what ``hadrill recover``
must undo. Entries are appended to ``journal.jsonl`` in the bundle, one line each.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from hadrill import clock
from hadrill.events import append_line, read_lines

JOURNAL_FILE = "journal.jsonl"


class JournalEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    action: str
    scenario: str | None = None
    host: str | None = None
    undo: dict[str, Any]
    opened_at: str
    closed_at: str | None = None
    closed_by: str | None = None


def open_entry(
    evidence_dir: Path,
    action: str,
    undo: dict[str, Any],
    *,
    scenario: str | None = None,
    host: str | None = None,
    entry_id: str | None = None,
) -> str:
    entry_id = entry_id or uuid.uuid4().hex[:12]
    append_line(
        evidence_dir / JOURNAL_FILE,
        {"op": "open", "id": entry_id, "action": action, "scenario": scenario, "host": host,
         "undo": undo, "ts": clock.now().iso},
    )
    return entry_id


def close_entry(evidence_dir: Path, entry_id: str, *, by: str = "drill") -> None:
    append_line(evidence_dir / JOURNAL_FILE, {"op": "close", "id": entry_id, "by": by, "ts": clock.now().iso})


def entries(evidence_dir: Path) -> list[JournalEntry]:
    opened: dict[str, JournalEntry] = {}
    for line in read_lines(evidence_dir / JOURNAL_FILE):
        if line.get("op") == "open":
            opened[line["id"]] = JournalEntry(
                id=line["id"], action=line["action"], scenario=line.get("scenario"),
                host=line.get("host"), undo=line.get("undo", {}), opened_at=line["ts"],
            )
        elif line.get("op") == "close" and line.get("id") in opened:
            entry = opened[line["id"]]
            entry.closed_at, entry.closed_by = line.get("ts"), line.get("by")
    return list(opened.values())


def open_entries(evidence_dir: Path) -> list[JournalEntry]:
    return [entry for entry in entries(evidence_dir) if entry.closed_at is None]
