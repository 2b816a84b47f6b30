"""Drill ids: ha_drill_<YYYYMMDD>_<environment>_<NN>, allocated without races."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from hadrill.layout import DIR_MODE, DRILL_ID_PATTERN


class DrillIdError(ValueError):
    pass


def format_drill_id(day: datetime, environment: str, sequence: int) -> str:
    return f"ha_drill_{day:%Y%m%d}_{environment}_{sequence:02d}"


def validate_drill_id(drill_id: str) -> str:
    if not DRILL_ID_PATTERN.match(drill_id):
        raise DrillIdError(
            f"drill_id: expected ha_drill_<YYYYMMDD>_<environment>_<NN> "
            f"(lowercase environment, digits), got {drill_id!r}"
        )
    return drill_id


def prefix(day: datetime, environment: str) -> str:
    return f"ha_drill_{day:%Y%m%d}_{environment}_"


def allocate(evidence_root: Path, environment: str, day: datetime, taken_elsewhere: Iterable[str] = ()) -> tuple[str, Path]:
    """Create the next free evidence directory for this day and environment.

    ``mkdir`` is the lock: two controllers starting at the same moment get different numbers.
    ``taken_elsewhere``: ids already used by drills whose bundles are not under this root (the drill
    journal on the target side knows those of other controllers and AWX jobs).
    """
    evidence_root.mkdir(parents=True, exist_ok=True)
    start = prefix(day, environment)
    names = [entry.name for entry in evidence_root.iterdir()] + list(taken_elsewhere)
    taken = [
        int(match.group("seq"))
        for name in names
        if (match := DRILL_ID_PATTERN.match(name)) and name.startswith(start)
    ]
    sequence = max(taken, default=0) + 1
    for _ in range(1000):
        drill_id = format_drill_id(day, environment, sequence)
        try:
            os.mkdir(evidence_root / drill_id, DIR_MODE)
        except FileExistsError:
            sequence += 1
            continue
        return drill_id, evidence_root / drill_id
    raise DrillIdError(f"no free drill id under {evidence_root} for {start}NN")


def claim(evidence_root: Path, drill_id: str) -> Path:
    """Use an id given by the operator; refuse one whose bundle already exists."""
    validate_drill_id(drill_id)
    evidence_root.mkdir(parents=True, exist_ok=True)
    path = evidence_root / drill_id
    try:
        os.mkdir(path, DIR_MODE)
    except FileExistsError:
        if any(path.iterdir()):
            raise DrillIdError(
                f"drill_id: {drill_id} already has an evidence bundle at {path}; choose another id"
            ) from None
    return path
