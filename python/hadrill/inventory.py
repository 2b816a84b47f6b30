"""Read an Ansible inventory the way ansible-playbook will, to validate before anything runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hadrill.config import DrillConfig, validate
from hadrill.extravars import ExtraVars, ExtraVarsError
from hadrill.config.loader import GROUPS, SCENARIO_SECTIONS, SECTIONS, _load_scenario_models


class InventoryError(RuntimeError):
    pass


@dataclass
class ResolvedInventory:
    """The variables hadrill reads, templated: play-level ones and each host's."""

    variables: dict[str, Any]
    groups: dict[str, list[str]]
    hosts: dict[str, dict[str, Any]]

    def validate(self) -> DrillConfig:
        return validate(
            self.variables, self.groups,
            lambda host, name: self.hosts[host][name],
            lambda host, name: name in self.hosts[host],
        )


def ansible_loader(vault_password_file: Path | None) -> Any:
    """A DataLoader that can decrypt vault values with the operator's password file."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.parsing.vault import VaultSecret, VaultSecretsContext

    secrets = [("default", VaultSecret(vault_password_file.read_bytes().strip()))] if vault_password_file else []
    loader = DataLoader()
    loader.set_vault_secrets(secrets)
    # Ansible decrypts lazily, through one process-wide context it expects to be set up once.
    current = VaultSecretsContext.current(optional=True)
    if current is None:
        VaultSecretsContext.initialize(VaultSecretsContext(secrets))
    else:
        current.secrets = secrets
    return loader


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
        variables = {name: templar.template(value) for name, value in play_vars.items() if name.startswith(prefixes)}
        groups = {name: [host.name for host in group.get_hosts()] for name, group in manager.groups.items()}
        hosts: dict[str, dict[str, Any]] = {}
        for host in manager.get_hosts():
            # Only the fields of the host's own groups: an API host's platform command may use
            # variables the database host does not have.
            names = set().union(*(fields for group, fields in group_fields.items() if host.name in groups.get(group, [])))
            raw = {**variable_manager.get_vars(host=host), **extra_vars}
            host_templar = Templar(loader=loader, variables=raw)
            hosts[host.name] = {name: host_templar.template(raw[name]) for name in names if name in raw}
    except (AnsibleError, ExtraVarsError) as exc:
        raise InventoryError(f"cannot read inventory {inventory}: {exc}") from None
    return ResolvedInventory(variables=variables, groups=groups, hosts=hosts)


def load_config(
    inventory: Path,
    extra_vars: ExtraVars | Mapping[str, Any],
    *,
    vault_password_file: Path | None = None,
) -> DrillConfig:
    """Validate the drill configuration an inventory (plus extra vars) would produce."""
    return resolve(inventory, extra_vars, vault_password_file=vault_password_file).validate()
