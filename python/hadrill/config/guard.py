"""The production guard's rules, as pure functions over values the caller reads.

``hadrill.config.validate`` applies them before a drill starts; the run-time guard checked at
each fault site applies the same functions to what it reads from Ansible. Each returns problem
lines (empty when the rule holds), every line starting with the variable it is about.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from hadrill.config.common import ENVIRONMENT_CLASSES, DrillSettings
from hadrill.layout import DRILL_ID_PATTERN

# Variables a run may never take from extra vars (-e, AWX extra variables or a survey): they are
# properties of the inventory. drill_environment only on a production inventory, whose name
# the drill id, the locks and the opt-in are tied to; elsewhere one inventory may serve several
# environments (the sandbox's -e @vars files name theirs).
ALWAYS_FROM_INVENTORY = ("drill_environment_class",)
PRODUCTION_FROM_INVENTORY = ("drill_environment",)


def production_guard(settings: DrillSettings, today: date) -> list[str]:
    """A production inventory refuses fault-injecting scenarios without an explicit, confirmed,
    same-day opt-in for this environment.

    ``today`` is the UTC date the drill starts on (a run-time check of a started drill passes the
    date of its start, not the date at the fault, so that a drill crossing midnight keeps its id).
    The drill id must be ``ha_drill_<today>_<drill_environment>_<NN>`` and ``drill_confirm_id``
    must repeat it.
    """
    if not (settings.is_production and settings.drill_scenarios):
        return []
    if not settings.drill_allow_production:
        return [
            "drill_allow_production: this inventory is production (drill_environment_class: production); "
            f"scenarios {settings.drill_scenarios} inject faults and need drill_allow_production: true "
            "and drill_confirm_id set to the drill id (hadrill run --allow-production --drill-id ID --confirm-id ID)"
        ]
    expected = f"ha_drill_{today:%Y%m%d}_{settings.drill_environment}_<NN>"
    problems = []
    match = DRILL_ID_PATTERN.match(settings.drill_id or "")
    if not settings.drill_id:
        problems.append(f"drill_id: a production drill needs an explicit drill id, expected {expected} (hadrill run --drill-id)")
    elif match is None:
        problems.append(f"drill_id: expected {expected}, got {settings.drill_id!r}")
    else:
        if match.group("environment") != settings.drill_environment:
            problems.append(
                f"drill_id: expected the environment part {settings.drill_environment!r} (this inventory's "
                f"drill_environment), i.e. {expected}, got {settings.drill_id!r}"
            )
        if match.group("date") != f"{today:%Y%m%d}":
            problems.append(
                f"drill_id: expected today's date {today:%Y%m%d} (UTC), i.e. {expected}, got {settings.drill_id!r}"
            )
    if settings.drill_id and settings.drill_confirm_id != settings.drill_id:
        problems.append(
            f"drill_confirm_id: expected the drill id typed again ({settings.drill_id}), got {settings.drill_confirm_id!r}"
        )
    return problems


def environment_class_problems(classes_by_host: Mapping[str, Any]) -> list[str]:
    """Every host of the inventory (and the host the play runs on) resolves drill_environment_class
    to the same known value. ``classes_by_host`` maps each host to what it resolves (None: unset)."""
    if not classes_by_host:
        return ["drill_environment_class: the inventory has no host to read it from"]
    problems = []
    missing = sorted(host for host, value in classes_by_host.items() if value is None or value == "")
    if missing:
        problems.append(
            f"drill_environment_class: not set for {', '.join(missing)}; expected one of "
            f"{list(ENVIRONMENT_CLASSES)} on every host (set it in group_vars/all): a missing class is never "
            "taken to mean staging"
        )
    values: dict[str, list[str]] = {}
    for host, value in classes_by_host.items():
        if value is not None and value != "":
            values.setdefault(str(value), []).append(host)
    if len(values) > 1:
        detail = "; ".join(f"{value!r} on {', '.join(sorted(hosts))}" for value, hosts in sorted(values.items()))
        problems.append(
            f"drill_environment_class: expected the same class on every host of the inventory, got {detail}"
        )
    return problems


def extra_var_problems(names: Collection[str], environment_class: str | None) -> list[str]:
    """Variables given as extra vars that belong to the inventory. ``environment_class`` is the
    inventory's class (an extra var of the class itself is refused whatever it says)."""
    problems = [
        f"{name}: given as an extra var (-e, AWX extra variables or survey), but it is a property of the "
        "inventory and cannot be overridden for a run; set it in the inventory (group_vars/all)"
        for name in ALWAYS_FROM_INVENTORY if name in names
    ]
    if environment_class == "production":
        problems += [
            f"{name}: given as an extra var on a production inventory; the drill id, the drill locks and the "
            "production opt-in are tied to the inventory's own value: set it in the inventory"
            for name in PRODUCTION_FROM_INVENTORY if name in names
        ]
    return problems
