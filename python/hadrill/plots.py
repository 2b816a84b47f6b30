"""Time-series plots as standalone SVG files (no plotting library needed on the controller).

One chart: one or more series over controller time, with vertical lines for markers, so an
operator sees the error rate or the backlog against ``rollback_started`` or ``worker_resumed``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
WIDTH, HEIGHT = 960, 360
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 40, 50


@dataclass
class Series:
    label: str
    points: Sequence[tuple[float, float]]  # (seconds since the chart's origin, value)
    unit: str = ""
    axis: str = "left"  # "right" for a second scale


@dataclass
class MarkerLine:
    label: str
    at: float  # seconds since the chart's origin


@dataclass
class Chart:
    title: str
    series: list[Series]
    markers: list[MarkerLine] = field(default_factory=list)
    x_label: str = "seconds since start"


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        return [low]
    step = (high - low) / count
    return [low + index * step for index in range(count + 1)]


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.2f}".rstrip("0").rstrip(".")


def render_svg(chart: Chart) -> str:
    xs = [x for series in chart.series for x, _ in series.points] + [marker.at for marker in chart.markers]
    x_low, x_high = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x_high <= x_low:
        x_high = x_low + 1.0
    scales: dict[str, tuple[float, float]] = {}
    for axis in ("left", "right"):
        values = [y for series in chart.series if series.axis == axis for _, y in series.points]
        if values:
            top = max(values)
            scales[axis] = (min(0.0, min(values)), top if top > 0 else 1.0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT - (50 if "right" in scales else 0), HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + (x - x_low) / (x_high - x_low) * plot_w

    def py(y: float, axis: str) -> float:
        low, high = scales[axis]
        return TOP + plot_h - (y - low) / ((high - low) or 1.0) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="18" text-anchor="middle" font-size="14">{html.escape(chart.title)}</text>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888"/>',
    ]
    for tick in _ticks(x_low, x_high):
        parts.append(f'<text x="{px(tick):.1f}" y="{TOP + plot_h + 15}" text-anchor="middle">{_fmt(tick)}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 10}" text-anchor="middle">{html.escape(chart.x_label)}</text>')
    for axis, (low, high) in scales.items():
        x_text, anchor = (LEFT - 5, "end") if axis == "left" else (LEFT + plot_w + 5, "start")
        for tick in _ticks(low, high, 4):
            parts.append(f'<text x="{x_text}" y="{py(tick, axis) + 4:.1f}" text-anchor="{anchor}">{_fmt(tick)}</text>')
    for index, marker in enumerate(chart.markers):
        x = px(marker.at)
        parts.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + plot_h}" stroke="#555" stroke-dasharray="4,3"/>')
        parts.append(f'<text x="{x + 3:.1f}" y="{TOP + 12 + (index % 4) * 12}" fill="#333">{html.escape(marker.label)}</text>')
    for index, series in enumerate(chart.series):
        color = PALETTE[index % len(PALETTE)]
        points = " ".join(f"{px(x):.1f},{py(y, series.axis):.1f}" for x, y in series.points)
        if points:
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{points}"/>')
        legend_y = TOP + plot_h + 32
        legend_x = LEFT + index * 220
        unit = f" ({series.unit})" if series.unit else ""
        side = ", right axis" if series.axis == "right" else ""
        parts.append(f'<rect x="{legend_x}" y="{legend_y - 8}" width="12" height="3" fill="{color}"/>')
        parts.append(f'<text x="{legend_x + 16}" y="{legend_y - 4}">{html.escape(series.label + unit + side)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_svg(path: Path, chart: Chart) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_svg(chart), encoding="utf-8")
    return path
