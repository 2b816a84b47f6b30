"""Turn validation failures into messages that name the inventory variable and what was expected."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError


class ConfigError(ValueError):
    """The drill configuration is invalid; ``problems`` lists one readable line per fault."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("invalid drill configuration:\n" + "\n".join(f"  - {item}" for item in self.problems))


def _describe_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def location(prefix: str, loc: Iterable[Any]) -> str:
    """A pydantic error location as the inventory writes it: ``name.key[0].field``."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in {"function-after", "function-before", "union", "tagged-union"}:
            continue
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


def describe(error: ValidationError, *, where: str = "", prefix: str = "") -> list[str]:
    """One line per pydantic error: ``<host: >variable.path: expected ..., got ...``."""
    lines = []
    for item in error.errors(include_url=False):
        loc = [part for part in item["loc"] if not (isinstance(part, str) and part.startswith("function-"))]
        name = location(prefix, loc)
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        if item["type"] == "missing":
            text = f"{name}: required but not set"
        elif item["type"] == "extra_forbidden":
            text = f"{name}: unknown variable"
        else:
            text = f"{name}: {message[0].lower() + message[1:]}"
            if "input" in item and item["type"] not in {"value_error", "assertion_error"}:
                text += f", got {_describe_value(item['input'])}"
        lines.append(f"{where}{text}")
    return lines


def suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


class Unreadable:
    """Stands for a variable whose value could not be read (its template failed, a vault value
    without the password): validation names the variable and why, instead of failing as a whole."""

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self) -> str:
        return f"Unreadable({self.reason!r})"


def first_line(error: BaseException | str, limit: int = 300) -> str:
    """The first line of an error message, shortened: enough to say what failed."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if type(error).__name__ == "AnsibleUndefinedVariable" and "undefined" not in text:
        # Ansible names only the undefined expression, e.g. hostvars['api-1'] for a host not in the inventory.
        text = f"{text} is undefined"
    return text if len(text) <= limit else text[: limit - 3] + "..."
