"""The scenarios get the request forms for free: drill placeholders, captures from anywhere and
chains validate in each scenario's settings, and the values of ${drill_id}, ${scenario} and
${run} reach the requests the samplers send."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from hadrill.httpspec import drill_values
from hadrill.samplers import kinds
from hadrill.samplers.base import KINDS
from hadrill.samplers.spec import SamplerSpec
from hadrill.scenarios.replay.config import ReplaySettings
from hadrill.scenarios.restore.config import RestoreSettings

REPLAY = {
    "worker_replay_backlog_query": "select 1", "worker_replay_failed_query": "select 0",
    "worker_replay_proof_method": "http",
    "worker_replay_proof_request": {
        "name": "recall", "method": "POST", "path": "/recall", "json": {"query": "${token}", "scope": "d-${drill_id}"},
        "expect_json": [{"path": "results[].text", "matches": "${token}"}],
    },
}


def test_drill_values_are_stable_within_a_drill_and_differ_when_a_drill_id_is_reused(tmp_path):
    first, second = tmp_path / "a" / "ha_drill_20260101_local_01", tmp_path / "b" / "ha_drill_20260101_local_01"
    for root, started in ((first, "2026-01-01T10:00:00.000001Z"), (second, "2026-01-01T11:00:00.000001Z")):
        root.mkdir(parents=True)
        (root / "drill.json").write_text(json.dumps({"started_at": started}))
    values = drill_values(first, "replay")
    assert values["drill_id"] == "ha_drill_20260101_local_01" and values["scenario"] == "replay"
    assert len(values["run"]) == 8 and values == drill_values(first, "replay")
    assert drill_values(second, "replay")["run"] != values["run"]
    assert drill_values(first, "rollback")["run"] == values["run"]


@pytest.mark.parametrize("capture", [
    {"id": "id"},
    {"id": {"value": "${token}"}},
    {"id": {"header": "Location", "regex": "([^/]+)$"}},
    {"id": {"regex": "OK (\\d+)"}},
])
def test_the_replay_write_takes_its_id_from_any_source(capture):
    write = {"name": "note", "method": "POST", "path": "/note", "form": {"text": "${token}", "scope": "d-${drill_id}"},
             "capture": capture}
    settings = ReplaySettings.model_validate({**REPLAY, "worker_replay_write_request": write})
    assert settings.worker_replay_write_request.captured_names() == ["id"]


def test_the_replay_write_id_may_come_from_a_step_of_a_chain():
    write = {"name": "create", "method": "POST", "path": "/items", "capture": {"item": "id"},
             "then": [{"name": "publish", "method": "POST", "path": "/items/${item}/publish", "capture": {"id": "job"}}]}
    assert ReplaySettings.model_validate({**REPLAY, "worker_replay_write_request": write})


def test_a_replay_write_without_its_id_names_every_source():
    with pytest.raises(ValidationError) as raised:
        ReplaySettings.model_validate({**REPLAY, "worker_replay_write_request": {"name": "w", "path": "/w"}})
    message = str(raised.value)
    assert "worker_replay_write_request" in message and "{id: {value: '${token}'}}" in message
    assert "{id: {header: Location" in message and "{id: {regex:" in message


def test_smoke_requests_know_the_drill_placeholders_and_earlier_captures():
    smoke = [
        {"name": "write", "method": "POST", "path": "/w", "json": {"scope": "drill-${drill_id}-${scenario}-${run}",
                                                                    "text": "${token}"},
         "capture": {"id": {"header": "X-Id"}}},
        {"name": "read", "path": "/r/${id}", "expect_json": [{"path": "text", "contains": "${token}"}]},
        {"name": "bad", "path": "/r", "expect_json": [{"path": "results[?id == `${idd}`]", "not_empty": True}]},
    ]
    settings = RestoreSettings.model_validate({
        "db_restore_work_root": "/tmp/x", "db_restore_schema_version_query": "select 1", "db_restore_api_port": 18000,
        "db_restore_api_processes": [{"name": "api", "command": "api"}], "db_restore_smoke_requests": smoke,
    })
    problems = [line for line in settings.consistency_problems() if line.startswith("db_restore_smoke_requests")]
    assert problems == ["db_restore_smoke_requests[2] (bad): unknown placeholder(s) ['idd']; "
                        "known here: ['drill_id', 'scenario', 'run', 'token', 'id']"]


def test_the_probe_fills_the_drill_placeholders_of_its_scenario(tmp_path, server):
    evidence = tmp_path / "ha_drill_20260101_local_02"
    evidence.mkdir()
    (evidence / "drill.json").write_text(json.dumps({"started_at": "2026-01-01T10:00:00Z"}))
    server.answer("POST", "/w", body={"id": 1})
    spec = SamplerSpec(name="probe", kind="http_probe", scenario="rollback", evidence_dir=str(evidence), config={
        "base_url": server.base_url,
        "requests": [{"name": "w", "method": "POST", "path": "/w", "capture": {"id": "id"},
                      "json": {"scope": "${drill_id}/${scenario}/${run}", "n": "${seq}"}}],
    })
    kinds.load("http_probe")
    probe = KINDS["http_probe"](spec)
    record = probe.sample(4)
    assert record["ok"] and record["captured"] == {"id": 1}
    run = drill_values(evidence, "rollback")["run"]
    assert json.loads(server.requests[0]["body"]) == {"scope": f"ha_drill_20260101_local_02/rollback/{run}", "n": 4}
