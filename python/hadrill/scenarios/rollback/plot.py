"""plots/rollback.svg: windowed error rate and p95 latency over the drill, with its milestones."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hadrill.events import Marker
from hadrill.plots import Chart, MarkerLine, Series, Span, Threshold, limit_text, write_svg
from hadrill.scenarios.rollback.analysis import RequestLog

MARKERS = (
    ("candidate_deployed", "candidate deployed"),
    ("abort_fired", "abort fired"),
    ("rollback_started", "rollback started"),
    ("previous_release_restored", "restored"),
    ("readiness_green", "readiness green"),
)
POINTS_PER_WINDOW = 4


# The windows of figures the plot illustrates: (start marker, end marker, legend text).
SPANS = (
    ("observation_started", "rollback_started", "observed: observation started to rollback started (the abort rule's watch)"),
    ("rollback_started", "readiness_green", "rollback: rollback started to readiness green"),
)


def write_plot(
    path: Path, log: RequestLog, *, origin: float, end: float, window: float, markers: Sequence[Marker],
    abort_error_rate: float | None = None, envelope_percent: float | None = None,
    thresholds: dict[str, float | None] | None = None,
) -> Path:
    """``abort_error_rate``: the abort rule's threshold (a fraction); ``envelope_percent``: the
    baseline envelope the error-rate recovery waits for; ``thresholds``: drill_thresholds."""
    step = window / POINTS_PER_WINDOW
    series = log.trailing_series(origin, end, window, step)
    error_points = [(item.end - origin, 100.0 * item.error_rate) for item in series if item.error_rate is not None]
    p95_points = [(item.end - origin, item.p95_ms) for item in series if item.p95_ms is not None]
    first: dict[str, Marker] = {}
    for marker in markers:
        first.setdefault(marker.name, marker)
    limits = thresholds or {}
    spans = []
    for start, stop, label in SPANS:
        if start in first and stop in first:
            if start == "rollback_started":
                label += limit_text(limits.get("rollback_seconds"))
            spans.append(Span(label, first[start].mono - origin, first[stop].mono - origin))
    lines = []
    if abort_error_rate is not None:
        lines.append(Threshold(f"abort rule: error rate of a {window:g}s window above {100.0 * abort_error_rate:g} %",
                               100.0 * abort_error_rate))
    if envelope_percent is not None:
        lines.append(Threshold(f"baseline envelope: recovered at or below {envelope_percent:g} %", envelope_percent))
    chart = Chart(
        title=f"API rollback: error rate and p95 latency over a {window:g}s sliding window",
        series=[
            Series("error rate", error_points, unit="%"),
            Series("p95 latency", p95_points, unit="ms", axis="right"),
        ],
        markers=[MarkerLine(label, marker.mono - origin) for marker in markers for name, label in MARKERS
                 if marker.name == name],
        x_label="seconds since the traffic probe started",
        thresholds=lines,
        spans=spans,
    )
    return write_svg(path, chart)
