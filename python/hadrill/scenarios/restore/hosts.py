"""The database facts the restore actions read from the inventory (never from task arguments)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from hadrill.config.targets import DbPrimaryHost


class HostError(ValueError):
    pass


def db_primary_name(groups: Mapping[str, list[str]], explicit: str | None = None) -> str:
    name = explicit or (groups.get("db_primary") or [None])[0]
    if not name:
        raise HostError("no db_primary host: define the db_primary group")
    return name


def db_settings(hostvars: Mapping[str, Any], host: str, template: Callable[[Any], Any]) -> DbPrimaryHost:
    """The validated ``db_*`` variables of ``host`` (templated one by one, only those we read)."""
    if host not in hostvars:
        raise HostError(f"{host!r} is not an inventory host")
    values = hostvars[host]
    fields = {name: template(values[name]) for name in DbPrimaryHost.model_fields if name in values}
    try:
        return DbPrimaryHost.model_validate(fields)
    except ValidationError as exc:
        raise HostError(f"database settings of {host} are invalid: {exc}") from None
