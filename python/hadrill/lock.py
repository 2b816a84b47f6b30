"""One drill at a time per environment, on this controller.

``<evidence root>/.locks/<environment>.json`` names the drill that holds the environment and
the ansible-playbook process running it. A lock whose process is gone is stale: it is taken
over only if that drill's journal has nothing left open; otherwise the operator is told to run
``hadrill recover`` first.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hadrill import clock, journal
from hadrill.processes import alive

LOCK_DIR = ".locks"


class DrillLocked(RuntimeError):
    pass


def lock_path(evidence_root: Path, environment: str) -> Path:
    return evidence_root / LOCK_DIR / f"{environment}.json"


def read_lock(evidence_root: Path, environment: str) -> dict[str, Any] | None:
    try:
        return json.loads(lock_path(evidence_root, environment).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _refuse_if_held(evidence_root: Path, environment: str, holder: dict[str, Any], drill_id: str | None) -> None:
    """Raise DrillLocked when the holder runs, or died leaving actions to undo; return if stale."""
    if holder.get("pid") and alive(int(holder["pid"])):
        raise DrillLocked(
            f"environment {environment!r} is busy: drill {holder.get('drill_id')} is running "
            f"(pid {holder.get('pid')} since {holder.get('since')}); one drill at a time"
        )
    previous = evidence_root / str(holder.get("drill_id", ""))
    still_open = journal.open_entries(previous) if holder.get("drill_id") and previous.is_dir() else []
    if still_open:
        actions = ", ".join(f"{entry.action}" + (f" on {entry.host}" if entry.host else "") for entry in still_open)
        raise DrillLocked(
            f"previous drill {holder.get('drill_id')} on {environment!r} stopped without undoing: {actions}. "
            f"Run `hadrill recover -i <inventory>` first"
        )


def check_available(evidence_root: Path, environment: str) -> None:
    """Refuse now (before anything is created) if acquire() would refuse."""
    holder = read_lock(evidence_root, environment)
    if holder:
        _refuse_if_held(evidence_root, environment, holder, None)


def acquire(evidence_root: Path, environment: str, drill_id: str, pid: int) -> None:
    path = lock_path(evidence_root, environment)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = json.dumps({"drill_id": drill_id, "pid": pid, "since": clock.now().iso})
    for _ in range(3):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder = read_lock(evidence_root, environment) or {}
            if holder.get("drill_id") == drill_id:
                return
            _refuse_if_held(evidence_root, environment, holder, drill_id)
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(record)
        return
    raise DrillLocked(f"could not take the drill lock {path}")


def release(evidence_root: Path, environment: str, drill_id: str) -> None:
    holder = read_lock(evidence_root, environment)
    if holder and holder.get("drill_id") == drill_id:
        lock_path(evidence_root, environment).unlink(missing_ok=True)


def running_holder(bundle: Path) -> dict[str, Any] | None:
    """The lock record when this bundle's drill holds its environment's lock and its process runs."""
    try:
        drill = json.loads((bundle / "drill.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    environment = drill.get("environment") if isinstance(drill, dict) else None
    if not environment:
        return None
    holder = read_lock(bundle.parent, str(environment))
    if holder and holder.get("drill_id") == bundle.name and holder.get("pid") and alive(int(holder["pid"])):
        return holder
    return None
