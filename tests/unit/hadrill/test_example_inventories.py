"""The example inventories a team copies must be valid as shipped (placeholders included)."""

from __future__ import annotations

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


def test_production_runs_no_fault_scenario_by_default():
    config = resolve(REPO / "inventories" / "production", {}).validate()
    assert config.settings.is_production and config.settings.drill_scenarios == []


def test_production_fault_scenarios_need_the_confirmed_opt_in():
    with pytest.raises(ConfigError) as refused:
        resolve(REPO / "inventories" / "production", {"drill_scenarios": "all"}).validate()
    assert any(line.startswith("drill_allow_production") for line in refused.value.problems)
    confirmed = {"drill_scenarios": "all", "drill_allow_production": True,
                 "drill_id": "ha_drill_20261128_production_01", "drill_confirm_id": "ha_drill_20261128_production_01"}
    assert resolve(REPO / "inventories" / "production", confirmed).validate().settings.drill_scenarios


def test_secrets_in_the_examples_are_vault_references():
    for environment in ("staging", "production"):
        config = resolve(REPO / "inventories" / environment, {}).validate()
        assert "{{" not in str(config.snapshot())
        _, database = config.db_primary
        assert database.db_password is not None and database.db_password.get_secret_value().startswith("CHANGE-ME")
