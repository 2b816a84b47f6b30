"""plots/replay.svg: the backlog and the failed count over time, with pause, resume and drain."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hadrill.plots import Chart, MarkerLine, Series, Span, Threshold, limit_text, write_svg

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
    thresholds = facts.ctx.thresholds
    # The windows of the figures: pause_seconds, real_outage_seconds and drain_seconds.
    spans = []
    if facts.paused is not None and facts.resumed is not None:
        spans.append(Span("pause: worker paused to worker resumed", facts.paused.mono - origin, facts.resumed.mono - origin))
    if facts.outage is not None and facts.outage.resumed_at is not None:
        spans.append(Span("real outage: processing stopped to processing resumed (measured)",
                          facts.outage.stopped_at - origin, facts.outage.resumed_at - origin))
    if facts.resumed is not None and facts.run:
        spans.append(Span("drain: worker resumed to drained" + limit_text(thresholds.get("drain_seconds")),
                          facts.resumed.mono - origin, facts.run[0].mono - origin))
    lines = []
    if facts.envelope is not None:
        lines.append(Threshold(f"steady-state envelope: backlog at or below {facts.envelope.upper:g}", facts.envelope.upper))
    ratio = thresholds.get("backlog_peak_ratio")
    if ratio is not None and facts.baseline is not None and facts.baseline.median > 0:
        lines.append(Threshold(f"peak limit: {ratio:g} x the baseline", ratio * facts.baseline.median))
    series = [Series("backlog", backlog), Series("failed events", failed, axis="right", step=True)]
    return Chart(title="Worker pause and replay: backlog", series=series, markers=markers, spans=spans,
                 thresholds=lines, x_label="seconds since the first backlog sample", y_label="backlog (items)",
                 y2_label="failed events", integer_y=True)


def write_plot(ctx: "BundleContext", facts: "ReplayFacts") -> None:
    write_svg(ctx.bundle.root / PLOT_FILE, chart(facts))
