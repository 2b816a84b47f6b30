"""junit.xml: the drill as a test run, for CI systems and dashboards that read JUnit XML.

One test case per precondition, check, figure with a threshold and validation gate, plus each
selected scenario's outcome and the drill's result (so an incomplete scenario or a drill that
stopped on an error is never green). A check that compared nothing (``warn``) is ``skipped``, a
judged figure that could not be measured is an ``error``, anything that failed is a ``failure``.

The layout is the common JUnit XML format (the Ant/Jenkins one: testsuites > testsuite >
testcase with failure, error or skipped); tests/unit/report/junit.xsd checks it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass, field

from hadrill.clock import parse_utc_or_none
from hadrill.summary import Check, Figure, GateResult, Summary

_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MESSAGE_MAX = 1000


def _text(value: object) -> str:
    """A string XML 1.0 can hold (control characters dropped), bounded for messages."""
    text = _NOT_XML.sub("", str(value))
    return text if len(text) <= MESSAGE_MAX else text[:MESSAGE_MAX - 1] + "…"


@dataclass
class Case:
    name: str
    classname: str
    seconds: float = 0.0
    outcome: str = "pass"  # pass, failure, error, skipped
    message: str = ""
    detail: str = ""
    output: str = ""


@dataclass
class Suite:
    name: str
    timestamp: str | None = None
    seconds: float | None = None
    cases: list[Case] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for case in self.cases if case.outcome == outcome)

    @property
    def time(self) -> float:
        return self.seconds if self.seconds is not None else sum(case.seconds for case in self.cases)


def _seconds(value: float | None) -> str:
    return f"{max(0.0, value or 0.0):.3f}"


def _show(value: object) -> str:
    from hadrill.report import _show as show

    return show(value)


def check_case(check: Check, classname: str) -> Case:
    case = Case(f"check {check.name}: {check.label}", classname)
    observed = f"observed {_show(check.observed)}" if check.observed is not None else ""
    expected = f"expected {_show(check.expected)}" if check.expected is not None else ""
    facts = ", ".join(item for item in (observed, expected) if item)
    if check.status == "fail":
        case.outcome, case.message, case.detail = "failure", check.detail or facts or "failed", facts
    elif check.status == "warn":
        case.outcome, case.message = "skipped", f"compared nothing: {check.compared_nothing}"
    return case


def figure_case(figure: Figure, classname: str) -> Case:
    from hadrill.report import _figure, _threshold

    case = Case(f"figure {figure.name}: {figure.label}", classname)
    limit = f"threshold {figure.comparison} {_threshold(figure)}"
    if figure.verdict == "fail":
        case.outcome, case.message = "failure", f"measured {_figure(figure)}, {limit}"
    elif figure.verdict == "missing":
        case.outcome, case.message = "error", f"not measured ({limit})"
    case.output = f"measured {_figure(figure)}, {limit}" + (f"; window: {figure.window}" if figure.window else "")
    return case


def gate_case(gate: GateResult, classname: str) -> Case:
    case = Case(f"gate {gate.name}", classname, seconds=gate.duration_s or 0.0)
    if not gate.passed:
        how = "timed out" if gate.timed_out else f"exit code {gate.rc}"
        case.outcome, case.message = "failure", f"{gate.command} on {gate.host}: {how}"
    case.output = f"{gate.command} on {gate.host}: exit code {gate.rc}; output in the evidence bundle: {gate.output_file}"
    return case


def _span(entries: list[str | None]) -> tuple[str | None, float | None]:
    times = [(text, moment) for text in entries if (moment := parse_utc_or_none(text)) is not None]
    if not times:
        return None, None
    first, last = min(times, key=lambda item: item[1]), max(times, key=lambda item: item[1])
    return first[0], (last[1] - first[1]).total_seconds()


def _unique(cases: list[Case]) -> list[Case]:
    """Number repeated names (two replicas' startup contract checks): `name (2)`."""
    seen: Counter[str] = Counter()
    for case in cases:
        seen[case.name] += 1
        if seen[case.name] > 1:
            case.name = f"{case.name} ({seen[case.name]})"
    return cases


def suites(summary: Summary) -> list[Suite]:
    base = f"hadrill.{summary.environment}"
    found = []
    preconditions = Suite("preconditions", timestamp=summary.started_at)
    preconditions.cases = [check_case(item, f"{base}.preconditions") for item in summary.preconditions.checks]
    if summary.preconditions.outcome == "not_run":
        preconditions.cases.append(Case("preconditions verified", f"{base}.preconditions", outcome="skipped",
                                        message="preconditions were not verified"))
    found.append(preconditions)
    for scenario in summary.scenarios.values():
        if not scenario.selected:
            continue
        classname = f"{base}.{scenario.scenario}"
        started, seconds = _span([entry.at for entry in scenario.timeline])
        suite = Suite(scenario.scenario, timestamp=started, seconds=seconds)
        suite.cases += [check_case(item, classname) for item in scenario.checks]
        suite.cases += [figure_case(item, classname) for item in scenario.figures if item.threshold is not None]
        outcome = Case("scenario outcome", classname, seconds=seconds or 0.0)
        reasons = "; ".join(scenario.reasons)
        if scenario.outcome == "fail":
            outcome.outcome, outcome.message = "failure", reasons or "failed"
        elif scenario.outcome == "incomplete":
            outcome.outcome, outcome.message = "error", f"incomplete: {reasons}" if reasons else "incomplete"
        elif scenario.outcome == "not_run":
            outcome.outcome, outcome.message = "skipped", f"not run: {reasons}" if reasons else "not run"
        suite.cases.append(outcome)
        suite.cases = _unique(suite.cases)
        found.append(suite)
    gates = Suite("validation gates", timestamp=min((gate.started_at for gate in summary.gates if gate.started_at),
                                                      default=None))
    gates.cases = _unique([gate_case(gate, f"{base}.gates") for gate in summary.gates])
    found.append(gates)
    drill = Suite("drill", timestamp=summary.started_at, seconds=summary.duration_s)
    result = Case("drill result", f"{base}.drill", seconds=summary.duration_s or 0.0)
    reasons = "; ".join(summary.result_reasons)
    if summary.result == "fail":
        result.outcome, result.message = "failure", reasons or "failed"
    elif summary.result == "partial":
        result.outcome, result.message = "error", f"partial: {reasons}" if reasons else "partial"
    drill.cases.append(result)
    found.append(drill)
    return found


def _properties(summary: Summary) -> dict[str, str]:
    return {
        "drill_id": summary.drill_id,
        "environment": summary.environment,
        "environment_class": summary.environment_class,
        "result": summary.result,
        "run_status": summary.run_status,
        "hadrill_version": summary.hadrill_version,
        "evidence": summary.seal.path if summary.seal else summary.drill_id,
    }


def render_junit(summary: Summary) -> str:
    """junit.xml from summary.json (the same bytes for the same summary)."""
    found = suites(summary)
    totals = {outcome: sum(suite.count(outcome) for suite in found) for outcome in ("failure", "error")}
    root = ElementTree.Element("testsuites", {
        "name": _text(f"hadrill drill {summary.drill_id}"),
        "tests": str(sum(len(suite.cases) for suite in found)),
        "failures": str(totals["failure"]),
        "errors": str(totals["error"]),
        # no skipped total here: the common schema (Jenkins xUnit's junit-10.xsd) has it per suite only
        "time": _seconds(summary.duration_s),
    })
    for number, suite in enumerate(found):
        attributes = {
            "name": _text(suite.name),
            "tests": str(len(suite.cases)),
            "failures": str(suite.count("failure")),
            "errors": str(suite.count("error")),
            "skipped": str(suite.count("skipped")),
            "time": _seconds(suite.time),
            "id": str(number),
            "package": _text(f"hadrill.{summary.environment}"),
        }
        if suite.timestamp:
            attributes["timestamp"] = suite.timestamp
        element = ElementTree.SubElement(root, "testsuite", attributes)
        properties = ElementTree.SubElement(element, "properties")
        for name, value in _properties(summary).items():
            ElementTree.SubElement(properties, "property", {"name": name, "value": _text(value)})
        for case in suite.cases:
            item = ElementTree.SubElement(element, "testcase", {
                "name": _text(case.name), "classname": _text(case.classname), "time": _seconds(case.seconds)})
            if case.outcome != "pass":
                tag = case.outcome
                child = ElementTree.SubElement(item, tag, {"message": _text(case.message), "type": tag})
                if case.detail and case.outcome != "skipped":
                    child.text = _text(case.detail)
            if case.output:
                ElementTree.SubElement(item, "system-out").text = _text(case.output)
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"
