"""A drill's figures as Prometheus gauges: metrics.prom in the bundle, a textfile for node_exporter
(``hadrill report BUNDLE --prometheus FILE``), a Pushgateway push at the drill's end.

Every sample carries ``environment``; figures also ``scenario``. Names follow Prometheus' base
units: seconds (a figure in ms is divided by 1000), ratios (a percentage is divided by 100).

- ``hadrill_drill_<figure>`` for every numeric figure, e.g. ``hadrill_drill_rto_seconds``;
  a yes/no figure is 1 or 0; text figures (timestamps, "102/102") are not exported;
- ``hadrill_drill_result{result}`` (1 for the drill's result, 0 for the others), and
  ``hadrill_drill_scenario_outcome{scenario,outcome}`` per selected scenario;
- ``hadrill_drill_duration_seconds``, ``hadrill_drill_last_run_timestamp_seconds``, and
  ``hadrill_drill_last_success_timestamp_seconds`` only when the drill passed (so a textfile or a
  Pushgateway keeps the last success of an earlier drill when this one did not pass);
- ``hadrill_drill_info{drill_id,hadrill_version}`` 1.
"""

from __future__ import annotations

from hadrill.clock import parse_utc_or_none
from hadrill.prometheus import Family, render
from hadrill.summary import Figure, Summary

PREFIX = "hadrill_drill_"
JOB = "hadrill"
RESULTS = ("pass", "partial", "fail")
OUTCOMES = ("pass", "fail", "incomplete", "not_run")
LAST_SUCCESS = PREFIX + "last_success_timestamp_seconds"


def unix_time(text: str | None) -> float | None:
    """A summary's ISO timestamp as Unix time; None when there is none."""
    moment = parse_utc_or_none(text)
    return None if moment is None else moment.timestamp()


def figure_metric(figure: Figure) -> tuple[str, float, str] | None:
    """(metric name, value, HELP) of a figure in base units; None for a figure that is not a number."""
    value = figure.value
    if value is None or isinstance(value, str):
        return None
    name, number = figure.name, float(value)
    unit = figure.unit
    if isinstance(value, bool):
        return PREFIX + name, number, f"{figure.label} (1 yes, 0 no)"
    if unit == "s":
        name = name if name.endswith("_seconds") else name + "_seconds"
    elif unit == "ms":
        name, number = name.removesuffix("_ms") + "_seconds", round(number / 1000.0, 10)
    elif unit == "%":
        name, number = name.removesuffix("_percent") + "_ratio", round(number / 100.0, 10)
    elif unit == "ratio":
        name = name if name.endswith("_ratio") else name + "_ratio"
    return PREFIX + name, number, figure.label + (f" ({unit})" if unit and unit not in ("s", "ms", "%", "ratio") else "")


def families(summary: Summary) -> list[Family]:
    environment = {"environment": summary.environment}
    found: dict[str, Family] = {}

    def add(name: str, help_text: str, labels: dict[str, str], value: float) -> None:
        found.setdefault(name, Family(name, help_text)).samples.append(({**environment, **labels}, value))

    add(PREFIX + "info", "The drill these metrics come from", {"drill_id": summary.drill_id,
                                                                "hadrill_version": summary.hadrill_version}, 1.0)
    for result in RESULTS:
        add(PREFIX + "result", "The drill's result (1 for the result it had)", {"result": result},
            1.0 if summary.result == result else 0.0)
    if summary.duration_s is not None:
        add(PREFIX + "duration_seconds", "How long the drill ran", {}, float(summary.duration_s))
    finished = unix_time(summary.finished_at) or unix_time(summary.started_at)
    if finished is not None:
        add(PREFIX + "last_run_timestamp_seconds", "When the last drill ended (Unix time)", {}, finished)
        if summary.result == "pass":
            add(LAST_SUCCESS, "When the last passed drill ended (Unix time)", {}, finished)
    for scenario in summary.scenarios.values():
        if not scenario.selected:
            continue
        for outcome in OUTCOMES:
            add(PREFIX + "scenario_outcome", "Each selected scenario's outcome (1 for the outcome it had)",
                {"scenario": scenario.scenario, "outcome": outcome}, 1.0 if scenario.outcome == outcome else 0.0)
        for figure in scenario.figures:
            metric = figure_metric(figure)
            if metric is not None:
                name, value, help_text = metric
                add(name, help_text, {"scenario": scenario.scenario}, value)
    return list(found.values())


def grouping(summary: Summary) -> dict[str, str]:
    """The Pushgateway grouping key besides the job (one group per environment)."""
    return {"environment": summary.environment}


def render_metrics(summary: Summary) -> str:
    """metrics.prom: the drill's metrics in the text exposition format."""
    return render(families(summary))
