"""``${name}`` placeholders in the inventory's restore commands, process commands and requests.

``string.Template`` syntax (as in ``hadrill.httpspec``) so the placeholders never clash with
Jinja2: Ansible templates the inventory first, the drill fills these in at run time, once the
value (the restored instance's host and port, the target time...) is known.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from typing import Any

# What each kind of inventory string may refer to.
INSTANCE = ("drill_id", "drill_slug", "target", "target_time", "target_time_iso", "incident_time", "port")
PROCESS = ("drill_id", "db_host", "db_port", "api_port")
# Smoke requests: hadrill.httpspec.PLACEHOLDERS["smoke"].


def identifiers(text: str) -> list[str]:
    return string.Template(text).get_identifiers()


def unknown(texts: Iterable[str], allowed: Iterable[str]) -> list[str]:
    """Placeholders used in ``texts`` that are not in ``allowed`` (sorted, unique)."""
    known = set(allowed)
    return sorted({name for text in texts for name in identifiers(text) if name not in known})


def fill(value: Any, values: Mapping[str, Any]) -> Any:
    """Replace known placeholders in a string, or in every string of a list/dict."""
    if isinstance(value, str):
        return string.Template(value).safe_substitute({key: str(item) for key, item in values.items()})
    if isinstance(value, Mapping):
        return {key: fill(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, values) for item in value]
    return value
