"""One row per drill, and which figures got worse than the previous comparable drill.

Only sealed bundles whose files match their manifest are read; every other one is named with the
reason it was skipped. A figure is compared only with the previous drill of the same environment
done the same way (a restore: the same method and target type, time or latest; a replay: the same
backlog source), and flagged as worse only when it grew beyond the tolerance: more than both
``percent`` of the previous value and ``seconds`` (``drill_history_tolerance`` as the newer drill
recorded it, or the command line's).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from hadrill import layout, manifest, schemas
from hadrill.clock import format_duration
from hadrill.config.common import HistoryTolerance
from hadrill.layout import DRILL_ID_PATTERN
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
    kinds: dict[str, str] = field(default_factory=dict)  # scenario -> how it was done ("pgbackrest, time target")
    tolerance: HistoryTolerance = field(default_factory=HistoryTolerance)
    worse: dict[str, str] = field(default_factory=dict)  # column -> "+12.0s since <drill>"
    thresholds: dict[str, float | None] = field(default_factory=dict)  # column -> the drill's threshold


@dataclass
class Skipped:
    drill_id: str
    reason: str
    problem: bool  # True: the bundle is damaged or unreadable; False: not sealed yet


def _kind(summary: Summary, scenario: str) -> str:
    details = summary.scenarios[scenario].details if scenario in summary.scenarios else {}
    if scenario == "restore":
        return f"{details.get('method', '?')}, {details.get('target', '?')} target"
    if scenario == "replay":
        return f"backlog from {details.get('backlog_source', '?')}"
    return ""


def _tolerance(bundle: Path) -> HistoryTolerance:
    try:
        drill = json.loads(layout.read_text(bundle, "drill.json"))
        return HistoryTolerance.model_validate(drill["config"]["settings"]["drill_history_tolerance"])
    except (OSError, ValueError, KeyError, TypeError, ValidationError):
        return HistoryTolerance()


def _read(bundle: Path) -> Summary:
    """The bundle's summary, once its files match its manifest; ValueError says why not."""
    if not manifest.is_sealed(bundle):
        raise LookupError("not sealed (still running, or stopped before sealing: `hadrill recover` or "
                          "`hadrill report --reseal` seals it)")
    data = json.loads(layout.read_text(bundle, "summary.json"))
    if not isinstance(data, dict):
        raise ValueError("summary.json is not a JSON object")
    schemas.check_readable("summary", data.get("schema_version"))
    checked = manifest.verify(bundle)
    if not checked.ok:
        problems = checked.problems()
        raise ValueError(f"does not match its manifest: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    return Summary.model_validate(data)


def load(root: Path, tolerance: HistoryTolerance | None = None) -> tuple[list[Row], list[Skipped]]:
    rows: list[Row] = []
    skipped: list[Skipped] = []
    for entry in layout.walk(root) if root.is_dir() else []:
        if "/" in entry.path or not DRILL_ID_PATTERN.match(entry.path):
            continue
        if entry.kind != "directory":
            skipped.append(Skipped(entry.path, f"a {entry.kind}, not a bundle directory", True))
            continue
        bundle = root / entry.path
        try:
            summary = _read(bundle)
        except LookupError as exc:
            skipped.append(Skipped(entry.path, str(exc).strip("'\""), False))
            continue
        except ValidationError as exc:
            skipped.append(Skipped(entry.path, f"summary.json does not match its schema ({exc.error_count()} error(s))", True))
            continue
        except (OSError, ValueError) as exc:
            skipped.append(Skipped(entry.path, str(exc), True))
            continue
        figures: dict[str, float | None] = {}
        thresholds: dict[str, float | None] = {}
        for scenario, name, column in TRACKED:
            figure = summary.figure(scenario, name)
            value = figure.value if figure is not None else None
            figures[column] = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
            thresholds[column] = figure.threshold if figure is not None else None
        kinds = {scenario: _kind(summary, scenario) for scenario in {item[0] for item in TRACKED}
                 if scenario in summary.scenarios and summary.scenarios[scenario].selected}
        rows.append(Row(summary.drill_id, summary.date, summary.started_at or "", summary.environment,
                        summary.result, figures, kinds, tolerance or _tolerance(bundle), thresholds=thresholds))
    rows.sort(key=lambda row: (row.started_at, row.drill_id))
    previous: dict[tuple[str, str, str], tuple[float, str]] = {}
    for row in rows:
        for scenario, _, column in TRACKED:
            value = row.figures[column]
            if value is None:
                continue
            key = (row.environment, column, row.kinds.get(scenario, ""))
            if key in previous:
                before, drill_id = previous[key]
                growth = value - before
                if growth > row.tolerance.seconds and growth > before * row.tolerance.percent / 100:
                    row.worse[column] = f"+{format_duration(growth)} since {drill_id}"
            previous[key] = (value, row.drill_id)
    return rows, skipped


def render_table(rows: list[Row]) -> str:
    headers = ["drill", "date", "environment", "result", "restore"] + [column for _, _, column in TRACKED]
    table = [headers]
    for row in rows:
        cells = [row.drill_id, row.date, row.environment, row.result, row.kinds.get("restore", "-")]
        for _, _, column in TRACKED:
            value = row.figures[column]
            text = "-" if value is None else format_duration(value)
            cells.append(text + (" ▲worse" if column in row.worse else ""))
        table.append(cells)
    widths = [max(len(line[index]) for line in table) for index in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    notes = [f"▲ {row.drill_id} {column}: {text} (tolerance {row.tolerance.percent:g}% and {row.tolerance.seconds:g}s)"
             for row in rows for column, text in row.worse.items()]
    return "\n".join(lines + notes)


# -- hadrill history --html ---------------------------------------------------------------------

@dataclass
class HistoryChart:
    environment: str
    column: str
    drills: int
    data_uri: str
    alt: str


def charts(rows: list[Row]) -> list[HistoryChart]:
    """Per environment, one chart per tracked figure it measured: its value at each verified drill
    over time, and its threshold (the newest drill's) as a line."""
    import base64

    from hadrill.metrics import unix_time
    from hadrill.plots import Chart, Series, Threshold, render_svg

    found = []
    for environment in sorted({row.environment for row in rows}):
        mine = [row for row in rows if row.environment == environment and unix_time(row.started_at) is not None]
        for _, name, column in TRACKED:
            points = [(float(unix_time(row.started_at) or 0.0), value) for row in mine if (value := row.figures[column]) is not None]
            if not points:
                continue
            threshold = next((row.thresholds.get(column) for row in reversed(mine) if row.thresholds.get(column) is not None),
                             None)
            title = f"{environment}: {column} ({name}) of each verified drill"
            chart = Chart(title=title, series=[Series(column, points, unit="s", dots=True)],
                          thresholds=[Threshold(f"threshold ≤ {format_duration(threshold)}", threshold)]
                          if threshold is not None else [],
                          x_label="drill start (UTC)", y_label=f"{column} (seconds)", x_dates=True)
            svg = render_svg(chart)
            found.append(HistoryChart(environment, column, len(points),
                                      "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii"),
                                      title))
    return found


def render_html(rows: list[Row], skipped: list[Skipped], root: Path) -> str:
    """A self-contained page (as report.html: inline CSS, plots as data URIs, no fetch): the table
    of verified drills, a chart per environment and figure, and the bundles left out, with why."""
    from hadrill.report import environment

    return environment(html=True).get_template("history.html.j2").render(
        rows=rows, skipped=skipped, charts=charts(rows), columns=[column for _, _, column in TRACKED], root=str(root))
