"""The worker_replay_* configuration: clear errors naming the variable, and the model, the role's
argument_specs and its defaults agreeing on names, types, defaults and what is required."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from hadrill.config import ConfigError, validate
from hadrill.scenarios.replay.config import ReplaySettings
from tests.support.inventory import host_lookups

ROLE = Path(__file__).resolve().parents[3] / "collection" / "roles" / "worker_replay"

VARIABLES: dict[str, Any] = {
    "drill_environment": "staging",
    "drill_environment_class": "staging",
    "drill_owner": "platform-oncall",
    "drill_scenarios": "replay",
    "worker_replay_write_request": {
        "name": "write", "method": "POST", "path": "/v1/items",
        "json": {"text": "item ${token}"}, "capture": {"id": "id"},
    },
    "worker_replay_backlog_query": "SELECT count(*) FROM queue WHERE state = 'pending'",
    "worker_replay_failed_query": "SELECT count(*) FROM queue WHERE state = 'dead'",
    "worker_replay_proof_query": "SELECT id FROM queue WHERE id = ANY(%(ids)s) AND state = 'done'",
}
HOSTS: dict[str, dict[str, Any]] = {
    "db-1": {"db_host": "10.0.0.5", "db_name": "app", "db_user": "drill", "pgbackrest_stanza": "main"},
    "api-1": {"api_base_url": "http://10.0.0.11:8080", "lb_server_name": "api-1",
              "supervisor_ctl": "supervisorctl", "supervisor_program": "api"},
    "lb-1": {"lb_base_url": "http://10.0.0.10", "haproxy_admin_socket": "/run/haproxy.sock", "haproxy_backend": "api"},
    "worker-1": {"platform_adapter": "command", "platform_start_command": "systemctl start worker",
                 "platform_stop_command": "systemctl stop worker", "platform_status_command": "systemctl is-active worker"},
}
GROUPS = {"db_primary": ["db-1"], "api": ["api-1"], "lb": ["lb-1"], "worker": ["worker-1"]}


def check(**changes: Any):
    variables = copy.deepcopy(VARIABLES)
    for name, value in changes.items():
        if value is None:
            variables.pop(name, None)
        else:
            variables[name] = value
    return validate(variables, GROUPS, *host_lookups(variables, HOSTS))


def problems(**changes: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        check(**changes)
    return caught.value.problems


def test_a_minimal_sql_configuration_is_accepted():
    config = check()
    settings = config.scenarios["replay"]
    assert isinstance(settings, ReplaySettings)
    assert settings.worker_replay_backlog_source == "sql"
    assert settings.write_interval_seconds == pytest.approx(0.1)


def test_the_write_request_is_required():
    assert "worker_replay_write_request: required but not set" in problems(worker_replay_write_request=None)


def test_the_chosen_source_needs_its_settings_named():
    found = problems(worker_replay_backlog_source="prometheus")
    assert "worker_replay_backlog_metric: required when worker_replay_backlog_source is 'prometheus'" in found
    assert "worker_replay_failed_metric: required when worker_replay_backlog_source is 'prometheus'" in found
    found = problems(worker_replay_backlog_source="command")
    assert any(item.startswith("worker_replay_backlog_command: required when") for item in found)


def test_an_unknown_source_lists_the_choices():
    found = problems(worker_replay_backlog_source="kafka")
    assert any(item.startswith("worker_replay_backlog_source:") and "'sql'" in item and "'command'" in item for item in found)


def test_the_sql_proof_needs_the_ids_parameter():
    found = problems(worker_replay_proof_query="SELECT id FROM queue WHERE state = 'done'")
    assert any(item.startswith("worker_replay_proof_query:") and "%(ids)s" in item for item in found)


def test_the_http_proof_needs_its_request():
    found = problems(worker_replay_proof_method="http")
    assert "worker_replay_proof_request: required when worker_replay_proof_method is 'http'" in found


def test_the_write_request_must_capture_the_id():
    request = {**VARIABLES["worker_replay_write_request"], "capture": {}}
    found = problems(worker_replay_write_request=request)
    assert any(item.startswith("worker_replay_write_request:") and "'id'" in item for item in found)


def test_an_envelope_is_needed_and_a_ratio_below_one_is_refused():
    variables = {**VARIABLES, "worker_replay_envelope_ratio": None}
    with pytest.raises(ConfigError) as caught:
        validate(variables, GROUPS, *host_lookups(variables, HOSTS))
    assert any(item.startswith("worker_replay_envelope_ratio:") and "worker_replay_envelope_absolute or both" in item
               for item in caught.value.problems)
    found = problems(worker_replay_envelope_ratio=0.5)
    assert any(item.startswith("worker_replay_envelope_ratio:") and "greater than or equal to 1" in item for item in found)
    assert check(worker_replay_envelope_ratio=1.0, worker_replay_envelope_absolute=0).scenarios["replay"]


def test_a_bad_metric_selector_is_explained():
    found = problems(worker_replay_backlog_source="prometheus", worker_replay_backlog_metric="queue{a=b}",
                     worker_replay_failed_metric="dead")
    assert any(item.startswith("worker_replay_backlog_metric:") and 'name="value"' in item for item in found)


def test_a_typo_suggests_the_variable():
    found = problems(worker_replay_pause_second=60)
    assert "worker_replay_pause_second: unknown variable (did you mean worker_replay_pause_seconds?)" in found


def test_targets_and_gates_are_unique():
    found = problems(worker_replay_targets=["worker-1", "worker-1"],
                     worker_replay_gates=[{"name": "g", "command": "true"}, {"name": "g", "command": "false"}])
    assert any(item.startswith("worker_replay_targets:") and "worker-1" in item for item in found)
    assert any(item.startswith("worker_replay_gates:") and "'g'" in item for item in found)


def test_unknown_workers_and_gate_hosts_are_named():
    found = problems(worker_replay_targets=["worker-9"],
                     worker_replay_gates=[{"name": "g", "command": "true", "host": "worker-1"},
                                          {"name": "h", "command": "true", "host": "nowhere"}])
    assert "worker_replay_targets: expected hosts of the 'worker' group ['worker-1'], got ['worker-9']" in found
    assert "worker_replay_gates[1].host: expected an inventory host or 'localhost', got 'nowhere'" in found
    assert len(found) == 2


# --- nested options of meta/argument_specs.yml and their models agree (the flat options and
# defaults/main.yml: tests/unit/hadrill/test_argument_specs_match_models.py)

def argument_specs() -> dict[str, Any]:
    data = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())
    return data["argument_specs"]["main"]["options"]


@pytest.mark.parametrize("key", ["worker_replay_write_request", "worker_replay_proof_request"])
def test_request_options_match_the_request_model(key):
    from hadrill.httpspec import HttpRequestSpec

    options = argument_specs()[key]["options"]
    names = {field.alias or name for name, field in HttpRequestSpec.model_fields.items()}
    assert set(options) == names


def test_gate_options_match_the_gate_model():
    from hadrill.config.gates import GateCommand

    options = argument_specs()["worker_replay_gates"]["options"]
    assert set(options) == set(GateCommand.model_fields)
    for name, field in GateCommand.model_fields.items():
        if not field.is_required():
            assert options[name].get("default") == field.default, name
