"""hadrill.plots (matplotlib): what a chart shows, that its labels do not overlap, its ticks are
rounded, and that it is the same bytes every time (hadrill verify draws every plot again)."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from hadrill.plots import (
    DPI,
    WIDTH_IN,
    Chart,
    Lane,
    MarkerLine,
    Series,
    Span,
    Threshold,
    Timeline,
    _text_width_px,
    place_labels,
    render_svg,
    render_timeline_svg,
    write_svg,
)

REPO = Path(__file__).resolve().parents[3]


def rollback_chart() -> Chart:
    return Chart(
        title="error rate & p95",
        series=[Series("error rate", [(0, 0.0), (5, 40.0), (11.85, 0.0)], unit="%"),
                Series("p95", [(0, 12.0), (5, 30.0), (11.85, 11.0)], unit="ms", axis="right")],
        markers=[MarkerLine("rollback_started", 5.0), MarkerLine("readiness_green", 8.0)],
        thresholds=[Threshold("abort rule", 20.0)],
        spans=[Span("rollback window", 5.0, 8.0)],
    )


def tick_labels(svg: str) -> list[str]:
    """The texts of the SVG (matplotlib writes each drawn text as a comment before its glyphs)."""
    return re.findall(r"<!-- (.*?) -->", svg)


def test_a_chart_is_an_svg_with_each_series_marker_threshold_and_window(tmp_path):
    path = write_svg(tmp_path / "plots" / "rollback.svg", rollback_chart())
    svg = path.read_text()
    assert ElementTree.fromstring(svg).tag.endswith("svg")
    for element in ("series-0", "series-1", "marker-0", "marker-1", "threshold-0", "span-0"):
        assert f'id="{element}"' in svg, element
    texts = tick_labels(svg)
    for text in ("error rate &amp; p95", " rollback_started", " readiness_green", "abort rule", "rollback window",
                 "error rate (%)", "p95 (ms), right scale", "seconds since start"):
        assert text in texts, (text, texts)


def test_rendering_is_the_same_bytes_every_time_and_in_another_process():
    chart = rollback_chart()
    first = render_svg(chart)
    assert render_svg(chart) == first
    assert "<dc:date>" not in first and "Matplotlib v" not in first
    # Another interpreter (another hash seed, a fresh font cache lookup) draws the same bytes.
    code = ("import sys; sys.path.insert(0, 'python'); from tests.unit.report.test_plots import rollback_chart; "
            "from hadrill.plots import render_svg; sys.stdout.write(render_svg(rollback_chart()))")
    other = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True, timeout=120,
                           env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert other.stdout == first


def test_marker_labels_never_overlap_and_stay_inside_the_picture():
    right = WIDTH_IN * DPI - 4
    markers = [("incident", 600.0, 1.0), ("restore started", 604.0, 1.1), ("promoted", 610.0, 1.2),
               ("newest restored row #119", 598.0, 0.9), ("smoke passed", right - 5, 9.0)]
    placed = place_labels(markers, left_px=0.0, right_px=right)
    boxes = []
    for item in placed:
        x = next(x for label, x, _ in markers if label == item.label)
        width = _text_width_px(item.label, 7.5) + 4
        start, end = (x, x + width) if item.align == "left" else (x - width, x)
        assert 0 <= start and end <= right, item
        boxes.append((item.row, start, end))
    for index, (row, start, end) in enumerate(boxes):
        for other_row, other_start, other_end in boxes[index + 1:]:
            assert row != other_row or end <= other_start or other_end <= start, (boxes, placed)
    smoke = next(item for item in placed if item.label == "smoke passed")
    assert smoke.align == "right"  # it would have passed the right edge
    assert len({item.row for item in placed}) >= 3  # four labels within 12 px need rows


def nice_step(values: list[float]) -> bool:
    """Evenly spaced by 1, 2, 2.5 or 5 times a power of ten."""
    steps = {round(b - a, 9) for a, b in zip(values, values[1:])}
    if len(values) < 2 or len(steps) != 1:
        return False
    step = steps.pop()
    return round(step / 10 ** math.floor(math.log10(step)), 9) in {1.0, 2.0, 2.5, 5.0}


def test_ticks_are_rounded_and_the_axes_have_titles():
    svg = render_svg(Chart(title="t", series=[Series("backlog", [(0.75, 1.0), (6.3, 119.0), (11.85, 3.0)])],
                           x_label="seconds since the first sample", y_label="backlog (items)"))
    texts = tick_labels(svg)
    x_title, y_title = texts.index("seconds since the first sample"), texts.index("backlog (items)")
    x_ticks = [float(text) for text in texts[:x_title]]
    y_ticks = [float(text) for text in texts[x_title + 1:y_title]]
    assert nice_step(x_ticks) and nice_step(y_ticks), (x_ticks, y_ticks)
    assert not {"0.75", "6.3", "11.85"} & set(texts)


def test_a_threshold_far_above_the_data_is_named_not_drawn():
    svg = render_svg(Chart(title="t", series=[Series("backlog", [(0, 1.0), (5, 119.0)])],
                           thresholds=[Threshold("peak limit", 1000.0), Threshold("envelope", 5.0)]))
    assert 'id="threshold-1"' in svg and 'id="threshold-0"' not in svg
    assert "peak limit (at 1000, above the scale)" in tick_labels(svg)


def test_an_empty_chart_says_so():
    svg = render_svg(Chart(title="nothing", series=[Series("backlog", [])]))
    assert "no samples recorded" in tick_labels(svg)


def test_a_timeline_draws_every_lane_and_moment():
    timeline = Timeline("drill", [Lane("drill", [("drill", 0.0, 100.0)]),
                                  Lane("restore", [("Scenario started", 5.0, 20.0), ("Incident declared", 20.0, 40.0)])],
                        [MarkerLine("incident", 20.0), MarkerLine("promoted", 30.0)])
    svg = render_timeline_svg(timeline)
    assert render_timeline_svg(timeline) == svg
    for element in ("phase-drill-0", "phase-restore-0", "phase-restore-1", "marker-0", "marker-1"):
        assert f'id="{element}"' in svg, element
    assert {" incident", " promoted", "restore", "drill"} <= set(tick_labels(svg))
