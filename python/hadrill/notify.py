"""Tell the team's tools about a drill: the alert channel's webhook, and the metrics Pushgateway.

``hadrill.drills.notify`` calls ``deliver`` at the drill's start, on an abort and at the end (the
end also pushes the metrics when ``drill_metrics_pushgateway_url`` is set). Each attempt is
recorded in events.jsonl as a ``delivery`` marker (summary.json ``deliveries``), delivered or
not; a failure never fails the drill, and every request is bounded by its timeout.

The webhook's body is a Slack-compatible message by default (``text`` and ``blocks``; Mattermost,
Rocket.Chat and most chat webhooks read ``text``), or the channel's ``body_template``: any JSON
whose strings may hold the ``${placeholders}`` of PLACEHOLDERS (a string that is exactly one
placeholder keeps the value's JSON type: ``"${figures}"`` is an object). Nothing secret is
recorded: the webhook's URL and headers never reach the evidence (the record names the channel),
and a Pushgateway is named by scheme, host and port only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hadrill.clock import format_duration
from hadrill.config.common import AlertChannel, Webhook
from hadrill.events import make_marker, record_marker
from hadrill.redact import Redactor
from hadrill.summary import Delivery, Summary

DELIVERY_MARKER = "delivery"  # finalize reads these markers into summary.json's deliveries
ACCEPTED = [200, 201, 202, 204]
PLACEHOLDERS = (
    "event",        # start, abort or end
    "drill_id", "environment", "environment_class", "owner", "scenarios",
    "result",       # end: pass, partial or fail; otherwise empty
    "reasons",      # end: why not pass; abort: why it stopped
    "headline",     # end: the judged figures, one line each ("RTO 5.71s (threshold <= 2m): pass")
    "figures",      # end: {"<scenario>.<figure>": value} of every figure
    "evidence",     # where the evidence bundle is
    "channel",      # the channel's name
    "text",         # the default message's text
)


@dataclass
class Message:
    event: str
    values: dict[str, Any]


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def headline(summary: Summary) -> list[str]:
    """One line per judged figure (those with a threshold), in the report's words."""
    from hadrill.report import _figure, _threshold

    lines = []
    for scenario in summary.scenarios.values():
        for figure in scenario.figures:
            if figure.threshold is None:
                continue
            verdict = {"missing": "not measured"}.get(figure.verdict, figure.verdict)
            lines.append(f"{figure.label}: {_figure(figure)} (threshold {figure.comparison} {_threshold(figure)}): {verdict}")
    return lines


def message(event: str, drill: dict[str, Any], evidence_dir: Path, channel: str, *, summary: Summary | None = None,
            reason: str | None = None) -> Message:
    """What is said at ``event``: the placeholders' values, ``text`` among them."""
    drill_id = str(drill.get("drill_id", evidence_dir.name))
    environment = str(drill.get("environment", ""))
    scenarios = ", ".join(drill.get("scenarios", [])) or "none"
    values: dict[str, Any] = {
        "event": event, "drill_id": drill_id, "environment": environment,
        "environment_class": str(drill.get("environment_class", "")), "owner": str(drill.get("owner", "")),
        "scenarios": scenarios, "result": "", "reasons": reason or "", "headline": "", "figures": {},
        "evidence": str(evidence_dir), "channel": channel,
    }
    if event == "start":
        text = f"hadrill drill {drill_id} started on {environment} (scenarios: {scenarios}; owner {values['owner']})"
    elif event == "abort":
        text = f"hadrill drill {drill_id} on {environment} stopped early: {reason or 'a task failed'}"
    else:
        assert summary is not None
        lines = headline(summary)
        values.update(
            result=summary.result, reasons="; ".join(summary.result_reasons), headline="\n".join(lines),
            figures={f"{name}.{figure.name}": figure.value for name, scenario in summary.scenarios.items()
                     for figure in scenario.figures},
        )
        took = f" in {format_duration(summary.duration_s)}" if summary.duration_s is not None else ""
        text = f"hadrill drill {drill_id} on {environment}: {summary.result.upper()}{took}"
        if summary.result_reasons:
            text += " (" + "; ".join(summary.result_reasons) + ")"
        text += "".join(f"\n- {line}" for line in lines)
        text += f"\nEvidence: {evidence_dir}"
    values["text"] = text
    return Message(event, values)


def slack_body(message: Message) -> dict[str, Any]:
    """The default body: Slack's ``text`` (also what other chat webhooks read) and one block."""
    text = message.values["text"]
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(text)}}]}


def _literal(value: Any) -> Any:
    """A value sent as it is: the request's own ${placeholder} filling turns $$ back into $."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {key: _literal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_literal(item) for item in value]
    return value


def body(webhook: Webhook, message: Message) -> Any:
    from hadrill.httpcheck import fill

    if webhook.body_template is None:
        return slack_body(message)
    return fill(webhook.body_template, message.values, typed=True)


def _record(evidence_dir: Path, redactor: Redactor, delivery: Delivery) -> Delivery:
    data = redactor.value(delivery.model_dump(mode="json", exclude={"at"}))
    marker = make_marker(DELIVERY_MARKER, data=data)
    record_marker(evidence_dir, marker)
    return Delivery.model_validate({**data, "at": marker["ts"]})


def post_webhook(webhook: Webhook, payload: Any) -> tuple[int | None, str | None, float]:
    """POST ``payload`` as JSON; (HTTP status, error or None, seconds)."""
    from hadrill.httpspec import HttpRequestSpec, send

    url = webhook.url.get_secret_value()
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    started = time.monotonic()
    try:
        spec = HttpRequestSpec(
            name="notify", method="POST", path=_literal(path), json=_literal(payload),
            headers={key: _literal(value.get_secret_value()) for key, value in webhook.headers.items()},
            expect_status=ACCEPTED, timeout_seconds=webhook.timeout_seconds,
        )
        result = send(f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}", spec)
    except (ValueError, TypeError) as exc:  # a body that is not JSON, a URL http.client refuses
        return None, f"{type(exc).__name__}: {exc}", time.monotonic() - started
    return result.status, result.error, time.monotonic() - started


def deliver(evidence_dir: Path, event: str, channel: AlertChannel | None, drill: dict[str, Any], redactor: Redactor, *,
            summary: Summary | None = None, reason: str | None = None) -> Delivery | None:
    """Post the ``event`` notification to the channel's webhook and record it; None when there is
    no webhook or it does not take this event. Never raises for a failed delivery."""
    if channel is None or channel.webhook is None or event not in channel.webhook.events:
        return None
    said = message(event, drill, evidence_dir, channel.name, summary=summary, reason=reason)
    status, error, seconds = post_webhook(channel.webhook, body(channel.webhook, said))
    # The error names what went wrong, never the URL (http.client's messages do not hold it).
    return _record(evidence_dir, redactor, Delivery(kind="notification", event=event, target=channel.name,
                                                    delivered=error is None, status=status, error=error or "",
                                                    seconds=round(seconds, 3)))


def push_metrics(evidence_dir: Path, url: str, summary: Summary, redactor: Redactor, *, timeout: float) -> Delivery:
    """Push the drill's metrics (hadrill.metrics) to the Pushgateway at ``url`` and record it."""
    from hadrill import metrics, prometheus

    started = time.monotonic()
    try:
        status, error = prometheus.push(url, metrics.JOB, metrics.grouping(summary), metrics.render_metrics(summary),
                                        timeout=timeout)
    except (ValueError, TypeError) as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"
    return _record(evidence_dir, redactor, Delivery(kind="metrics", event="end", target=prometheus.gateway_target(url),
                                                    delivered=error is None, status=status, error=error or "",
                                                    seconds=round(time.monotonic() - started, 3)))
