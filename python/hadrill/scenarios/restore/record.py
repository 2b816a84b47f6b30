"""Markers and checks of the restore scenario, written by its action plugins (redacted)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hadrill import clock
from hadrill.events import CheckEvent, append_line, make_marker, record_marker
from hadrill.runtime import load_redactor

SCENARIO = "restore"


def mark(evidence_dir: Path, name: str, data: dict[str, Any] | None = None,
         at: clock.Instant | None = None) -> dict[str, Any]:
    marker = make_marker(name, scenario=SCENARIO, data=load_redactor(evidence_dir).value(dict(data or {})), at=at)
    record_marker(evidence_dir, marker)
    return marker


def check(evidence_dir: Path, name: str, label: str, passed: bool, *, observed: Any = None,
          expected: Any = None, detail: str = "", compared_nothing: str = "") -> dict[str, Any]:
    """A check of the restore scenario; ``compared_nothing`` (the reason) makes a passed check ``warn``."""
    redactor = load_redactor(evidence_dir)
    moment = clock.now()
    event = CheckEvent(
        name=name, label=label, scenario=SCENARIO, passed=passed,
        observed=redactor.value(observed), expected=redactor.value(expected), detail=redactor.text(detail),
        compared_nothing=redactor.text(compared_nothing), ts=moment.iso, mono=moment.mono,
    )
    record = event.model_dump(mode="json")
    append_line(evidence_dir / "events.jsonl", record)
    return record
