"""summary.json: every figure, threshold and verdict of a drill, in a versioned schema.

Schema changes (the rules are written out in collection/docs/results.md): bump SCHEMA_VERSION's
minor for additions (a new optional field, a new figure or check name), its major for anything a
reader of an older version would misread (a renamed or removed field, a changed meaning or unit).
hadrill reads a bundle whose version has its own major and a minor up to its own; a newer one is
refused (never rewritten down), as is another major.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

SCHEMA_VERSION = "1.2"  # 1.1: seal; 1.2: deliveries

Verdict = Literal["pass", "fail", "info", "missing"]
ScenarioOutcome = Literal["pass", "fail", "incomplete", "not_run"]
Overall = Literal["pass", "partial", "fail"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Figure(Model):
    """A measured number (or fact) with the threshold that judges it."""

    name: str
    label: str
    value: float | int | str | bool | None
    unit: str = ""
    threshold: float | None = None
    comparison: Literal["<=", ">=", "=="] = "<="
    verdict: Verdict = "info"
    source: str = ""
    # Which requests, samples or span of time the figure counts (for example "requests sent from
    # observation_started to rollback_started"): two figures about one moment may use different windows.
    window: str = ""

    @classmethod
    def judged(
        cls,
        name: str,
        label: str,
        value: float | None,
        *,
        unit: str = "s",
        threshold: float | None = None,
        comparison: Literal["<=", ">="] = "<=",
        source: str = "",
        window: str = "",
    ) -> "Figure":
        if value is None:
            verdict: Verdict = "missing"
        elif threshold is None:
            verdict = "info"
        elif comparison == "<=":
            verdict = "pass" if value <= threshold else "fail"
        else:
            verdict = "pass" if value >= threshold else "fail"
        return cls(
            name=name, label=label, value=value, unit=unit, threshold=threshold,
            comparison=comparison, verdict=verdict, source=source, window=window,
        )


CheckStatus = Literal["pass", "fail", "warn"]


class Check(Model):
    """A verified fact. ``warn``: it did not fail but compared nothing (``compared_nothing`` says
    why), so it proves nothing; its scenario is then incomplete, never passed."""

    name: str
    label: str
    passed: bool
    observed: Any = None
    expected: Any = None
    detail: str = ""
    compared_nothing: str = ""

    @property
    def status(self) -> CheckStatus:
        if not self.passed:
            return "fail"
        return "warn" if self.compared_nothing else "pass"


class TimelineEntry(Model):
    label: str
    at: str | None


class ScenarioSummary(Model):
    scenario: str
    title: str
    goal: str
    selected: bool
    outcome: ScenarioOutcome
    reasons: list[str] = []
    execution: list[str] = []
    timeline: list[TimelineEntry] = []
    figures: list[Figure] = []
    checks: list[Check] = []
    details: dict[str, Any] = {}
    evidence: list[str] = []


class GateResult(Model):
    name: str
    command: str
    host: str
    rc: int | None
    passed: bool
    duration_s: float | None
    started_at: str | None
    output_file: str | None
    scenario: str | None = None
    timed_out: bool = False


class Preconditions(Model):
    outcome: Literal["pass", "fail", "not_run"]
    checks: list[Check] = []


class IncidentNotes(Model):
    what_failed: list[str] = []
    blast_radius: str = ""
    mitigation: str = ""
    follow_ups: list[dict[str, Any]] = []


class Signing(Model):
    principal: str
    key_fingerprint: str


class SealInfo(Model):
    """How the bundle was sealed (from its last ``evidence_sealed`` marker)."""

    number: int
    sealed_at: str
    sealed_by: str
    path: str
    reason: str | None = None
    signing: Signing | None = None
    unsigned_reason: str | None = None


class Delivery(Model):
    """One message to the team's tools (the alert channel's webhook, the metrics Pushgateway) and
    whether it arrived. A failed delivery never changes the drill's result; it is recorded here."""

    kind: Literal["notification", "metrics"]
    event: str  # start, abort, end
    target: str  # where it went, without secrets: the channel's name, or scheme://host:port
    delivered: bool
    status: int | None = None  # the HTTP status of the answer
    error: str = ""
    at: str | None = None
    seconds: float | None = None


class Summary(Model):
    schema_version: str = SCHEMA_VERSION
    drill_id: str
    environment: str
    environment_class: str
    date: str
    owner: str
    observers: list[str] = []
    scope: dict[str, str] = {}
    release_labels: dict[str, str] = {}
    scenarios_selected: list[str] = []
    started_at: str | None
    finished_at: str | None
    duration_s: float | None
    run_status: Literal["completed", "stopped", "interrupted", "stopped_at_preconditions"]
    result: Overall
    result_reasons: list[str] = []
    preconditions: Preconditions
    scenarios: dict[str, ScenarioSummary] = {}
    gates: list[GateResult] = []
    incident_notes: IncidentNotes = IncidentNotes()
    evidence_files: list[str] = []
    hadrill_version: str = ""
    controller: dict[str, Any] = {}
    seal: SealInfo | None = None
    deliveries: list[Delivery] = []

    def figure(self, scenario: str, name: str) -> Figure | None:
        summary = self.scenarios.get(scenario)
        if summary is None:
            return None
        return next((item for item in summary.figures if item.name == name), None)
