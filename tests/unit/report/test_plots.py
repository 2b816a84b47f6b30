import xml.etree.ElementTree as ElementTree

from hadrill.plots import Chart, MarkerLine, Series, render_svg, write_svg


def test_chart_is_valid_svg_with_series_and_markers(tmp_path):
    chart = Chart(
        title="error rate & p95",
        series=[Series("error rate", [(0, 0.0), (5, 40.0), (10, 0.0)], unit="%"),
                Series("p95", [(0, 12.0), (5, 30.0), (10, 11.0)], unit="ms", axis="right")],
        markers=[MarkerLine("rollback_started", 5.0), MarkerLine("readiness_green", 8.0)],
    )
    path = write_svg(tmp_path / "plots" / "rollback.svg", chart)
    root = ElementTree.fromstring(path.read_text())
    assert root.tag.endswith("svg")
    svg = render_svg(chart)
    assert svg.count("<polyline") == 2 and "rollback_started" in svg and "&amp;" in svg


def test_empty_chart_still_renders():
    assert "<svg" in render_svg(Chart(title="nothing", series=[]))
