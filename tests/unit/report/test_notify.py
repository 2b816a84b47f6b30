"""hadrill.notify against a real local webhook receiver: the start, abort and end messages
(Slack-compatible by default, or the channel's body template), headers sent but never recorded,
a failing or slow webhook recorded as not delivered (bounded by its timeout), never raised."""

from __future__ import annotations

import json

from hadrill.config.common import AlertChannel
from hadrill.events import load_markers
from hadrill.finalize import compute_summary
from hadrill.notify import deliver
from hadrill.redact import Redactor
from tests.support.receiver import receiver  # noqa: F401 (fixture)
from tests.unit.report.conftest import make_summary

DRILL = {"drill_id": "ha_drill_20261128_staging_03", "environment": "staging", "environment_class": "staging",
         "owner": "oncall", "scenarios": ["restore", "rollback"]}


def channel(url: str, **webhook) -> AlertChannel:
    return AlertChannel.model_validate({"name": "#ops-alerts", "webhook": {"url": url, **webhook}})


def test_start_abort_and_end_reach_the_receiver_and_are_recorded(receiver, recorded):
    hook = channel(f"{receiver.base_url}/hooks/200?key=s3cr3t-in-url", headers={"Authorization": "Bearer s3cr3t-token"})
    redactor = Redactor(["s3cr3t-in-url", "s3cr3t-token"])
    summary = make_summary()
    sent = [deliver(recorded, "start", hook, DRILL, redactor),
            deliver(recorded, "abort", hook, DRILL, redactor, reason="task 'Restore' failed: s3cr3t-token expired"),
            deliver(recorded, "end", hook, DRILL, redactor, summary=summary)]
    assert [item.delivered for item in sent] == [True, True, True] and [item.status for item in sent] == [200] * 3
    got = receiver.requests()
    assert [item["path"] for item in got] == ["/hooks/200?key=s3cr3t-in-url"] * 3
    assert all(item["headers"]["Authorization"] == "Bearer s3cr3t-token" for item in got)
    assert all(item["headers"]["Content-Type"] == "application/json" for item in got)
    bodies = [json.loads(item["body"]) for item in got]
    assert bodies[0]["text"] == ("hadrill drill ha_drill_20261128_staging_03 started on staging "
                                 "(scenarios: restore, rollback; owner oncall)")
    assert bodies[1]["text"].startswith("hadrill drill ha_drill_20261128_staging_03 on staging stopped early: task 'Restore'")
    end = bodies[2]["text"].splitlines()
    assert end[0] == "hadrill drill ha_drill_20261128_staging_03 on staging: FAIL in 3m30s (Scenario A failed)"
    assert "- RTO (incident to API smoke passed): 2m10s (threshold <= 2m): fail" in end
    assert "- Error-rate recovery: n/a (threshold <= 30.00s): not measured" in end
    assert end[-1] == f"Evidence: {recorded}"
    assert bodies[2]["blocks"][0]["text"]["text"] == bodies[2]["text"].replace("<", "&lt;").replace(">", "&gt;")
    # Recorded, without the URL, the header or a secret in the reason.
    events = (recorded / "events.jsonl").read_text()
    assert "s3cr3t" not in events
    markers = [item for item in load_markers(recorded) if item.name == "delivery"]
    assert [item.data["event"] for item in markers] == ["start", "abort", "end"]
    assert {item.data["target"] for item in markers} == {"#ops-alerts"}
    deliveries = compute_summary(recorded).deliveries
    assert [(item.kind, item.event, item.delivered, item.status) for item in deliveries] == [
        ("notification", "start", True, 200), ("notification", "abort", True, 200), ("notification", "end", True, 200)]


def test_a_body_template_keeps_types(receiver, recorded):
    hook = channel(f"{receiver.base_url}/hooks/204", body_template={
        "content": "${drill_id}: ${result}", "rto": "${figures}", "env": ["${environment}", "$$literal"]})
    delivery = deliver(recorded, "end", hook, DRILL, Redactor(), summary=make_summary())
    assert delivery.delivered and delivery.status == 204
    body = json.loads(receiver.requests()[0]["body"])
    assert body["content"] == "ha_drill_20261128_staging_03: fail"
    assert body["rto"]["restore.rto_seconds"] == 130.0 and body["rto"]["restore.target_exact"] is True
    assert body["env"] == ["staging", "$literal"]


def test_failures_are_recorded_not_raised(receiver, recorded):
    failing = deliver(recorded, "start", channel(f"{receiver.base_url}/hooks/503"), DRILL, Redactor())
    slow = deliver(recorded, "start", channel(f"{receiver.base_url}/hooks/sleep/3", timeout_seconds=0.5), DRILL, Redactor())
    closed = deliver(recorded, "start", channel("http://127.0.0.1:9/hook"), DRILL, Redactor())
    assert (failing.delivered, failing.status, failing.error) == (False, 503, "status 503 not in [200, 201, 202, 204]")
    assert not slow.delivered and slow.status is None and "timed out" in slow.error
    assert not closed.delivered and "Connection refused" in closed.error
    assert len(receiver.requests()) == 2  # the slow one arrived; its answer came too late


def test_nothing_is_sent_without_a_webhook_or_for_an_event_it_does_not_take(receiver, recorded):
    assert deliver(recorded, "start", AlertChannel(name="#ops"), DRILL, Redactor()) is None
    assert deliver(recorded, "start", channel(f"{receiver.base_url}/hooks/200", events=["end"]), DRILL, Redactor()) is None
    assert receiver.requests() == [] and "delivery" not in (recorded / "events.jsonl").read_text()


def test_the_webhook_url_and_headers_never_reach_drill_json():
    dumped = json.dumps(channel("https://hooks.example/services/T0/B0/s3cr3t", headers={"X-Key": "s3cr3t"})
                        .model_dump(mode="json"))
    assert "s3cr3t" not in dumped and "hooks.example" not in dumped
