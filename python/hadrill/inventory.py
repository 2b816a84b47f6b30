"""Read an Ansible inventory the way ansible-playbook will, to validate before anything runs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hadrill.config import DrillConfig, validate


class InventoryError(RuntimeError):
    pass


def load_config(
    inventory: Path,
    extra_vars: Mapping[str, Any],
    *,
    vault_password_file: Path | None = None,
) -> DrillConfig:
    """Validate the drill configuration an inventory (plus extra vars) would produce."""
    from ansible import context
    from ansible.errors import AnsibleError
    from ansible.inventory.manager import InventoryManager
    from ansible.module_utils.common.collections import ImmutableDict
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    from ansible.vars.manager import VariableManager

    if not inventory.exists():
        raise InventoryError(f"inventory {inventory} does not exist")
    if not context.CLIARGS:
        context.CLIARGS = ImmutableDict(extra_vars=(), tags=(), skip_tags=(), check=False, diff=False)
    loader = DataLoader()
    if vault_password_file is not None:
        from ansible.parsing.vault import VaultSecret

        secret = vault_password_file.read_bytes().strip()
        loader.set_vault_secrets([("default", VaultSecret(secret))])
    try:
        manager = InventoryManager(loader=loader, sources=[str(inventory)])
        variables = VariableManager(loader=loader, inventory=manager)
        localhost = manager.localhost or manager.get_host("localhost")
        play_vars = {**variables.get_vars(host=localhost), **extra_vars}
        templar = Templar(loader=loader, variables=play_vars)
        groups = {name: [host.name for host in group.get_hosts()] for name, group in manager.groups.items()}
        host_cache: dict[str, dict[str, Any]] = {}

        def host_vars(host: str) -> dict[str, Any]:
            if host not in host_cache:
                host_cache[host] = {**variables.get_vars(host=manager.get_host(host)), **extra_vars}
            return host_cache[host]

        class LazyPlayVars(Mapping):
            def __getitem__(self, key: str) -> Any:
                return templar.template(play_vars[key])

            def __iter__(self):
                return iter(play_vars)

            def __len__(self) -> int:
                return len(play_vars)

        return validate(
            LazyPlayVars(),
            groups,
            lambda host, name: Templar(loader=loader, variables=host_vars(host)).template(host_vars(host)[name]),
            lambda host, name: name in host_vars(host),
        )
    except AnsibleError as exc:
        raise InventoryError(f"cannot read inventory {inventory}: {exc}") from None
