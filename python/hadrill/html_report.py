"""report.html: the drill record people look at, one self-contained file.

The same content as report.md, from the same summary.json, plus what a reader takes in at a
glance: one timeline of the whole drill (every scenario's phases on one time axis, the moments
that matter marked), each scenario's plots with a caption, and tables of figures (threshold,
verdict, window), checks and gates (linked to their logs in the bundle).

Self-contained: inline CSS, plots as ``data:`` URIs, no script, and a Content-Security-Policy
that forbids every fetch but those data URIs, so opening it reaches nothing outside the file
(links to the bundle's logs are followed only when clicked). It prints to PDF as it is
(``hadrill report --pdf``). Rendered again by ``hadrill verify``: the same summary and plots give
the same bytes.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import hadrill
from hadrill import layout
from hadrill.clock import parse_utc_or_none
from hadrill.plots import PALETTE, Lane, MarkerLine, Timeline, render_timeline_svg
from hadrill.statements import SignoffStatement
from hadrill.summary import Figure, ScenarioSummary, Summary

TEMPLATE = "report.html.j2"

# Timeline entries (labels of the scenarios' timelines) drawn as moments on the drill timeline,
# with the short label shown there.
KEY_MOMENTS = {
    "Incident declared": "incident",
    "Promoted (out of recovery)": "promoted",
    "API smoke passed": "smoke passed",
    "Abort rule fired": "abort fired",
    "Rollback started": "rollback started",
    "Readiness fully green": "readiness green",
    "Worker paused (platform reports it stopped)": "worker paused",
    "Processing stopped (measured)": "processing stopped",
    "Worker resumed (start requested)": "worker resumed",
    "Processing resumed (measured)": "processing resumed",
}

# What each scenario's plot shows (the plot modules draw exactly this).
CAPTIONS = {
    "plots/restore.svg": "Canary rows the primary acknowledged, numbered in order, over time. Dashed lines: the "
                         "incident, the restore's steps and when the newest restored row was written. Shaded: the "
                         "RTO window (incident to smoke passed) and the rows lost (RPO: the newest restored row to "
                         "the incident).",
    "plots/rollback.svg": "Error rate and p95 latency of the traffic probe through the load balancer. Dashed lines: "
                          "the rollback's milestones. Shaded: the candidate's observation (the abort rule's window) "
                          "and the rollback (rollback started to readiness green). Dash-dotted: the abort rule's "
                          "error-rate threshold and the baseline envelope.",
    "plots/replay.svg": "Backlog and failed events sampled over time. Dashed lines: the worker's stop, pause and "
                        "resume and where the samples place the processing stop and resume. Shaded: the pause, the "
                        "measured outage and the drain. Dash-dotted: the steady-state envelope.",
}

SCENARIO_COLORS = {"restore": PALETTE[0], "rollback": PALETTE[1], "replay": PALETTE[2]}


@dataclass
class Plot:
    file: str
    caption: str
    data_uri: str
    alt: str


def drill_timeline(summary: Summary) -> Timeline | None:
    """Every selected scenario's reached timeline entries as phases on the drill's time axis."""
    origin = parse_utc_or_none(summary.started_at)
    if origin is None:
        return None
    lanes: list[Lane] = []
    markers: list[MarkerLine] = []
    finished = parse_utc_or_none(summary.finished_at)
    if finished is not None:
        lanes.append(Lane("drill", [("drill", 0.0, (finished - origin).total_seconds())], color="#7f8c8d"))
    for scenario in summary.scenarios.values():
        reached = sorted(((moment - origin).total_seconds(), entry.label) for entry in scenario.timeline
                         if (moment := parse_utc_or_none(entry.at)) is not None)
        if not scenario.selected or not reached:
            continue
        phases = [(label, start, end) for (start, label), (end, _) in zip(reached, reached[1:])]
        if not phases:
            phases = [(reached[0][1], reached[0][0], reached[0][0])]
        lanes.append(Lane(scenario.scenario, phases, color=SCENARIO_COLORS.get(scenario.scenario, PALETTE[3])))
        markers += [MarkerLine(KEY_MOMENTS[label], at) for at, label in reached if label in KEY_MOMENTS]
    title = f"Drill {summary.drill_id}: every scenario on one time axis"
    start = summary.started_at.replace("T", " ").rstrip("Z")[:19] if summary.started_at else "?"
    return Timeline(title, lanes, markers, x_label=f"seconds since the drill started ({start} UTC)")


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _svg_title(svg: str, default: str) -> str:
    start = svg.find("<dc:title>")
    end = svg.find("</dc:title>", start)
    if start < 0 or end < 0:
        return default
    return svg[start + len("<dc:title>"):end].replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


def scenario_plots(root: Path, scenario: ScenarioSummary) -> list[Plot]:
    plots = []
    for name in scenario.evidence:
        if not name.endswith(".svg"):
            continue
        try:
            svg = layout.read_text(root, name)
        except (OSError, UnicodeDecodeError):
            continue
        caption = CAPTIONS.get(name, "")
        window = scenario.details.get("plot", {}).get("window") if isinstance(scenario.details.get("plot"), dict) else None
        if window:
            caption += f" Each point: {window}."
        plots.append(Plot(name, caption.strip(), _data_uri(svg), _svg_title(svg, f"{scenario.title}: {name}")))
    return plots


def _value_json(figure: Figure) -> str:
    return json.dumps(figure.value, sort_keys=True)


def _threshold_text(figure: Figure) -> str:
    from hadrill.report import _threshold

    return "" if figure.threshold is None else f"{figure.comparison} {_threshold(figure)}"


def render_html(summary: Summary, root: Path, signoffs: list[SignoffStatement] | None = None) -> str:
    """report.html from summary.json and the bundle's plots. ``signoffs``: as for report.md (the
    sealed file never lists them; ``hadrill report --pdf`` renders them)."""
    timeline = drill_timeline(summary)
    scenarios = list(summary.scenarios.values())
    from hadrill.report import environment

    env = environment(html=True, threshold=_threshold_text, value_json=_value_json)
    return env.get_template(TEMPLATE).render(
        s=summary,
        scenarios=scenarios,
        plots={item.scenario: scenario_plots(root, item) for item in scenarios if item.selected},
        timeline_uri=_data_uri(render_timeline_svg(timeline)) if timeline else None,
        timeline_title=timeline.title if timeline else "",
        timeline_moments=sorted({marker.label for marker in timeline.markers}) if timeline else [],
        evidence_path=summary.seal.path if summary.seal else summary.drill_id,
        signoffs=signoffs,
        hadrill_version=summary.hadrill_version or hadrill.__version__,
    )
