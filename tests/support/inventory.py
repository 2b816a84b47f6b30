"""A fake inventory for the pure-logic tests of ``hadrill.config.validate``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def host_lookups(variables: Mapping[str, Any], hosts: Mapping[str, Mapping[str, Any]]
                 ) -> tuple[Callable[[str, str], Any], Callable[[str, str], bool]]:
    """``host_variable`` and ``host_has`` as Ansible answers them: a host's own variables first,
    then the play's (group_vars/all, which every host inherits, as drill_environment_class)."""

    def host_variable(host: str, name: str) -> Any:
        own = hosts.get(host, {})
        return own[name] if name in own else variables[name]

    def host_has(host: str, name: str) -> bool:
        return name in hosts.get(host, {}) or name in variables

    return host_variable, host_has
