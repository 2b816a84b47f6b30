"""Build and validate the whole drill configuration from inventory variables.

Called by the drill's first task (action plugin) and by ``hadrill run`` before ansible-runner
starts, so a typo stops the drill before any host is touched. Every problem is reported at
once, each naming the variable (and host) and what was expected.
"""

from __future__ import annotations

import copy

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from hadrill.config.bounds import duration_problems, max_duration, threshold_problems
from hadrill.config.common import SCENARIOS, DrillSettings, repeated
from hadrill.config.errors import ConfigError, Unreadable, describe, first_line, location, suggest
from hadrill.config.gates import GatesSettings, PreconditionsSettings
from hadrill.config.guard import environment_class_problems, extra_var_problems, production_guard
from hadrill.config.hosts import INVENTORY, LOCALHOST, InventoryView, view_from
from hadrill.config.paths import PROTECTED, controller_path_problem, protected_paths
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
    # The inventory's hosts and groups as validation saw them (what tells machines apart).
    inventory: InventoryView = field(default_factory=InventoryView)

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


def _section_values(variables: Mapping[str, Any], prefix: str, owners: list[str]) -> list[str]:
    """Names of the variables under ``prefix`` that no longer prefix claims (values not read)."""
    longer = [other for other in owners if other != prefix and other.startswith(prefix)]
    return [name for name in variables if name.startswith(prefix) and not any(name.startswith(other) for other in longer)]


_SKIP = object()
# What validation reads of every host besides its group's model: the environment class (the same
# on every host) and what tells machines apart.
HOST_FACTS = ("drill_environment_class", "ansible_host", "ansible_connection")
# Database directories of the db_primary host that no path hadrill owns may touch (config.paths).
PROTECTED_HOST_PATHS = ("db_data_dir", "db_wal_archive_dir", "db_basebackup_dir")
PROTECTED_PLAY_PATHS = ("db_restore_pgbackrest_repo_path",)


class _Reader:
    """Reads variables one at a time; a value that cannot be read becomes a problem naming it."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        self.failed: set[tuple[str, str]] = set()

    def read(self, get: Callable[[str], Any], name: str, where: str = "") -> Any:
        try:
            value = get(name)
        except Exception as exc:  # a template error, an undefined variable, a vault value without password
            reason: str = first_line(exc)
        else:
            if not isinstance(value, Unreadable):
                return value
            reason = value.reason
        self.failed.add((where, name))
        self.problems.append(f"{where}{name}: cannot be templated: {reason}")
        return _SKIP

    def host(self, host_variable: Callable[[str, str], Any], host_has: Callable[[str, str], bool],
             host: str, name: str, where: str) -> Any:
        try:
            present = host_has(host, name)
        except Exception:
            present = False
        if not present:
            return _SKIP
        return self.read(lambda key: host_variable(host, key), name, where)


def _validate_section(
    model: type[BaseModel], values: dict[str, Any], problems: list[str], where: str = "",
    *, context: Mapping[str, Any] | None = None, unreadable: set[str] | None = None,
    partial: list[BaseModel | None] | None = None, failed: set[str] | None = None,
) -> BaseModel | None:
    """The section's model, or None with its problems added to ``problems``. With ``partial``, a
    section that failed also appends what validates without its failed variables (or None), and
    adds their names to ``failed``."""
    for name in values:
        if name not in model.model_fields:
            problems.append(f"{where}{name}: unknown variable{suggest(name, model.model_fields)}")
    known = {name: value for name, value in values.items() if name in model.model_fields}
    try:
        return model.model_validate(known, context=dict(context or {}))
    except ValidationError as exc:
        # A variable that could not be read is already named; "required but not set" would mislead.
        hidden = {f"{where}{name}: required but not set" for name in unreadable or ()}
        problems.extend(line for line in describe(exc, where=where) if line not in hidden)
        if partial is not None:
            partial.append(_without_failed_fields(model, known, exc, problems, where, context, failed))
        return None


def _without_failed_fields(
    model: type[BaseModel], known: dict[str, Any], error: ValidationError, problems: list[str], where: str,
    context: Mapping[str, Any] | None, failed: set[str] | None,
) -> BaseModel | None:
    """The section validated again without its failed values (each left at its default), so that
    the checks between fields (a model's own, and the thresholds and cross checks that need a
    validated section) still report in the same pass. A check that names a failed value is not
    reported: it would judge a default the inventory did not set. None when a failed value has no
    default. The failed values' dotted names are added to ``failed``."""
    rest = copy.deepcopy(known)
    names = set()
    for item in error.errors():
        path = _prunable(rest, item["loc"])
        if not path:
            return None
        names.add(location("", path))
    if failed is not None:
        failed.update(names)
    try:
        return model.model_validate(rest, context=dict(context or {}))
    except ValidationError as second:
        problems.extend(line for line in describe(second, where=where)
                        if not any(name in line for name in names) and line not in problems)
        return None


def _prunable(values: dict[str, Any], loc: tuple[int | str, ...]) -> list[int | str]:
    """Remove the innermost mapping key on ``loc`` from ``values``; its path, or [] if none is
    (a model-wide error, or a value missing altogether)."""
    path: list[int | str] = []
    container: Any = values
    deepest: tuple[dict[str, Any], str, list[int | str]] | None = None
    for part in loc:
        if isinstance(container, dict) and isinstance(part, str) and part in container:
            deepest = (container, part, path + [part])
        elif not (isinstance(container, list) and isinstance(part, int) and part < len(container)):
            break
        path.append(part)
        container = container[part]
    if deepest is None:
        return []
    holder, key, where = deepest
    del holder[key]
    return where


def validate(
    variables: Mapping[str, Any],
    groups: Mapping[str, list[str]],
    host_variable: Callable[[str, str], Any],
    host_has: Callable[[str, str], bool],
    *,
    extra_vars: Collection[str] = (),
    today: date | None = None,
    evidence_root: str | Path | None = None,
) -> DrillConfig:
    """Validate everything in one pass; raise ConfigError listing every problem found.

    ``variables`` are the play-level variables (group_vars/all and extra vars, as the host the play
    runs on, localhost, sees them); ``host_variable(host, name)`` returns one templated host
    variable and ``host_has`` tells whether it is defined, so only the variables hadrill reads are
    templated. ``extra_vars`` names the variables given as extra vars (some belong to the
    inventory and are refused from there); ``today`` is the UTC date the drill starts on
    (default: now); ``evidence_root`` is where the bundle will be written on the controller.
    """
    _load_scenario_models()
    problems: list[str] = []
    reader = _Reader(problems)
    owners = list(SECTIONS) + [prefix for prefix, _ in SCENARIO_SECTIONS.values()]
    inventory_hosts = sorted({host for members in groups.values() for host in members})

    def play(name: str) -> Any:
        value = reader.read(variables.__getitem__, name) if name in variables else _SKIP
        return None if value is _SKIP else value

    facts: dict[str, dict[str, Any]] = {}
    for host in inventory_hosts:
        facts[host] = {}
        for name in HOST_FACTS:
            value = reader.host(host_variable, host_has, host, name, f"host {host}: ")
            if value is not _SKIP:
                facts[host][name] = value
    view = view_from(groups, facts)
    protected: dict[str, Any] = {}
    for host in groups.get("db_primary", []):
        for name in PROTECTED_HOST_PATHS:
            value = reader.host(host_variable, host_has, host, name, f"host {host} (group db_primary): ")
            if value is not _SKIP:
                protected[f"{name} of {host}"] = value
    for name in PROTECTED_PLAY_PATHS:
        protected[name] = play(name)
    context = {INVENTORY: view, PROTECTED: protected_paths(protected)}
    limit = max_duration({"drill_max_duration_seconds": play("drill_max_duration_seconds")})

    def section_values(prefix: str) -> tuple[dict[str, Any], set[str]]:
        values, unreadable = {}, set()
        for name in _section_values(variables, prefix, owners):
            value = reader.read(variables.__getitem__, name)
            if value is _SKIP:
                unreadable.add(name)
            else:
                values[name] = value
        return values, unreadable

    sections: dict[str, BaseModel | None] = {}
    # What the checks between sections judge: a section whose own variables failed is still
    # checked against the others, as far as it validates without them (one pass finds everything).
    checked: dict[str, BaseModel | None] = {}
    checked_scenarios: dict[str, BaseModel] = {}
    failed: set[str] = set()
    for prefix, model in SECTIONS.items():
        values, unreadable = section_values(prefix)
        salvaged: list[BaseModel | None] = []
        sections[prefix] = _validate_section(model, values, problems, context=context, unreadable=unreadable,
                                             partial=salvaged, failed=failed)
        checked[prefix] = sections[prefix] or (salvaged[0] if salvaged else None)
        problems.extend(duration_problems(model, values, limit))

    settings = sections["drill_"]
    selected = checked["drill_"].drill_scenarios if isinstance(checked["drill_"], DrillSettings) else []
    if isinstance(settings, DrillSettings):
        problems.extend(production_guard(settings, today or datetime.now(timezone.utc).date()))
    classes = {host: facts[host].get("drill_environment_class") for host in inventory_hosts}
    # The play runs on localhost: the play-level variables are its own (and a play or task
    # variable that overrides the class shows here, not in the hosts' variables).
    classes[LOCALHOST if LOCALHOST not in classes else "the play's variables"] = play("drill_environment_class")
    problems.extend(environment_class_problems(classes))
    inventory_class = play("drill_environment_class")
    problems.extend(extra_var_problems(extra_vars, inventory_class if isinstance(inventory_class, str) else None))
    if evidence_root is not None:
        refused = controller_path_problem(str(evidence_root), context[PROTECTED])
        if refused:
            problems.append(f"drill_evidence_root: the evidence root (drill_evidence_root, --evidence-root or "
                            f"HADRILL_EVIDENCE_ROOT) {refused}")

    scenarios: dict[str, BaseModel] = {}
    for scenario, (prefix, model) in SCENARIO_SECTIONS.items():
        if scenario in selected:
            values, unreadable = section_values(prefix)
            salvaged_scenario: list[BaseModel | None] = []
            validated = _validate_section(model, values, problems, context=context, unreadable=unreadable,
                                          partial=salvaged_scenario, failed=failed)
            problems.extend(duration_problems(model, values, limit))
            if validated is not None:
                scenarios[scenario] = validated
            as_checked = validated or (salvaged_scenario[0] if salvaged_scenario else None)
            if as_checked is not None:
                checked_scenarios[scenario] = as_checked
        else:
            for name in _section_values(variables, prefix, owners):
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
            where = f"host {host} (group {group}): "
            values, unreadable = {}, set()
            for name in model.model_fields:
                value = reader.host(host_variable, host_has, host, name, where)
                if value is not _SKIP:
                    values[name] = value
                elif (where, name) in reader.failed:
                    unreadable.add(name)
            validated = _validate_section(model, values, problems, where, context=context, unreadable=unreadable)
            if validated is not None:
                hosts[group][host] = validated

    gates, preconditions = sections["validation_gates_"], sections["preconditions_"]
    config = None
    if isinstance(settings, DrillSettings) and isinstance(gates, GatesSettings) and isinstance(preconditions, PreconditionsSettings):
        config = DrillConfig(settings=settings, gates=gates, preconditions=preconditions, hosts=hosts,
                             scenarios=scenarios, inventory=view)
    between: list[str] = []
    checked_settings = checked["drill_"]
    if isinstance(checked_settings, DrillSettings):
        between.extend(threshold_problems(checked_settings.drill_thresholds, checked_scenarios))
    between.extend(_cross_checks(config, checked["validation_gates_"], checked_scenarios, groups))
    # A check that involves a variable which failed on its own would judge its default instead.
    problems.extend(line for line in between if not any(name in line for name in failed))
    if problems or config is None:
        raise ConfigError(list(dict.fromkeys(problems)))
    return config


def _cross_checks(config: DrillConfig | None, gates: BaseModel | None, scenarios: Mapping[str, BaseModel],
                 groups: Mapping[str, list[str]]) -> list[str]:
    """Problems between validated settings (each model that validated is checked, whatever failed elsewhere)."""
    problems = []
    if isinstance(gates, GatesSettings):
        duplicates = repeated([gate.name for gate in gates.validation_gates_commands])
        if duplicates:
            problems.append(f"validation_gates_commands: gate names must be unique, repeated: {duplicates}")
    for model in scenarios.values():
        # A scenario model may check what only the inventory's groups reveal (e.g. host names).
        cross_check = getattr(model, "cross_check", None)
        if callable(cross_check):
            problems.extend(cross_check(groups))
        # ... or what the validated host settings reveal (e.g. what a restore method needs).
        cross_check_hosts = getattr(model, "cross_check_hosts", None)
        if callable(cross_check_hosts) and config is not None:
            problems.extend(cross_check_hosts(config))
    return problems
