"""The drill journal: what undoes each reversible action, written before the action.

A role opens an entry (``worker paused on worker-1; undo: start it``) before it acts and closes
it once undone. After a controller crash the open entries are exactly what recovery must undo.
Entries are appended to ``journal.jsonl`` in the bundle, one line each, and written to the
journal on the target side (``hadrill.target_journal``) when the drill keeps one there, as every
drill started by ``hadrill.drills.drill_start`` does: an entry is written there first, and an
action whose entry could not be written there is not done. A close that the target could not
take is recorded in ``journal.jsonl`` (``target: false``) and sent again when the bundle is sealed;
until then the next drill refuses to start and recovery undoes the action again (undoing twice is
harmless), so a lost close can delay a drill but never hide an open action.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from hadrill import clock
from hadrill.events import append_line, read_lines
from hadrill.target_journal import JournalUnavailable, TargetJournal, of_drill

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
    """Write the entry on the target side (when the drill keeps a journal there), then in the bundle.

    Raises JournalUnavailable when the target side cannot take it: the caller must not act.
    """
    entry_id = entry_id or uuid.uuid4().hex[:12]
    moment = clock.now().iso
    target = of_drill(evidence_dir)
    if target is not None:
        target.record_pending(evidence_dir)
        target.open(evidence_dir.name, entry_id, action, undo, scenario=scenario, host=host, opened_at=moment)
    append_line(
        evidence_dir / JOURNAL_FILE,
        {"op": "open", "id": entry_id, "action": action, "scenario": scenario, "host": host,
         "undo": undo, "ts": moment},
    )
    return entry_id


def close_entry(evidence_dir: Path | None, entry_id: str, *, by: str = "drill", target: TargetJournal | None = None,
                drill_id: str | None = None) -> str | None:
    """Close the entry in the bundle (when there is one) and on the target side.

    ``target`` and ``drill_id`` name the target journal explicitly (recovery reads them from the
    inventory); by default they are the drill's own. Never raises for the target side, since a close
    runs on undo paths that must go on: returns why the target did not take it, or None.
    """
    moment = clock.now().iso
    problem = None
    drill_id = drill_id or (evidence_dir.name if evidence_dir is not None else None)
    try:
        target = target or (of_drill(evidence_dir) if evidence_dir is not None else None)
        if target is not None and drill_id:
            target.close(drill_id, entry_id, by=by, closed_at=moment)
    except JournalUnavailable as exc:
        problem = str(exc)
    if evidence_dir is not None and evidence_dir.is_dir():
        line: dict[str, Any] = {"op": "close", "id": entry_id, "by": by, "ts": moment}
        if problem:
            line["target"] = False
        append_line(evidence_dir / JOURNAL_FILE, line)
    return problem


def unrecorded_closes(evidence_dir: Path) -> list[str]:
    """Entries closed in the bundle whose close the target side did not take (sent again at the seal)."""
    missed: set[str] = set()
    for line in read_lines(evidence_dir / JOURNAL_FILE):
        if line.get("op") == "close":
            if line.get("target") is False:
                missed.add(line["id"])
            else:
                missed.discard(line["id"])
        elif line.get("op") == "open":
            missed.discard(line["id"])
    return sorted(missed)


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
