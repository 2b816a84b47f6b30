from __future__ import annotations

import pytest

from hadrill.config import ConfigError


def problems(inventory) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        inventory.validate()
    return caught.value.problems


def test_a_valid_configuration_is_accepted(inventory):
    config = inventory.validate()
    assert config.settings.drill_environment == "staging"
    assert config.settings.drill_scenarios == []
    assert set(config.hosts) == {"db_primary", "api", "lb", "worker"}
    assert config.db_primary[0] == "db-1"


def test_wrong_type_names_the_variable(inventory):
    inventory.variables["drill_thresholds"] = {"rto_seconds": "soon"}
    assert any(item.startswith("drill_thresholds.rto_seconds:") for item in problems(inventory))


def test_negative_threshold_is_rejected(inventory):
    inventory.variables["drill_thresholds"] = {"rpo_seconds": -1}
    found = problems(inventory)
    assert any("drill_thresholds.rpo_seconds" in item and "greater than or equal to 0" in item for item in found)


def test_unknown_scenario_lists_the_allowed_ones(inventory):
    inventory.variables["drill_scenarios"] = ["restore", "chaos"]
    found = problems(inventory)
    assert any("drill_scenarios" in item and "chaos" in item and "'restore'" in item for item in found)


def test_missing_endpoint_names_host_and_variable(inventory):
    del inventory.hosts["api-2"]["api_base_url"]
    found = problems(inventory)
    assert "host api-2 (group api): api_base_url: required but not set" in found


def test_bad_url_is_explained(inventory):
    inventory.hosts["lb-1"]["lb_base_url"] = "lb.example:80"
    assert any("host lb-1 (group lb): lb_base_url" in item and "http" in item for item in problems(inventory))


def test_typo_in_a_drill_variable_suggests_the_right_name(inventory):
    inventory.variables["drill_ownr"] = "someone"
    assert "drill_ownr: unknown variable (did you mean drill_owner?)" in problems(inventory)


def test_every_problem_is_reported_at_once(inventory):
    inventory.variables["drill_thresholds"] = {"rto_seconds": -3}
    inventory.hosts["db-1"]["db_port"] = 70000
    inventory.groups["lb"] = []
    found = problems(inventory)
    assert len(found) == 3
    assert any("inventory group 'lb'" in item for item in found)
    assert any("db_port" in item for item in found)


def test_method_needs_its_settings(inventory):
    del inventory.hosts["db-1"]["pgbackrest_stanza"]
    assert any("pgbackrest_stanza" in item for item in problems(inventory))


def test_production_refuses_fault_scenarios_without_opt_in(inventory):
    inventory.variables.update(drill_environment_class="production", drill_scenarios="rollback")
    found = problems(inventory)
    assert any(item.startswith("drill_allow_production") and "drill_confirm_id" in item for item in found)


def test_production_needs_the_drill_id_confirmed(inventory):
    inventory.variables.update(
        drill_environment_class="production", drill_scenarios="rollback", drill_allow_production=True,
        drill_id="ha_drill_20261128_staging_01", drill_confirm_id="ha_drill_20261128_staging_02",
    )
    assert any(item.startswith("drill_confirm_id") for item in problems(inventory))


def test_production_without_fault_scenarios_is_allowed(inventory):
    inventory.variables.update(drill_environment_class="production", drill_scenarios="none")
    assert inventory.validate().settings.is_production


def test_gate_host_must_exist(inventory):
    inventory.variables["validation_gates_commands"] = [{"name": "core", "command": "true", "host": "nowhere"}]
    assert any("validation_gates_commands[0].host" in item for item in problems(inventory))


def test_gate_needs_a_command(inventory):
    inventory.variables["validation_gates_commands"] = [{"name": "core"}]
    assert "validation_gates_commands.0.command: required but not set" in [
        item.replace("[0]", ".0") for item in problems(inventory)
    ]


def test_password_is_never_in_the_snapshot(inventory):
    snapshot = inventory.validate().snapshot()
    assert "s3cret-db-pw" not in repr(snapshot)


def test_scenarios_accept_comma_strings(inventory):
    from hadrill.config.common import parse_scenarios

    assert parse_scenarios("replay,restore") == ["restore", "replay"]
    assert parse_scenarios("all") == ["restore", "rollback", "replay"]
    assert parse_scenarios("none") == []
