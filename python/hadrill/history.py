"""One row per drill, and which figures got worse than the previous drill of the same environment."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from hadrill.clock import format_duration
from hadrill.summary import Summary

# (scenario, figure name, column); for all of them lower is better.
TRACKED = (
    ("restore", "rto_seconds", "RTO"),
    ("restore", "rpo_seconds", "RPO"),
    ("rollback", "rollback_seconds", "rollback"),
    ("replay", "drain_seconds", "drain"),
)


@dataclass
class Row:
    drill_id: str
    date: str
    started_at: str
    environment: str
    result: str
    figures: dict[str, float | None]
    worse: set[str] = field(default_factory=set)


def load_rows(root: Path) -> list[Row]:
    rows = []
    for path in sorted(root.glob("ha_drill_*/summary.json")):
        try:
            summary = Summary.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, ValidationError):
            continue
        figures: dict[str, float | None] = {}
        for scenario, name, column in TRACKED:
            figure = summary.figure(scenario, name)
            value = figure.value if figure is not None else None
            figures[column] = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        rows.append(Row(summary.drill_id, summary.date, summary.started_at or "", summary.environment,
                        summary.result, figures))
    rows.sort(key=lambda row: (row.started_at, row.drill_id))
    previous: dict[str, dict[str, float]] = {}
    for row in rows:
        seen = previous.setdefault(row.environment, {})
        for column, value in row.figures.items():
            if value is None:
                continue
            if column in seen and value > seen[column]:
                row.worse.add(column)
            seen[column] = value
    return rows


def render_table(rows: list[Row]) -> str:
    headers = ["drill", "date", "environment", "result"] + [column for _, _, column in TRACKED]
    table = [headers]
    for row in rows:
        cells = [row.drill_id, row.date, row.environment, row.result]
        for _, _, column in TRACKED:
            value = row.figures[column]
            text = "-" if value is None else format_duration(value)
            cells.append(text + (" ▲worse" if column in row.worse else ""))
        table.append(cells)
    widths = [max(len(line[index]) for line in table) for index in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
