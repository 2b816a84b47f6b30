"""Settings that name an inventory host, and what the inventory says about its hosts.

A host setting is checked while its model is validated (``hadrill.config.validate`` passes the
inventory in the validation context), so it is reported in the same pass as every other problem;
a model validated without that context (an action plugin's arguments) skips the check.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationInfo

# Validation context key: the InventoryView of the inventory being validated.
INVENTORY = "inventory"
LOCALHOST = "localhost"


@dataclass(frozen=True)
class InventoryView:
    """The inventory's hosts and groups, and the few facts that tell machines apart."""

    groups: Mapping[str, list[str]] = field(default_factory=dict)
    # host -> ansible_host (the address Ansible connects to), when set
    addresses: Mapping[str, str] = field(default_factory=dict)
    # hosts whose connection is local (they are the controller)
    local: frozenset[str] = frozenset()

    @property
    def hosts(self) -> list[str]:
        """Every inventory host (implicit localhost is not one)."""
        return sorted({host for members in self.groups.values() for host in members})

    def knows(self, host: str) -> bool:
        return host == LOCALHOST or host in self.hosts

    def machine(self, host: str) -> str:
        """What identifies the machine a host is: the controller for localhost and local
        connections, else its ansible_host, else its name."""
        if host == LOCALHOST or host in self.local:
            return "<controller>"
        address = self.addresses.get(host)
        if address and is_loopback(address):
            return "<controller>"
        return address or host

    def same_machine(self, first: str, second: str) -> bool:
        return self.machine(first) == self.machine(second)

    def addresses_of(self, host: str) -> set[str]:
        """Names and addresses by which the controller may reach ``host``: its inventory name and
        its ansible_host."""
        found = {host}
        if self.addresses.get(host):
            found.add(self.addresses[host])
        return found


def is_loopback(address: str) -> bool:
    if address == LOCALHOST:
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _view(info: ValidationInfo) -> InventoryView | None:
    context = info.context or {}
    view = context.get(INVENTORY) if isinstance(context, Mapping) else None
    return view if isinstance(view, InventoryView) else None


def _inventory_host(value: str, info: ValidationInfo) -> str:
    view = _view(info)
    if view is not None and not view.knows(value):
        raise ValueError(f"expected an inventory host or 'localhost', got {value!r}")
    return value


def members_of(group: str, what: str):
    """An after-validator: every host of a list is a host of ``group`` (``what`` names one item
    in the message, e.g. 'canary host')."""

    def check(value: list[str], info: ValidationInfo) -> list[str]:
        view = _view(info)
        if view is None:
            return value
        members = list(view.groups.get(group, []))
        unknown = [host for host in value if host not in members]
        if unknown:
            raise ValueError(f"expected hosts of the {group!r} group {members}, got {unknown}")
        return value

    check.__doc__ = f"each {what} is a host of the {group!r} group"
    return AfterValidator(check)


# A setting naming the inventory host something runs on ('localhost' is the controller).
InventoryHost = Annotated[str, AfterValidator(_inventory_host)]


def view_from(groups: Mapping[str, Iterable[str]], host_facts: Mapping[str, Mapping[str, Any]]) -> InventoryView:
    """An InventoryView from the groups and each host's ansible_host/ansible_connection."""
    addresses = {host: str(facts["ansible_host"]) for host, facts in host_facts.items()
                 if isinstance(facts.get("ansible_host"), (str, int)) and str(facts.get("ansible_host"))}
    local = frozenset(host for host, facts in host_facts.items() if facts.get("ansible_connection") == "local")
    return InventoryView(groups={name: list(members) for name, members in groups.items()}, addresses=addresses,
                         local=local)
