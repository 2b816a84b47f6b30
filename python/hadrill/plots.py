"""The drill's plots, drawn with matplotlib as SVG that is the same bytes for the same input.

One chart: series over controller time (a second scale on the right when units differ), dashed
vertical lines for markers, horizontal threshold lines, and shaded windows (the span a figure
counts). Marker labels sit in a band above the plot, stacked in rows so that no two overlap and
none leaves the picture; the legend sits below the x axis title. Ticks are rounded (1, 2, 2.5, 5
times a power of ten).

``hadrill verify`` draws every plot again and compares bytes, so the rendering is deterministic:
fixed fonts (matplotlib's own DejaVu Sans, text drawn as paths), fixed size and DPI, a fixed
``svg.hashsalt`` for element ids, and no date or creator metadata. The settings live in
``RC`` and are applied per drawing (``matplotlib.rc_context``), never globally.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#17becf")
MARKER_COLOR = "#555555"
THRESHOLD_COLORS = ("#c0392b", "#8e44ad", "#d35400")
SPAN_COLORS = ("#f1c40f", "#3498db", "#2ecc71", "#e67e22")
WIDTH_IN, HEIGHT_IN, DPI = 9.6, 3.6, 100
LEFT_IN, RIGHT_IN, RIGHT_AXIS_IN = 0.85, 0.3, 0.75
TITLE_IN = 0.42  # the title's band
ROW_IN = 0.2  # one row of marker labels
X_AXIS_IN = 0.55  # tick labels and the x axis title
LEGEND_ROW_IN = 0.24
LABEL_PT = 7.5  # marker labels
LABEL_GAP_PX = 8  # the least space between two marker labels of one row
TICK_STEPS = [1, 2, 2.5, 5, 10]
LEGEND_COLUMNS = 3
COMPARISONS = {"<=": "≤", ">=": "≥", "==": "="}
OFF_SCALE = 2.0
DAY_SECONDS = 86400.0  # a threshold line more than this many times above the data is named, not drawn

# Everything that decides the bytes of the SVG (applied with matplotlib.rc_context per drawing).
RC: dict[str, Any] = {
    "svg.hashsalt": "hadrill",
    "svg.fonttype": "path",  # glyphs as paths: the picture does not depend on the viewer's fonts
    "svg.image_inline": True,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # shipped with matplotlib
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "axes.formatter.useoffset": False,
    "axes.formatter.limits": (-6, 9),
    "axes.spines.top": False,
    "axes.grid": True,
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.5,
    "path.simplify": False,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "savefig.bbox": "standard",
    "savefig.facecolor": "white",
    "text.usetex": False,
    "timezone": "UTC",
}
# No creation date (it would change every rendering) and no creator line (a matplotlib upgrade
# that draws the same picture must not change the file).
METADATA: dict[str, Any] = {"Date": None, "Creator": None}


@dataclass
class Series:
    label: str
    points: Sequence[tuple[float, float]]  # (seconds since the chart's origin, value)
    unit: str = ""
    axis: str = "left"  # "right" for a second scale
    step: bool = False  # a count that holds until the next sample (drawn as steps)
    dots: bool = False  # mark each point (few points far apart: one per drill)


@dataclass
class MarkerLine:
    label: str
    at: float  # seconds since the chart's origin


@dataclass
class Threshold:
    """A horizontal limit line: the threshold that judges a figure the chart illustrates."""

    label: str
    value: float
    axis: str = "left"


@dataclass
class Span:
    """A shaded stretch of time: the window a figure counts (``Figure.window``)."""

    label: str
    start: float
    end: float


@dataclass
class Chart:
    title: str
    series: list[Series]
    markers: list[MarkerLine] = field(default_factory=list)
    x_label: str = "seconds since start"
    thresholds: list[Threshold] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    y_label: str = ""  # default: the first left series' label and unit
    y2_label: str = ""  # default: the first right series' label and unit
    integer_y: bool = False  # counts: integer ticks
    x_dates: bool = False  # x values are Unix times, shown as UTC dates


@dataclass
class Lane:
    """One row of a timeline: named phases (start, end) and the moments that matter."""

    label: str
    phases: list[tuple[str, float, float]]
    color: str = PALETTE[0]


@dataclass
class Timeline:
    title: str
    lanes: list[Lane]
    markers: list[MarkerLine] = field(default_factory=list)
    x_label: str = "seconds since the drill started"


def limit_text(threshold: float | None, comparison: str = "<=", unit: str = "s") -> str:
    """`` (threshold <= 2m)`` for a legend entry; empty without a threshold."""
    if threshold is None:
        return ""
    from hadrill.clock import format_duration

    shown = format_duration(threshold) if unit == "s" else f"{threshold:g}{' ' + unit if unit else ''}"
    return f" (threshold {COMPARISONS.get(comparison, comparison)} {shown})"


def _text_width_px(text: str, size_pt: float) -> float:
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    with _rc():
        width, _, _ = TextToPath().get_text_width_height_descent(text, FontProperties(size=size_pt), ismath=False)
    return width * DPI / 72.0


def _rc() -> Any:
    import matplotlib

    settings: Any = RC  # rc_context's parameter is typed with every rc key; RC is a plain dict
    return matplotlib.rc_context(settings)


def _axis_label(series: Sequence[Series], axis: str, explicit: str) -> str:
    if explicit:
        return explicit
    first = next((item for item in series if item.axis == axis), None)
    if first is None:
        return ""
    return f"{first.label} ({first.unit})" if first.unit else first.label


def _limits(values: Sequence[float], pad: float = 0.0) -> tuple[float, float]:
    if not values:
        return 0.0, 1.0
    low, high = min(values), max(values)
    if high <= low:
        return low - 0.5, high + 0.5
    margin = (high - low) * pad
    return low - margin, high + margin


@dataclass
class _Placed:
    label: str
    at: float  # the marker's x in the chart's units
    row: int
    align: str  # "left": the label starts at the marker; "right": it ends there


def place_labels(markers: Sequence[tuple[str, float, float]], *, left_px: float, right_px: float,
                 size_pt: float = LABEL_PT) -> list[_Placed]:
    """Rows for marker labels so that none overlaps another or leaves [left_px, right_px].

    ``markers``: (label, x in pixels, x in the chart's units). A label starts at its marker, or
    ends there when it would pass the right edge; it goes to the first row where it keeps
    LABEL_GAP_PX from every other label."""
    rows: list[list[tuple[float, float]]] = []
    placed = []
    for label, x, at in sorted(markers, key=lambda item: (item[1], item[0])):
        width = _text_width_px(label, size_pt) + 4
        align = "left" if x + width <= right_px else "right"
        start, end = (x, x + width) if align == "left" else (max(left_px, x - width), x)
        for index, row in enumerate(rows):
            if all(end + LABEL_GAP_PX <= other_start or start >= other_end + LABEL_GAP_PX for other_start, other_end in row):
                row.append((start, end))
                placed.append(_Placed(label, at, index, align))
                break
        else:
            rows.append([(start, end)])
            placed.append(_Placed(label, at, len(rows) - 1, align))
    return placed


def _figure(height_in: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_IN, height_in), dpi=DPI)


def _svg(figure: Any, title: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={**METADATA, "Title": title})
    return buffer.getvalue()


def _title(figure: Any, title: str) -> None:
    usable = WIDTH_IN * DPI - 20
    text = title
    if _text_width_px(title, RC["axes.titlesize"]) > usable:
        per_line = max(20, int(len(title) * usable / _text_width_px(title, RC["axes.titlesize"])))
        text = "\n".join(textwrap.wrap(title, per_line)[:2])
    figure.text(0.5, 1 - 0.08 / figure.get_figheight(), text, ha="center", va="top", fontsize=RC["axes.titlesize"])


def _band(figure: Any, placed: Sequence[_Placed], *, left: float, width: float, bottom: float, height: float,
          x_limits: tuple[float, float]) -> None:
    """The marker labels' band: each label in its row, a dotted stem down to the plot."""
    band = figure.add_axes((left, bottom, width, height))
    band.set_axis_off()
    band.set_xlim(*x_limits)
    rows = max((item.row for item in placed), default=0) + 1
    band.set_ylim(0, rows)
    for item in placed:
        x = item.at
        y = rows - item.row - 0.5
        band.plot([x, x], [0, y - 0.28], color=MARKER_COLOR, linewidth=0.6, linestyle=(0, (1, 2)))
        band.text(x, y, (" " + item.label) if item.align == "left" else (item.label + " "), ha=item.align, va="center",
                  fontsize=LABEL_PT, color="#222222")


def _x_layout(right_axis: bool) -> tuple[float, float]:
    """(left, width) of the plot area as fractions of the figure width."""
    left = LEFT_IN / WIDTH_IN
    right = (RIGHT_IN + (RIGHT_AXIS_IN if right_axis else 0.0)) / WIDTH_IN
    return left, 1 - left - right


def _marker_rows(markers: Sequence[MarkerLine], x_limits: tuple[float, float], left: float, width: float) -> list[_Placed]:
    low, high = x_limits
    left_px, width_px = left * WIDTH_IN * DPI, width * WIDTH_IN * DPI
    positions = [(marker.label, left_px + (marker.at - low) / (high - low) * width_px, marker.at) for marker in markers]
    return place_labels(positions, left_px=0.0, right_px=WIDTH_IN * DPI - 4)


def _rounded_ticks(axis: Any, integer: bool = False) -> None:
    from matplotlib.ticker import MaxNLocator, ScalarFormatter

    axis.set_major_locator(MaxNLocator(nbins=6, steps=TICK_STEPS, integer=integer, min_n_ticks=1 if integer else 3))
    formatter = ScalarFormatter(useOffset=False)
    formatter.set_scientific(False)
    axis.set_major_formatter(formatter)


def legend_columns(labels: Sequence[str]) -> int:
    """As many legend columns (at most LEGEND_COLUMNS) as fit the picture's width with the longest label."""
    if not labels:
        return 1
    size = RC["legend.fontsize"]
    entry = max(_text_width_px(label, size) for label in labels) + (2.2 + 0.8 + 1.6) * size * DPI / 72.0
    return max(1, min(LEGEND_COLUMNS, len(labels), int((WIDTH_IN * DPI - 20) // entry)))


def _legend(figure: Any, handles: list[Any], bottom_in: float, columns: int) -> None:
    if not handles:
        return
    figure.legend(handles=handles, loc="lower center", ncol=columns, frameon=False,
                  bbox_to_anchor=(0.5, bottom_in / figure.get_figheight()), handlelength=2.2, columnspacing=1.6)


def _legend_labels(chart: Chart) -> list[str]:
    labels = [span.label for span in chart.spans]
    for series in chart.series:
        labels.append(series.label + (f" ({series.unit})" if series.unit else "") + (", right scale" if series.axis == "right" else ""))
    for threshold in chart.thresholds:
        labels.append(threshold.label if _on_scale(threshold, chart.series) else
                      threshold.label + f" (at {threshold.value:g}, above the scale)")
    return labels


def _same(value: float) -> Any:
    return value


def _dates(value: float) -> Any:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(value, tz=timezone.utc)


def _on_scale(threshold: Threshold, series: Sequence[Series]) -> bool:
    """Whether a threshold line is drawn: not when it is so far above the data (more than
    OFF_SCALE times the highest value) that drawing it would flatten every series; the legend
    then names its value."""
    values = [y for item in series if item.axis == threshold.axis for _, y in item.points]
    top = max(values, default=0.0)
    return top <= 0 or threshold.value <= OFF_SCALE * top


def render_svg(chart: Chart) -> str:
    """The chart as an SVG document (the same bytes for the same chart)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    with _rc():
        right = any(item.axis == "right" for item in chart.series) or any(item.axis == "right" for item in chart.thresholds)
        xs = ([x for item in chart.series for x, _ in item.points] + [item.at for item in chart.markers]
              + [value for item in chart.spans for value in (item.start, item.end)])
        x_limits = _limits(xs, pad=0.02)
        if chart.x_dates and x_limits[1] - x_limits[0] < DAY_SECONDS:  # one drill, or several on one day
            middle = (x_limits[0] + x_limits[1]) / 2
            x_limits = (middle - DAY_SECONDS / 2, middle + DAY_SECONDS / 2)
        left, width = _x_layout(right)
        placed = _marker_rows(chart.markers, x_limits, left, width)
        rows = max((item.row for item in placed), default=-1) + 1
        labels = _legend_labels(chart)
        columns = legend_columns(labels)
        legend_rows = -(-len(labels) // columns)
        band_in = rows * ROW_IN + (0.08 if rows else 0.0)
        bottom_in = X_AXIS_IN + legend_rows * LEGEND_ROW_IN + 0.05
        height_in = HEIGHT_IN + band_in + legend_rows * LEGEND_ROW_IN
        figure = _figure(height_in)
        plot_bottom = bottom_in / height_in
        plot_height = (height_in - bottom_in - TITLE_IN - band_in) / height_in
        _title(figure, chart.title)
        axes = figure.add_axes((left, plot_bottom, width, plot_height))
        x = _dates if chart.x_dates else _same
        axes.set_xlim(x(x_limits[0]), x(x_limits[1]))
        axes.set_xlabel(chart.x_label)
        axes.set_ylabel(_axis_label(chart.series, "left", chart.y_label))
        if chart.x_dates:
            from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

            locator = AutoDateLocator(minticks=3, maxticks=8)
            axes.xaxis.set_major_locator(locator)
            axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        else:
            _rounded_ticks(axes.xaxis)
        _rounded_ticks(axes.yaxis, chart.integer_y)
        other = None
        if right:
            other = axes.twinx()
            other.set_ylabel(_axis_label(chart.series, "right", chart.y2_label))
            other.grid(False)
            _rounded_ticks(other.yaxis, chart.integer_y)
        handles: list[Any] = []
        for index, span in enumerate(chart.spans):
            # Every other window hatched, so that overlapping windows stay apart.
            color = SPAN_COLORS[index % len(SPAN_COLORS)]
            hatch = "////" if index % 2 else None
            axes.axvspan(x(span.start), x(span.end), facecolor=color, alpha=0.16 if hatch is None else 0.10, linewidth=0,
                         gid=f"span-{index}")
            if hatch:
                axes.axvspan(x(span.start), x(span.end), facecolor="none", edgecolor=color, hatch=hatch, linewidth=0,
                             alpha=0.6)
            handles.append(Patch(facecolor=color, alpha=0.35, hatch=hatch, edgecolor=color if hatch else "none",
                                 label=span.label))
        for index, marker in enumerate(chart.markers):
            axes.axvline(x(marker.at), color=MARKER_COLOR, linestyle=(0, (4, 3)), linewidth=0.9, gid=f"marker-{index}")
        drawn = [item for item in chart.thresholds if _on_scale(item, chart.series)]
        for scale in ("left", "right"):
            target = axes if scale == "left" else other
            if target is None:
                continue
            values = [y for item in chart.series if item.axis == scale for _, y in item.points]
            values += [item.value for item in drawn if item.axis == scale]
            low, high = (min(0.0, min(values)), max(values)) if values else (0.0, 1.0)
            target.set_ylim(low, high * 1.08 if high > 0 else 1.0)
        for index, series in enumerate(chart.series):
            target = other if series.axis == "right" and other is not None else axes
            color = PALETTE[index % len(PALETTE)]
            points = sorted(series.points)
            if points:
                xs_, ys_ = zip(*points)
                target.plot([x(item) for item in xs_], ys_, color=color, drawstyle="steps-post" if series.step else "default",
                            marker="o" if series.dots else None, markersize=4, gid=f"series-{index}")
            handles.append(Line2D([], [], color=color, label=labels[len(chart.spans) + index]))
        for index, threshold in enumerate(chart.thresholds):
            target = other if threshold.axis == "right" and other is not None else axes
            color = THRESHOLD_COLORS[index % len(THRESHOLD_COLORS)]
            label = labels[len(chart.spans) + len(chart.series) + index]
            if threshold in drawn:
                target.axhline(threshold.value, color=color, linestyle=(0, (6, 2, 1, 2)), linewidth=1.2,
                               gid=f"threshold-{index}")
            handles.append(Line2D([], [], color=color, linestyle=(0, (6, 2, 1, 2)), label=label))
        if not any(item.points for item in chart.series):
            axes.text(0.5, 0.5, "no samples recorded", transform=axes.transAxes, ha="center", va="center", color="#777777")
        if placed:
            _band(figure, placed, left=left, width=width, bottom=plot_bottom + plot_height, height=band_in / height_in,
                  x_limits=x_limits)
        _legend(figure, handles, 0.04, columns)
        return _svg(figure, chart.title)


def render_timeline_svg(timeline: Timeline) -> str:
    """Lanes of phases on one time axis, with the moments that matter as labelled lines."""
    with _rc():
        xs = [value for lane in timeline.lanes for _, start, end in lane.phases for value in (start, end)]
        xs += [marker.at for marker in timeline.markers]
        x_limits = _limits(xs, pad=0.01)
        left, width = _x_layout(False)
        left = 1.35 / WIDTH_IN  # room for the lane names
        width = 1 - left - RIGHT_IN / WIDTH_IN
        placed = _marker_rows(timeline.markers, x_limits, left, width)
        rows = max((item.row for item in placed), default=-1) + 1
        band_in = rows * ROW_IN + (0.08 if rows else 0.0)
        lanes_in = max(1, len(timeline.lanes)) * 0.42 + 0.2
        height_in = TITLE_IN + band_in + lanes_in + X_AXIS_IN
        figure = _figure(height_in)
        plot_bottom = X_AXIS_IN / height_in
        plot_height = lanes_in / height_in
        _title(figure, timeline.title)
        axes = figure.add_axes((left, plot_bottom, width, plot_height))
        axes.set_xlim(*x_limits)
        axes.set_xlabel(timeline.x_label)
        _rounded_ticks(axes.xaxis)
        axes.grid(True, axis="x")
        axes.grid(False, axis="y")
        count = len(timeline.lanes)
        axes.set_ylim(-0.6, count - 0.4 if count else 0.6)
        axes.set_yticks(range(count), [lane.label for lane in reversed(timeline.lanes)])
        axes.tick_params(axis="y", length=0)
        for spine in ("left", "right", "top"):
            axes.spines[spine].set_visible(False)
        for position, lane in enumerate(reversed(timeline.lanes)):
            for index, (_, start, end) in enumerate(lane.phases):
                axes.broken_barh([(start, max(end - start, 0.0))], (position - 0.3, 0.6), facecolors=lane.color,
                                 alpha=0.85 if index % 2 == 0 else 0.55, edgecolor="white", linewidth=0.8,
                                 gid=f"phase-{lane.label}-{index}")
        for index, marker in enumerate(timeline.markers):
            axes.axvline(marker.at, color=MARKER_COLOR, linestyle=(0, (4, 3)), linewidth=0.9, gid=f"marker-{index}")
        if not timeline.lanes:
            axes.text(0.5, 0.5, "no scenario ran", transform=axes.transAxes, ha="center", va="center", color="#777777")
        if placed:
            _band(figure, placed, left=left, width=width, bottom=plot_bottom + plot_height, height=band_in / height_in,
                  x_limits=x_limits)
        return _svg(figure, timeline.title)


def write_svg(path: Path, chart: Chart) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_svg(chart), encoding="utf-8")
    return path
