"""Build and validate the whole drill configuration from inventory variables.

Called by the drill's first task (action plugin) and by ``hadrill run`` before ansible-runner
starts, so a typo stops the drill before any host is touched. Every problem is reported at
once, each naming the variable (and host) and what was expected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from hadrill.config.common import SCENARIOS, DrillSettings, repeated
from hadrill.config.errors import ConfigError, describe, suggest
from hadrill.config.gates import GatesSettings, PreconditionsSettings
from hadrill.config.targets import ApiHost, DbPrimaryHost, LbHost, WorkerHost

GROUPS: dict[str, tuple[type[BaseModel], int, int | None]] = {
    "db_primary": (DbPrimaryHost, 1, 1),
    "api": (ApiHost, 1, None),
    "lb": (LbHost, 1, 1),
    "worker": (WorkerHost, 1, None),
}

# Variables with these prefixes belong to hadrill; an unknown name under them is a typo.
SECTIONS: dict[str, type[BaseModel]] = {
    "drill_": DrillSettings,
    "validation_gates_": GatesSettings,
    "preconditions_": PreconditionsSettings,
}

# Scenario sections register here (prefix, model); validated only when the scenario is selected.
SCENARIO_SECTIONS: dict[str, tuple[str, type[BaseModel]]] = {}


def register_scenario(scenario: str, prefix: str, model: type[BaseModel]) -> None:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}")
    SCENARIO_SECTIONS[scenario] = (prefix, model)


def _load_scenario_models() -> None:
    # Imported for their register_scenario() side effect; kept lazy to avoid import cycles.
    import importlib

    for module in ("hadrill.scenarios.restore.config", "hadrill.scenarios.rollback.config", "hadrill.scenarios.replay.config"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            # A scenario package that is not installed simply contributes no section.
            if not (exc.name and module.startswith(exc.name)):
                raise


@dataclass
class DrillConfig:
    settings: DrillSettings
    gates: GatesSettings
    preconditions: PreconditionsSettings
    hosts: dict[str, dict[str, BaseModel]]
    scenarios: dict[str, BaseModel] = field(default_factory=dict)

    @property
    def db_primary(self) -> tuple[str, DbPrimaryHost]:
        name, model = next(iter(self.hosts["db_primary"].items()))
        assert isinstance(model, DbPrimaryHost)
        return name, model

    @property
    def lb(self) -> tuple[str, LbHost]:
        name, model = next(iter(self.hosts["lb"].items()))
        assert isinstance(model, LbHost)
        return name, model

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready copy for drill.json; SecretStr values dump as '**********'."""
        return {
            "settings": self.settings.model_dump(mode="json"),
            "gates": self.gates.model_dump(mode="json"),
            "preconditions": self.preconditions.model_dump(mode="json"),
            "hosts": {
                group: {host: model.model_dump(mode="json") for host, model in members.items()}
                for group, members in self.hosts.items()
            },
            "scenarios": {name: model.model_dump(mode="json") for name, model in self.scenarios.items()},
        }


def _section_values(variables: Mapping[str, Any], prefix: str, owners: list[str]) -> dict[str, Any]:
    """Variables under ``prefix`` that no longer prefix claims."""
    longer = [other for other in owners if other != prefix and other.startswith(prefix)]
    return {
        name: variables[name]
        for name in variables
        if name.startswith(prefix) and not any(name.startswith(other) for other in longer)
    }


def _validate_section(
    model: type[BaseModel], values: dict[str, Any], problems: list[str], where: str = ""
) -> BaseModel | None:
    for name in values:
        if name not in model.model_fields:
            problems.append(f"{where}{name}: unknown variable{suggest(name, model.model_fields)}")
    known = {name: value for name, value in values.items() if name in model.model_fields}
    try:
        return model.model_validate(known)
    except ValidationError as exc:
        problems.extend(describe(exc, where=where))
        return None


def validate(
    variables: Mapping[str, Any],
    groups: Mapping[str, list[str]],
    host_variable: Callable[[str, str], Any],
    host_has: Callable[[str, str], bool],
) -> DrillConfig:
    """Validate everything; raise ConfigError listing every problem found.

    ``variables`` are the play-level variables (group_vars/all and extra vars);
    ``host_variable(host, name)`` returns one templated host variable and ``host_has`` tells
    whether it is defined, so only the variables hadrill reads are templated.
    """
    _load_scenario_models()
    problems: list[str] = []
    owners = list(SECTIONS) + [prefix for prefix, _ in SCENARIO_SECTIONS.values()]

    sections: dict[str, BaseModel | None] = {}
    for prefix, model in SECTIONS.items():
        sections[prefix] = _validate_section(model, _section_values(variables, prefix, owners), problems)

    settings = sections["drill_"]
    selected = settings.drill_scenarios if isinstance(settings, DrillSettings) else []
    if isinstance(settings, DrillSettings):
        problems.extend(production_guard(settings))

    scenarios: dict[str, BaseModel] = {}
    for scenario, (prefix, model) in SCENARIO_SECTIONS.items():
        values = _section_values(variables, prefix, owners)
        if scenario in selected:
            validated = _validate_section(model, values, problems)
            if validated is not None:
                scenarios[scenario] = validated
        else:
            for name in values:
                if name not in model.model_fields:
                    problems.append(f"{name}: unknown variable{suggest(name, model.model_fields)}")

    hosts: dict[str, dict[str, BaseModel]] = {}
    for group, (model, minimum, maximum) in GROUPS.items():
        members = list(groups.get(group, []))
        if group == "worker" and "replay" not in selected and not members:
            hosts[group] = {}
            continue
        if len(members) < minimum or (maximum is not None and len(members) > maximum):
            expected = f"exactly {minimum}" if minimum == maximum else f"at least {minimum}"
            problems.append(f"inventory group '{group}': expected {expected} host(s), found {len(members)}")
            continue
        hosts[group] = {}
        for host in members:
            values = {
                name: host_variable(host, name) for name in model.model_fields if host_has(host, name)
            }
            try:
                hosts[group][host] = model.model_validate(values)
            except ValidationError as exc:
                problems.extend(describe(exc, where=f"host {host} (group {group}): "))

    if problems:
        raise ConfigError(problems)
    assert isinstance(settings, DrillSettings)
    gates, preconditions = sections["validation_gates_"], sections["preconditions_"]
    assert isinstance(gates, GatesSettings) and isinstance(preconditions, PreconditionsSettings)
    config = DrillConfig(settings=settings, gates=gates, preconditions=preconditions, hosts=hosts, scenarios=scenarios)
    _cross_checks(config, groups)
    return config


def production_guard(settings: DrillSettings) -> list[str]:
    """A production inventory refuses fault-injecting scenarios without an explicit, confirmed opt-in."""
    if not (settings.is_production and settings.drill_scenarios):
        return []
    if not settings.drill_allow_production:
        return [
            "drill_allow_production: this inventory is production (drill_environment_class: production); "
            f"scenarios {settings.drill_scenarios} inject faults and need drill_allow_production: true "
            "and drill_confirm_id set to the drill id (hadrill run --allow-production --drill-id ID --confirm-id ID)"
        ]
    if not settings.drill_id or settings.drill_confirm_id != settings.drill_id:
        return [
            "drill_confirm_id: a production drill needs an explicit drill_id and drill_confirm_id equal to it "
            "(type the id twice to confirm)"
        ]
    return []


def _cross_checks(config: DrillConfig, groups: Mapping[str, list[str]]) -> None:
    problems = []
    known_hosts = {host for members in groups.values() for host in members} | {"localhost"}
    for index, gate in enumerate(config.gates.validation_gates_commands):
        if gate.host not in known_hosts:
            problems.append(
                f"validation_gates_commands[{index}].host: expected an inventory host or 'localhost', got {gate.host!r}"
            )
    duplicates = repeated([gate.name for gate in config.gates.validation_gates_commands])
    if duplicates:
        problems.append(f"validation_gates_commands: gate names must be unique, repeated: {duplicates}")
    for model in config.scenarios.values():
        # A scenario model may check what only the inventory's groups reveal (e.g. host names).
        cross_check = getattr(model, "cross_check", None)
        if callable(cross_check):
            problems.extend(cross_check(groups))
        # ... or what the validated host settings reveal (e.g. what a restore method needs).
        cross_check_hosts = getattr(model, "cross_check_hosts", None)
        if callable(cross_check_hosts):
            problems.extend(cross_check_hosts(config))
    if problems:
        raise ConfigError(problems)
