"""plots/replay.svg: the backlog and the failed count over time, with pause, resume and drain."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hadrill.plots import Chart, MarkerLine, Series, write_svg

if TYPE_CHECKING:
    from hadrill.context import BundleContext
    from hadrill.scenarios.replay.figures import ReplayFacts

PLOT_FILE = "plots/replay.svg"


def chart(facts: "ReplayFacts") -> Chart:
    origin = facts.points[0].mono if facts.points else 0.0
    backlog = [(point.mono - origin, point.backlog) for point in facts.points if point.backlog is not None]
    failed = [(point.mono - origin, point.failed) for point in facts.points if point.failed is not None]
    markers = []
    stop = facts.stop_requested if facts.stop_requested is not facts.paused else None
    for label, marker in (("stop requested", stop), ("paused", facts.paused), ("cap reached", facts.cap),
                          ("resumed", facts.resumed)):
        if marker is not None:
            markers.append(MarkerLine(label, marker.mono - origin))
    if facts.outage is not None:
        # Where the samples place the real outage: no processing from ... to ...
        markers.append(MarkerLine("processing stopped", facts.outage.stopped_at - origin))
        if facts.outage.resumed_at is not None:
            markers.append(MarkerLine("processing resumed", facts.outage.resumed_at - origin))
    if facts.run:
        # Where the figures place the drain (first of the steady samples), not when the role noticed.
        markers.append(MarkerLine("drained", facts.run[0].mono - origin))
    if facts.envelope is not None and backlog:
        series_env = [(backlog[0][0], facts.envelope.upper), (backlog[-1][0], facts.envelope.upper)]
    else:
        series_env = []
    series = [Series("backlog", backlog), Series("failed events", failed, axis="right")]
    if series_env:
        series.append(Series("steady-state envelope", series_env))
    return Chart(title="Worker pause and replay: backlog", series=series, markers=markers,
                 x_label="seconds since the first backlog sample")


def write_plot(ctx: "BundleContext", facts: "ReplayFacts") -> None:
    write_svg(ctx.bundle.root / PLOT_FILE, chart(facts))
