"""Scenario C figures, computed from the bundle: markers, the backlog and write samples, checks.

- pause: ``worker_paused`` -> ``worker_resumed`` (monotonic).
- real outage: the last processing before the resume (never before ``worker_stop_requested``)
  -> the first processing after ``worker_resumed``, from the backlog samples
  (``hadrill.scenarios.replay.outage``); the replay proof covers the writes acknowledged from
  the stop command to that first processing.
- baseline: median backlog of the samples between ``baseline_started`` and ``baseline_finished``,
  and its trend test (``analysis.trend``): a baseline that is not steady makes the scenario
  incomplete (the role then does not pause the workers).
- steady-state envelope: backlog <= max(ratio x baseline, absolute) (the configured parts).
- drain time: ``worker_resumed`` -> the first of K consecutive samples inside the envelope; a
  drain after the drain timeout (seen in the extra watch) fails the scenario, and the reason
  says whether the replay proof found the work only slow or lost.
- peak: the highest backlog from ``worker_paused`` until the drain point (or the last sample).
- failed events: the count in the last sample at or before ``worker_paused`` and in the last
  sample of all (the sampler runs until the scenario ends); growth fails the scenario.
- replay proof: the ``replay_proof`` check recorded by ``hadrill.drills.replay_proof``.
"""

from __future__ import annotations

from typing import Any

from hadrill.clock import format_duration
from hadrill.context import BundleContext
from hadrill.events import CheckEvent, Marker
from hadrill.scenarios.base import summarize as base_summarize
from hadrill.scenarios.base import timeline
from hadrill.scenarios.replay import analysis, outage
from hadrill.scenarios.replay.analysis import BacklogPoint
from hadrill.scenarios.replay.config import SCENARIO, ReplaySettings
from hadrill.scenarios.replay.plot import PLOT_FILE, write_plot
from hadrill.scenarios.replay.proof import RECORD_FILE, acknowledged_between
from hadrill.summary import Check, Figure, ScenarioSummary, TimelineEntry

BACKLOG_SAMPLES = "replay_backlog"
WRITE_SAMPLES = "replay_writes"

TIMELINE = [
    ("Scenario started", "scenario_started"),
    ("Baseline window started", "baseline_started"),
    ("Worker stop requested", "worker_stop_requested"),
    ("Worker paused (platform reports it stopped)", "worker_paused"),
    ("Backlog cap reached (early resume)", "backlog_cap_reached"),
    ("Worker resumed (start requested)", "worker_resumed"),
    ("Drain timeout", "drain_timeout"),
    ("Backlog drained (detected)", "drained"),
    ("Replay verified", "replay_verified"),
    ("Scenario finished", "scenario_finished"),
]


def setting(ctx: BundleContext, name: str) -> Any:
    """A validated setting as drill.json recorded it, else the model's default."""
    config = ctx.scenario_config(SCENARIO)
    if name in config:
        return config[name]
    return ReplaySettings.model_fields[name].default


def count(value: float | None) -> float | int | None:
    """Backlog counts read as floats; whole numbers are shown as integers."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 3)


def _ratio_text(ratio: float) -> str:
    return f"~{ratio:.0f}x" if ratio >= 10 else f"~{ratio:.1f}x"


def _clock(ts: str) -> str:
    """``10:00:03.2`` of an ISO timestamp (the date is the drill's)."""
    return ts[11:21] if len(ts) >= 21 else ts


class ReplayFacts:
    """Everything the figures need, computed once from the bundle."""

    def __init__(self, ctx: BundleContext):
        markers = ctx.markers
        self.ctx = ctx
        self.paused: Marker | None = markers.first("worker_paused", SCENARIO)
        self.resumed: Marker | None = markers.first("worker_resumed", SCENARIO)
        self.cap: Marker | None = markers.first("backlog_cap_reached", SCENARIO)
        self.drain_timeout: Marker | None = markers.first("drain_timeout", SCENARIO)
        self.overtime: Marker | None = markers.first("drain_overtime", SCENARIO)
        self.unsteady: Marker | None = markers.first("baseline_unsteady", SCENARIO)
        # Bundles from before worker_stop_requested existed start the outage at worker_paused.
        self.stop_requested: Marker | None = markers.first("worker_stop_requested", SCENARIO) or self.paused
        started, finished = markers.first("baseline_started", SCENARIO), markers.first("baseline_finished", SCENARIO)
        self.points = analysis.points_from_samples(ctx.samples(BACKLOG_SAMPLES))
        self.write_samples = ctx.samples(WRITE_SAMPLES)
        self.steady = int(setting(ctx, "worker_replay_steady_samples"))
        self.baseline = (
            analysis.baseline(analysis.window(self.points, started.mono, finished.mono)) if started and finished else None
        )
        self.envelope = (
            analysis.envelope(self.baseline.median, setting(ctx, "worker_replay_envelope_ratio"),
                              setting(ctx, "worker_replay_envelope_absolute"))
            if self.baseline else None
        )
        self.run: list[BacklogPoint] | None = (
            analysis.drained(self.points, self.resumed.mono, self.envelope, self.steady)
            if self.resumed and self.envelope else None
        )
        self.peak = (
            analysis.peak(analysis.window(self.points, self.paused.mono, self.run[0].mono if self.run else None))
            if self.paused else None
        )
        self.failed_before = analysis.last_failed_at_or_before(self.points, self.paused.mono) if self.paused else None
        self.failed_after = analysis.last_failed(self.points) if self.paused else None
        # The window the role tested live: baseline_started + worker_replay_baseline_seconds.
        self.trend = (
            analysis.trend(analysis.window(
                self.points, started.mono, started.mono + float(setting(ctx, "worker_replay_baseline_seconds"))),
                self.envelope)
            if started and finished and self.envelope else None
        )
        self.outage = (
            outage.measure(self.points, self.write_samples, stop_requested=self.stop_requested.mono,
                           resume_requested=self.resumed.mono)
            if self.stop_requested and self.resumed else None
        )
        self.proof_window = outage.proof_window(self.outage, self.points) if self.outage else None
        self.proof: CheckEvent | None = next(
            (item for item in ctx.scenario_checks(SCENARIO) if item.name == "replay_proof"), None)

    @property
    def pause_seconds(self) -> float | None:
        if self.paused and self.resumed:
            return self.resumed.mono - self.paused.mono
        return None

    @property
    def drain_seconds(self) -> float | None:
        if self.run and self.resumed:
            return self.run[0].mono - self.resumed.mono
        return None

    @property
    def ratio(self) -> float | None:
        if self.peak is None or self.baseline is None or self.peak.backlog is None:
            return None
        return analysis.peak_ratio(self.peak.backlog, self.baseline.median)

    def writes_during_pause(self) -> int | None:
        if not (self.paused and self.resumed):
            return None
        field = str(setting(self.ctx, "worker_replay_id_field"))
        return len(acknowledged_between(self.write_samples, field, self.paused.mono, self.resumed.mono))

    def writes_during_outage(self) -> int | None:
        if self.proof_window is None:
            return None
        field = str(setting(self.ctx, "worker_replay_id_field"))
        return len(acknowledged_between(self.write_samples, field, self.proof_window.start, self.proof_window.end))

    def _ts(self, mono: float | None) -> str:
        """The recorded time of a marker or sample the figures name by its monotonic time."""
        if mono is None:
            return "n/a"
        for marker in (self.stop_requested, self.paused, self.resumed):
            if marker is not None and marker.mono == mono:
                return marker.ts
        return next((point.ts for point in self.points if point.mono == mono), "n/a")

    @property
    def stopped_ts(self) -> str:
        return self._ts(self.outage.stopped_at) if self.outage else "n/a"

    @property
    def resumed_ts(self) -> str:
        return self._ts(self.outage.resumed_at) if self.outage else "n/a"

    @property
    def proof_end_ts(self) -> str:
        return self._ts(self.proof_window.end) if self.proof_window else "n/a"

    def outage_window(self) -> str:
        """``10:00:03.2 -> 10:00:21.0``: when processing stopped and resumed, as measured."""
        assert self.outage is not None
        start = ("the stop command " if self.outage.stopped_at_stop_command else "the last processing ") \
            + _clock(self.stopped_ts)
        end = (f"the first processing after the resume {_clock(self.resumed_ts)}"
               if self.outage.resumed_at is not None else "no processing seen after the resume")
        return f"{start} -> {end}"

    def proof_verdict(self) -> str:
        """What the replay proof says about the work: slow, lost, or not proven."""
        proof = self.proof
        if proof is None:
            return "the replay proof did not run"
        observed = proof.observed if isinstance(proof.observed, dict) else {}
        checked, processed = observed.get("checked", 0), observed.get("processed", 0)
        if not proof.passed:
            missing = observed.get("missing")
            if isinstance(missing, int) and missing > 0:
                return f"lost {missing}: {missing} of {checked} writes acknowledged during the outage were not processed"
            return f"not proven: {proof.detail}"
        if proof.compared_nothing:
            return f"nothing to prove: {proof.compared_nothing}"
        return f"slow, nothing lost: {processed}/{checked} writes acknowledged during the outage were processed"

    def drain_timeout_reason(self) -> str | None:
        """A drain past its timeout fails the scenario; the reason says what followed."""
        drain = self.drain_seconds
        if self.drain_timeout is None:
            # A drill that noticed the drain only after its timeout (bundles before the role checked).
            timeout = float(setting(self.ctx, "worker_replay_drain_timeout_seconds"))
            if drain is None or drain <= timeout:
                return None
            return (f"the backlog drained {drain:.1f}s after the resume, after the drain timeout of {timeout:g}s; "
                    f"{self.proof_verdict()}")
        text = str(self.drain_timeout.data.get("reason") or "the backlog did not drain within the drain timeout")
        overtime = self.overtime.data if self.overtime else {}
        if drain is not None:
            text += f"; it drained {drain:.1f}s after the resume, in the extra watch"
        elif overtime.get("watching"):
            total = float(setting(self.ctx, "worker_replay_drain_timeout_seconds")) + float(overtime.get("seconds") or 0)
            text += f"; still not drained {total:g}s after the resume"
        elif self.overtime is not None:
            workers = overtime.get("workers") or {}
            down = [f"{host} is {workers.get(host, 'not running')}" for host in overtime.get("not_running") or []]
            text += "; no extra watch: " + (", ".join(down) if down else "worker_replay_drain_overtime_seconds is 0")
        return f"{text}; {self.proof_verdict()}"


def _baseline_figures(facts: ReplayFacts) -> list[Figure]:
    figures = [Figure(
        name="baseline_backlog", label="Normal baseline backlog (median)",
        value=count(facts.baseline.median) if facts.baseline else None,
        verdict="info" if facts.baseline else "missing",
        source="median of the backlog samples between baseline_started and baseline_finished",
    )]
    if facts.trend is not None:
        drift = facts.trend.drift
        figures.append(Figure(
            name="baseline_drift", label="Baseline drift over its window (trend test)",
            value=round(drift, 3) if drift is not None else None, verdict="info",
            source=f"Theil-Sen slope of the baseline samples x the window: {facts.trend.describe()}",
        ))
    return figures


def _outage_figures(facts: ReplayFacts) -> list[Figure]:
    """The pause the drill held (markers) beside the real outage (processing, from the samples)."""
    paused, resumed = facts.paused, facts.resumed
    configured = float(setting(facts.ctx, "worker_replay_pause_seconds"))
    figures = [Figure.judged(
        "pause_seconds", "Pause duration (platform stopped -> start requested)", facts.pause_seconds,
        source=(f"worker_paused {_clock(paused.ts)} -> worker_resumed {_clock(resumed.ts)}" if paused and resumed
                else "worker_paused -> worker_resumed") + f"; configured worker_replay_pause_seconds {configured:g}s",
    )]
    seen = facts.outage
    if seen is not None:
        seconds = seen.seconds
        figures.append(Figure.judged(
            "real_outage_seconds", "Real outage (no processing)", round(seconds, 3) if seconds is not None else None,
            source=(f"{facts.outage_window()}, from {outage.METHOD_TEXT[seen.method]} "
                    "(to within about one backlog sample interval, never shorter)"),
        ))
    figures.append(Figure(
        name="writes_during_pause", label="Writes acknowledged during the pause", value=facts.writes_during_pause(),
        verdict="info", source="write traffic records acknowledged between worker_paused and worker_resumed",
    ))
    if facts.proof_window is not None:
        start = _clock(facts.stop_requested.ts) if facts.stop_requested else "n/a"
        figures.append(Figure(
            name="writes_during_outage", label="Writes acknowledged during the outage (proven)",
            value=facts.writes_during_outage(), verdict="info",
            source=(f"write traffic records acknowledged from the stop command {start} to the "
                    f"{facts.proof_window.basis} {_clock(facts.proof_end_ts)}: the replay proof's window"),
        ))
    return figures


def _figures(facts: ReplayFacts, ctx: BundleContext) -> list[Figure]:
    thresholds = ctx.thresholds
    figures = _baseline_figures(facts)
    if facts.paused is None and facts.unsteady is not None:
        return figures  # nothing was paused: no pause, peak or drain to report
    figures = _outage_figures(facts) + figures + [
        Figure(name="peak_backlog", label="Peak backlog", value=count(facts.peak.backlog) if facts.peak else None,
               verdict="info" if facts.peak else "missing",
               source="highest backlog sample from worker_paused to the drain point"),
    ]
    ratio = facts.ratio
    if ratio is None and facts.baseline is not None and facts.baseline.median == 0 and facts.peak is not None:
        figures.append(Figure(
            name="backlog_peak_ratio", label="Backlog peak / baseline", value=None, unit="ratio",
            threshold=thresholds.get("backlog_peak_ratio"), verdict="info",
            source=f"baseline backlog is 0, so the ratio is undefined; the absolute peak is {count(facts.peak.backlog)}",
        ))
    else:
        figures.append(Figure.judged(
            "backlog_peak_ratio", "Backlog peak / baseline", round(ratio, 3) if ratio is not None else None,
            unit="ratio", threshold=thresholds.get("backlog_peak_ratio"), source="peak_backlog / baseline_backlog",
        ))
    drain = facts.drain_seconds
    late = " (after the drain timeout, in the extra watch)" if drain is not None and facts.drain_timeout else ""
    figures.append(Figure.judged(
        "drain_seconds", "Drain time after resume", round(drain, 3) if drain is not None else None,
        threshold=thresholds.get("drain_seconds"),
        source=(f"worker_resumed -> first of {facts.steady} consecutive samples inside the envelope "
                f"({facts.envelope.describe() if facts.envelope else 'no baseline'}){late}"),
    ))
    figures += [
        Figure(name="failed_before", label="Failed events before the pause",
               value=count(facts.failed_before.failed) if facts.failed_before else None,
               verdict="info" if facts.failed_before else "missing",
               source="failed count of the last sample at or before worker_paused"),
        Figure(name="failed_after", label="Failed events after recovery",
               value=count(facts.failed_after.failed) if facts.failed_after else None,
               verdict="info" if facts.failed_after else "missing",
               source="failed count of the last sample of the scenario"),
    ]
    proof = facts.proof
    observed = proof.observed if proof and isinstance(proof.observed, dict) else {}
    figures.append(Figure(
        name="replay_proof", label="Replay proof (processed/checked)",
        value=f"{observed.get('processed', 0)}/{observed.get('checked', 0)}" if proof else None,
        # judged by the replay_proof check itself; the figure only shows the counts
        verdict="info" if proof else "missing",
        source="replay_proof check (records/" + RECORD_FILE + ")",
    ))
    gates = ctx.scenario_gates(SCENARIO)
    if gates:
        passed = sum(1 for gate in gates if gate.passed)
        figures.append(Figure(
            name="post_recovery_gates", label="Post-recovery gates passed", value=f"{passed}/{len(gates)}",
            verdict="info", source="gate events of the scenario (each one is a check)",
        ))
    return figures


def _failed_check(facts: ReplayFacts) -> Check | None:
    if facts.paused is None:
        return None
    before = facts.failed_before.failed if facts.failed_before else None
    after = facts.failed_after.failed if facts.failed_after else None
    if before is None or after is None:
        return Check(name="failed_events_not_grown", label="Failed events before vs after", passed=False,
                     observed={"before": count(before), "after": count(after)}, expected="after <= before",
                     detail="the failed-events count could not be read before and after the pause")
    grew = after > before
    return Check(
        name="failed_events_not_grown", label="Failed events before vs after", passed=not grew,
        observed={"before": count(before), "after": count(after)}, expected="after <= before",
        detail=(f"failed events grew from {count(before)} to {count(after)}: the worker dead-lettered work during the drill"
                if grew else f"failed events {count(before)} before, {count(after)} after"),
    )


def _execution(facts: ReplayFacts, ctx: BundleContext) -> list[str]:
    lines = []
    if facts.paused is None and facts.unsteady is not None:
        lines.append("The backlog was not steady during the baseline, so the worker was not paused: "
                     f"{facts.trend.describe() if facts.trend else facts.unsteady.data.get('reason', '')}.")
    if facts.pause_seconds is not None:
        text = (f"Worker paused for `{format_duration(facts.pause_seconds)}` under controlled write traffic "
                f"(`{float(setting(ctx, 'worker_replay_write_rate')):g}` writes/s through the load balancer, "
                f"{facts.writes_during_pause()} acknowledged during the pause)")
        if facts.cap is not None:
            text += f"; resumed early: the backlog passed the cap of {count(setting(ctx, 'worker_replay_backlog_cap'))}"
        lines.append(text + ".")
    elif facts.paused is not None:
        lines.append("Worker paused under controlled write traffic; the resume was not recorded.")
    if facts.outage is not None and facts.outage.seconds is not None:
        lines.append(f"Real outage, no processing: `{format_duration(facts.outage.seconds)}` "
                     f"({facts.outage_window()}); {facts.writes_during_outage()} writes acknowledged from the stop "
                     "command to the first processing after the resume, all checked by the replay proof.")
    if facts.peak is not None and facts.baseline is not None:
        ratio = facts.ratio
        if ratio is not None:
            lines.append(f"Backlog peaked at `{_ratio_text(ratio)}` normal baseline "
                         f"(peak {count(facts.peak.backlog)}, baseline {count(facts.baseline.median)}).")
        else:
            lines.append(f"Backlog peaked at `{count(facts.peak.backlog)}` (normal baseline 0, so no ratio: "
                         "the absolute peak is reported).")
    if facts.drain_timeout is not None:
        timeout = float(setting(ctx, "worker_replay_drain_timeout_seconds"))
        text = f"Worker resumed; the backlog did not drain within `{format_duration(timeout)}`"
        if facts.drain_seconds is not None:
            text += f"; it drained in `{format_duration(facts.drain_seconds)}`, in the extra watch"
        lines.append(f"{text}: {facts.proof_verdict()}.")
    elif facts.drain_seconds is not None:
        lines.append(f"Worker resumed and backlog drained in `{format_duration(facts.drain_seconds)}` "
                     f"({facts.steady} consecutive samples inside the steady-state envelope: "
                     f"{facts.envelope.describe() if facts.envelope else 'n/a'}).")
    elif facts.resumed is not None:
        lines.append("Worker resume requested; the drain was not measured (the scenario stopped before it, see why).")
    gates = ctx.scenario_gates(SCENARIO)
    if gates:
        commands = ", ".join(f"`{gate.command}`" for gate in gates)
        if all(gate.passed for gate in gates):
            lines.append(f"Post-recovery gates passed: {commands}")
        else:
            failed = ", ".join(f"`{gate.command}` (exit code {gate.rc})" for gate in gates if not gate.passed)
            lines.append(f"Post-recovery gates failed: {failed}")
    if facts.proof is not None:
        lines.append(f"Replay proof: {facts.proof.detail}.")
    if facts.failed_before is not None and facts.failed_after is not None:
        lines.append(f"Failed events: `{count(facts.failed_before.failed)}` before the pause, "
                     f"`{count(facts.failed_after.failed)}` after recovery.")
    return lines


def _timeline(facts: ReplayFacts, ctx: BundleContext) -> list[TimelineEntry]:
    """The markers, and where the samples place the real stop and resume of processing."""
    entries = timeline(ctx, SCENARIO, TIMELINE)
    if facts.outage is None:
        return entries
    measured = [("Processing stopped (measured)", facts.outage.stopped_at, facts.stopped_ts)]
    if facts.outage.resumed_at is not None:
        measured.append(("Processing resumed (measured)", facts.outage.resumed_at, facts.resumed_ts))
    monos = {label: getattr(ctx.markers.first(name, SCENARIO), "mono", None) for label, name in TIMELINE}
    for label, mono, ts in measured:
        # After the last entry that happened at or before it (entries not reached keep their place).
        index = max((position + 1 for position, entry in enumerate(entries)
                     if monos.get(entry.label) is not None and monos[entry.label] <= mono), default=0)
        entries.insert(index, TimelineEntry(label=label, at=ts))
        monos[label] = mono
    return entries


def _details(facts: ReplayFacts, ctx: BundleContext) -> dict[str, Any]:
    writes = facts.write_samples
    return {
        "backlog_source": setting(ctx, "worker_replay_backlog_source"),
        "sample_interval_seconds": setting(ctx, "worker_replay_sample_interval_seconds"),
        "backlog_samples": len(facts.points),
        "unreadable_backlog_samples": sum(1 for point in facts.points if not point.ok),
        "baseline": facts.baseline.__dict__ if facts.baseline else None,
        "baseline_trend": facts.trend.as_dict() if facts.trend else None,
        "envelope": {"upper": facts.envelope.upper, "rule": facts.envelope.describe(), "steady_samples": facts.steady}
        if facts.envelope else None,
        "outage": {**outage.describe(facts.outage), "stopped_at": facts.stopped_ts, "resumed_at": facts.resumed_ts}
        if facts.outage else None,
        "proof_window": {**facts.proof_window.as_dict(), "to": facts.proof_end_ts} if facts.proof_window else None,
        "peak_at": facts.peak.ts if facts.peak else None,
        "drained_samples": [{"ts": point.ts, "backlog": count(point.backlog)} for point in facts.run or []],
        "backlog_cap": setting(ctx, "worker_replay_backlog_cap"),
        "backlog_cap_reached": facts.cap is not None,
        "drain_overtime": facts.overtime.data if facts.overtime else None,
        "writes_sent": len(writes),
        "writes_acknowledged": sum(1 for item in writes if item.get("ok")),
        "write_errors": sum(1 for item in writes if not item.get("ok")),
    }


def _incomplete(facts: ReplayFacts) -> list[str]:
    """What the scenario could not establish although nothing failed."""
    if facts.trend is not None and not facts.trend.steady:
        paused = "" if facts.paused else "; the workers were not paused"
        return [f"the backlog was not steady during the baseline: {facts.trend.describe()}{paused}"]
    if facts.unsteady is not None and facts.paused is None:
        return [str(facts.unsteady.data.get("reason") or "the backlog was not steady during the baseline")]
    return []


def summarize(ctx: BundleContext) -> ScenarioSummary:
    facts = ReplayFacts(ctx)
    figures = _figures(facts, ctx)
    checks = [check for check in [_failed_check(facts)] if check is not None]
    reasons = []
    timeout = facts.drain_timeout_reason()
    if timeout is not None:
        reasons.append(timeout)
    evidence = [f"samples/{BACKLOG_SAMPLES}.jsonl", f"samples/{WRITE_SAMPLES}.jsonl"]
    if facts.points:
        write_plot(ctx, facts)
        evidence.append(PLOT_FILE)
    if (ctx.bundle.records / RECORD_FILE).exists():
        evidence.append(f"records/{RECORD_FILE}")
    return base_summarize(
        ctx, SCENARIO,
        figures=figures,
        execution=_execution(facts, ctx),
        timeline_entries=_timeline(facts, ctx),
        details=_details(facts, ctx),
        extra_checks=checks,
        extra_reasons=reasons,
        incomplete_reasons=_incomplete(facts),
        evidence=evidence,
    )
