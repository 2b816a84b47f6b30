"""The example inventories a team copies must be valid as shipped (placeholders included)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hadrill.config import ConfigError
from hadrill.inventory import resolve

REPO = Path(__file__).resolve().parents[3]


def test_staging_is_valid_with_every_scenario():
    config = resolve(REPO / "inventories" / "staging", {}).validate()
    assert config.settings.drill_scenarios == ["restore", "rollback", "replay"]
    assert config.settings.drill_environment_class == "staging"
    assert len(config.hosts["api"]) == 2


def test_the_alternative_shape_sandbox_is_valid_with_every_scenario():
    """inventories/local-alt: the same deployment as inventories/local, described by other values
    (memstore's alt shape, other host names, the command platform adapter)."""
    config = resolve(REPO / "inventories" / "local-alt", {}).validate()
    default = resolve(REPO / "inventories" / "local", {}).validate()
    assert config.settings.drill_scenarios == ["restore", "rollback", "replay"]
    assert (config.settings.drill_environment, config.settings.drill_environment_class) == ("local-alt", "sandbox")
    assert {group: len(hosts) for group, hosts in config.hosts.items()} == {
        group: len(hosts) for group, hosts in default.hosts.items()}
    assert not set(config.hosts["api"]) & set(default.hosts["api"])
    assert {host.platform_adapter for group in ("api", "worker") for host in config.hosts[group].values()} == {"command"}
    assert {host.api_health_path for host in config.hosts["api"].values()} == {"/healthz"}
    assert config.settings.drill_http_headers.keys() == {"X-Api-Key"}
    assert config.scenarios["rollback"].api_rollback_health_release_field == ""


def test_production_runs_no_fault_scenario_by_default():
    config = resolve(REPO / "inventories" / "production", {}).validate()
    assert config.settings.is_production and config.settings.drill_scenarios == []


def test_production_fault_scenarios_need_the_confirmed_opt_in():
    with pytest.raises(ConfigError) as refused:
        resolve(REPO / "inventories" / "production", {"drill_scenarios": "all"}).validate()
    assert any(line.startswith("drill_allow_production") for line in refused.value.problems)
    confirmed = {"drill_scenarios": "all", "drill_allow_production": True,
                 "drill_id": "ha_drill_20261128_production_01", "drill_confirm_id": "ha_drill_20261128_production_01"}
    resolved = resolve(REPO / "inventories" / "production", confirmed)
    assert resolved.validate(today=date(2026, 11, 28)).settings.drill_scenarios
    # The id is for today only: the same confirmed id the next day is refused.
    with pytest.raises(ConfigError) as stale:
        resolved.validate(today=date(2026, 11, 29))
    assert stale.value.problems == [
        "drill_id: expected today's date 20261129 (UTC), i.e. ha_drill_20261129_production_<NN>, "
        "got 'ha_drill_20261128_production_01'"]


def test_every_example_sets_its_environment_class_explicitly():
    """The class is never defaulted: each example names it, and every host resolves it alike."""
    for environment, expected in (("local", "sandbox"), ("local-alt", "sandbox"), ("staging", "staging"),
                                  ("production", "production")):
        resolved = resolve(REPO / "inventories" / environment, {})
        assert resolved.variables["drill_environment_class"] == expected
        assert {host: values.get("drill_environment_class") for host, values in resolved.hosts.items()} == {
            host: expected for host in resolved.hosts}


def test_every_example_names_the_primary_data_directory():
    for environment in ("local", "local-alt", "staging", "production"):
        config = resolve(REPO / "inventories" / environment, {}).validate()
        assert config.db_primary[1].db_data_dir


def test_secrets_in_the_examples_are_vault_references():
    for environment in ("staging", "production"):
        config = resolve(REPO / "inventories" / environment, {}).validate()
        assert "{{" not in str(config.snapshot())
        _, database = config.db_primary
        assert database.db_password is not None and database.db_password.get_secret_value().startswith("CHANGE-ME")
