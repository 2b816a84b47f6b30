"""Read an Ansible inventory the way ansible-playbook will, to validate before anything runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from hadrill.config import DrillConfig, validate
from hadrill.config.errors import Unreadable, first_line
from hadrill.config.loader import GROUPS, HOST_FACTS, PROTECTED_HOST_PATHS, SCENARIO_SECTIONS, SECTIONS, _load_scenario_models
from hadrill.extravars import ExtraVars, ExtraVarsError, yaml_problem

YAML_SUFFIXES = (".yml", ".yaml", ".json")


class InventoryError(RuntimeError):
    pass


@dataclass
class ResolvedInventory:
    """The variables hadrill reads, templated: play-level ones and each host's."""

    variables: dict[str, Any]
    groups: dict[str, list[str]]
    hosts: dict[str, dict[str, Any]]
    # The names given as extra vars (some belong to the inventory and are refused from there).
    extra_vars: frozenset[str] = field(default_factory=frozenset)

    def validate(self, *, today: date | None = None, evidence_root: Path | None = None) -> DrillConfig:
        return validate(
            self.variables, self.groups,
            lambda host, name: self.hosts[host][name],
            lambda host, name: name in self.hosts[host],
            extra_vars=self.extra_vars, today=today, evidence_root=evidence_root,
        )


def inventory_files(inventory: Path) -> list[Path]:
    """The YAML files Ansible reads for an inventory: the source (a file, or every file of a
    directory) and the group_vars/host_vars beside it."""
    roots = [inventory] if inventory.is_dir() else [inventory.parent / "group_vars", inventory.parent / "host_vars"]
    found = [inventory] if inventory.is_file() and inventory.suffix in YAML_SUFFIXES else []
    for root in roots:
        if root.is_dir():
            found += sorted(path for path in root.rglob("*")
                            if path.is_file() and path.suffix in YAML_SUFFIXES and not path.name.startswith("."))
    return found


def check_inventory_files(inventory: Path) -> None:
    """Refuse an inventory with a YAML error, naming the file, line and column (Ansible would
    skip an unparsable hosts file with warnings and go on with an empty inventory)."""
    problems = [problem for path in inventory_files(inventory) if (problem := yaml_problem(path))]
    if problems:
        raise InventoryError(f"cannot read inventory {inventory}: " + "; ".join(problems))


def _vaulted(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(14) == b"$ANSIBLE_VAULT"
    except OSError:
        return False


def _template(templar: Any, value: Any) -> Any:
    """The templated value, or Unreadable saying why (validation then names the variable)."""
    try:
        return templar.template(value)
    except Exception as exc:  # undefined variables, a vault value without its password, filter errors
        return Unreadable(first_line(exc))


def ansible_loader(vault_password_file: Path | None) -> Any:
    """A DataLoader that can decrypt vault values with the operator's password file."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.parsing.vault import VaultSecret

    secrets = [("default", VaultSecret(vault_password(vault_password_file)))] if vault_password_file else []
    loader = DataLoader()
    loader.set_vault_secrets(secrets)
    try:
        from ansible.parsing.vault import VaultSecretsContext
    except ImportError:  # ansible-core before 2.19 decrypts with the loader's own secrets
        return loader
    # Ansible 2.19+ decrypts lazily, through one process-wide context it expects to be set up once.
    current = VaultSecretsContext.current(optional=True)
    if current is None:
        VaultSecretsContext.initialize(VaultSecretsContext(secrets))
    else:
        current.secrets = secrets
    return loader


def vault_password(path: Path) -> bytes:
    if not path.is_file():
        raise InventoryError(f"--vault-password-file {path}: no such file")
    try:
        return path.read_bytes().strip()
    except OSError as exc:
        raise InventoryError(f"--vault-password-file {path}: cannot be read ({exc.strerror})") from None


def resolve(
    inventory: Path,
    extra_vars: ExtraVars | Mapping[str, Any],
    *,
    vault_password_file: Path | None = None,
) -> ResolvedInventory:
    """Template every variable hadrill reads (prefixed play variables, each group's host fields)."""
    from ansible import context
    from ansible.errors import AnsibleError
    from ansible.inventory.manager import InventoryManager
    from ansible.module_utils.common.collections import ImmutableDict
    from ansible.template import Templar
    from ansible.vars.manager import VariableManager

    if not inventory.exists():
        raise InventoryError(f"inventory {inventory} does not exist")
    check_inventory_files(inventory)
    if not context.CLIARGS:
        context.CLIARGS = ImmutableDict(extra_vars=(), tags=(), skip_tags=(), check=False, diff=False)
    _load_scenario_models()
    prefixes = tuple(SECTIONS) + tuple(prefix for prefix, _ in SCENARIO_SECTIONS.values())
    group_fields = {group: set(model.model_fields) for group, (model, _, _) in GROUPS.items()}
    loader = ansible_loader(vault_password_file)
    extra = extra_vars if isinstance(extra_vars, ExtraVars) else ExtraVars(inline=dict(extra_vars))
    try:
        extra_vars = extra.load(loader)
        manager = InventoryManager(loader=loader, sources=[str(inventory)])
        variable_manager = VariableManager(loader=loader, inventory=manager)
        # What the task executor provides during a play: templates may use hostvars[...].
        from ansible.vars.hostvars import HostVars

        variable_manager._hostvars = HostVars(inventory=manager, variable_manager=variable_manager, loader=loader)
        localhost = manager.localhost or manager.get_host("localhost")
        play_vars = {**variable_manager.get_vars(host=localhost), **extra_vars}
        templar = Templar(loader=loader, variables=play_vars)
        variables = {name: _template(templar, value) for name, value in play_vars.items() if name.startswith(prefixes)}
        groups = {name: [host.name for host in group.get_hosts()] for name, group in manager.groups.items()}
        hosts: dict[str, dict[str, Any]] = {}
        for host in manager.get_hosts():
            # Only the fields of the host's own groups: an API host's platform command may use
            # variables the database host does not have.
            names = set().union(*(fields for group, fields in group_fields.items() if host.name in groups.get(group, [])))
            names |= set(HOST_FACTS) | (set(PROTECTED_HOST_PATHS) if host.name in groups.get("db_primary", []) else set())
            raw = {**variable_manager.get_vars(host=host), **extra_vars}
            host_templar = Templar(loader=loader, variables=raw)
            hosts[host.name] = {name: _template(host_templar, raw[name]) for name in names if name in raw}
    except ExtraVarsError as exc:
        raise InventoryError(str(exc)) from None
    except AnsibleError as exc:
        message = first_line(exc)
        if "decrypt" in message.lower() or "vault" in message.lower():
            vaulted = [str(path) for path in inventory_files(inventory) if _vaulted(path)]
            given = f"--vault-password-file {vault_password_file}" if vault_password_file else "no --vault-password-file"
            message += (f" ({given}; vault-encrypted: {', '.join(vaulted)})" if vaulted
                        else f" ({given}; a value of the inventory is vault-encrypted)")
        raise InventoryError(f"cannot read inventory {inventory}: {message}") from None
    return ResolvedInventory(variables=variables, groups=groups, hosts=hosts, extra_vars=frozenset(extra_vars))


def load_config(
    inventory: Path,
    extra_vars: ExtraVars | Mapping[str, Any],
    *,
    vault_password_file: Path | None = None,
    evidence_root: Path | None = None,
) -> DrillConfig:
    """Validate the drill configuration an inventory (plus extra vars) would produce; with
    ``evidence_root``, also where its bundle would be written."""
    return resolve(inventory, extra_vars, vault_password_file=vault_password_file).validate(evidence_root=evidence_root)
