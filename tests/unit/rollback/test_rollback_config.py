"""The api_rollback_* configuration: errors that name the variable, and the pydantic model, the
role's argument_specs and its defaults agreeing on names, types, defaults and what is required."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from hadrill.config import ConfigError, validate
from hadrill.scenarios.rollback.config import RollbackSettings
from tests.support.inventory import host_lookups

ROLE = Path(__file__).resolve().parents[3] / "collection" / "roles" / "api_rollback"

VARIABLES: dict[str, Any] = {
    "drill_environment": "staging",
    "drill_environment_class": "staging",
    "drill_owner": "platform-oncall",
    "drill_scenarios": "rollback",
    "api_rollback_candidate_release": "v2.0.0-rc1",
    "api_rollback_known_good_release": "v1.9.3",
    "api_rollback_canary_hosts": ["api-1"],
    "api_rollback_probe_requests": [
        {"name": "health", "path": "/health"},
        {"name": "write", "method": "POST", "path": "/v1/items", "json": {"text": "probe ${token}"}, "weight": 2},
    ],
}
HOSTS: dict[str, dict[str, Any]] = {
    "db-1": {"db_host": "10.0.0.5", "db_name": "app", "db_user": "drill", "pgbackrest_stanza": "main"},
    "api-1": {"api_base_url": "http://10.0.0.11:8080", "lb_server_name": "api-1",
              "supervisor_ctl": "supervisorctl", "supervisor_program": "api", "release_link": "/opt/api/current"},
    "api-2": {"api_base_url": "http://10.0.0.12:8080", "lb_server_name": "api-2", "platform_adapter": "command",
              "platform_start_command": "kubectl scale", "platform_stop_command": "kubectl scale",
              "platform_status_command": "kubectl rollout status",
              "platform_release_command": "kubectl get deploy/api -o jsonpath='{.metadata.labels.release}'"},
    "lb-1": {"lb_base_url": "http://10.0.0.10", "haproxy_admin_socket": "/run/haproxy.sock", "haproxy_backend": "api"},
}
GROUPS = {"db_primary": ["db-1"], "api": ["api-1", "api-2"], "lb": ["lb-1"], "worker": []}


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


def test_a_minimal_configuration_is_accepted_with_its_defaults():
    settings = check().scenarios["rollback"]
    assert isinstance(settings, RollbackSettings)
    assert settings.api_rollback_probe_rate == 10.0
    assert settings.probe_interval_seconds == pytest.approx(0.1)
    assert settings.api_rollback_restart_failure_statuses == [502, 503, 504]
    assert settings.api_rollback_probe_requests[1].body == {"text": "probe ${token}"}


def test_the_section_is_ignored_when_the_scenario_is_not_selected():
    config = check(drill_scenarios="none", api_rollback_candidate_release=None)
    assert "rollback" not in config.scenarios


@pytest.mark.parametrize("name", ["api_rollback_candidate_release", "api_rollback_known_good_release",
                                  "api_rollback_canary_hosts", "api_rollback_probe_requests"])
def test_required_variables_are_named(name):
    assert f"{name}: required but not set" in problems(**{name: None})


def test_a_typo_suggests_the_variable():
    variables_with_typo = {"api_rollback_probe_rat": 5}
    assert "api_rollback_probe_rat: unknown variable (did you mean api_rollback_probe_rate?)" in problems(
        **variables_with_typo)


def test_canary_hosts_must_be_api_hosts_and_unique():
    assert problems(api_rollback_canary_hosts=["api-9"]) == [
        "api_rollback_canary_hosts: expected hosts of the 'api' group ['api-1', 'api-2'], got ['api-9']"]
    found = problems(api_rollback_canary_hosts=["api-1", "api-1"])
    assert found == ["api_rollback_canary_hosts: expected each canary host once, repeated: ['api-1']"]
    assert any(item.startswith("api_rollback_canary_hosts:") for item in problems(api_rollback_canary_hosts=[]))


def test_without_a_release_in_the_health_answer_every_replica_must_read_its_release():
    hosts = copy.deepcopy(HOSTS)
    del hosts["api-1"]["release_link"]
    del hosts["api-2"]["platform_release_command"]
    variables = copy.deepcopy(VARIABLES)
    with pytest.raises(ConfigError) as caught:
        validate(variables, GROUPS, *host_lookups(variables, hosts))
    assert [item for item in caught.value.problems if item.startswith("api_rollback_health_release_field:")] == [
        "api_rollback_health_release_field: empty, so the drill reads the release of each replica through its platform "
        "adapter, but api-1, api-2 cannot tell (set platform_release_command for the command adapter, release_link for "
        "the supervisor adapter, or the path of the release in the health answer)"]
    # a health answer that names the release is enough on its own
    variables["api_rollback_health_release_field"] = "release"
    assert validate(variables, GROUPS, *host_lookups(variables, hosts)).scenarios["rollback"]


def test_known_good_must_differ_from_the_candidate():
    found = problems(api_rollback_known_good_release="v2.0.0-rc1")
    assert found == ["api_rollback_known_good_release: expected a release other than the candidate, "
                     "got the candidate 'v2.0.0-rc1'"]


def test_rates_windows_and_patterns_are_checked():
    found = problems(api_rollback_abort_error_rate=1.5, api_rollback_probe_rate=0,
                     api_rollback_window_seconds=120, api_rollback_startup_failure_patterns=["(open"],
                     api_rollback_restart_failure_statuses=[999])
    joined = "\n".join(found)
    assert "api_rollback_abort_error_rate: input should be less than or equal to 1" in joined
    assert "api_rollback_probe_rate: input should be greater than 0" in joined
    assert "api_rollback_window_seconds: expected at most api_rollback_recovery_window_seconds (60), got 120" in joined
    assert "api_rollback_startup_failure_patterns: expected regular expressions, '(open' does not compile" in joined
    assert "api_rollback_restart_failure_statuses: expected HTTP status codes between 100 and 599, got [999]" in joined


def test_probe_requests_are_validated_like_every_inventory_request():
    found = problems(api_rollback_probe_requests=[{"name": "x", "path": "no-slash", "weight": 0}])
    assert any(item.startswith("api_rollback_probe_requests.0.path") or
               item.startswith("api_rollback_probe_requests[0].path") for item in found), found
    found = problems(api_rollback_probe_requests=[{"name": "x", "path": "/", "weight": 0}])
    assert found == ["api_rollback_probe_requests: expected at least one request with a weight above 0"]


# --- nested options of meta/argument_specs.yml and their models agree (the flat options and
# defaults/main.yml: tests/unit/hadrill/test_argument_specs_match_models.py)

def _options() -> dict[str, dict[str, Any]]:
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())
    return specs["argument_specs"]["main"]["options"]


def test_probe_request_options_match_the_request_model():
    from hadrill.httpspec import HttpRequestSpec

    suboptions = _options()["api_rollback_probe_requests"]["options"]
    names = {field.alias or name for name, field in HttpRequestSpec.model_fields.items()}
    assert set(suboptions) == names
