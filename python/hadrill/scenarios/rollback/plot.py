"""plots/rollback.svg: windowed error rate and p95 latency over the drill, with its milestones."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hadrill.events import Marker
from hadrill.plots import Chart, MarkerLine, Series, write_svg
from hadrill.scenarios.rollback.analysis import RequestLog

MARKERS = (
    ("candidate_deployed", "candidate deployed"),
    ("abort_fired", "abort fired"),
    ("rollback_started", "rollback started"),
    ("previous_release_restored", "restored"),
    ("readiness_green", "readiness green"),
)
POINTS_PER_WINDOW = 4


def write_plot(
    path: Path, log: RequestLog, *, origin: float, end: float, window: float, markers: Sequence[Marker]
) -> Path:
    step = window / POINTS_PER_WINDOW
    series = log.trailing_series(origin, end, window, step)
    error_points = [(item.end - origin, 100.0 * item.error_rate) for item in series if item.error_rate is not None]
    p95_points = [(item.end - origin, item.p95_ms) for item in series if item.p95_ms is not None]
    chart = Chart(
        title=f"API rollback: error rate and p95 latency over a {window:g}s sliding window",
        series=[
            Series("error rate", error_points, unit="%"),
            Series("p95 latency", p95_points, unit="ms", axis="right"),
        ],
        markers=[MarkerLine(label, marker.mono - origin) for marker in markers for name, label in MARKERS
                 if marker.name == name],
        x_label="seconds since the traffic probe started",
    )
    return write_svg(path, chart)
