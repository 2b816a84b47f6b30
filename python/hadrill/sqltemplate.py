"""The drill's placeholders in SQL the inventory supplies (``${drill_id}``, ``${scenario}``, ``${run}``).

In SQL only the braced form ``${name}`` is a placeholder: ``$1`` (a positional parameter), ``$$``
and ``$tag$`` (dollar quoting) are PostgreSQL's own and are left alone. A placeholder becomes a
quoted string literal (``scope = ${drill_id}``, ``scope LIKE ${scenario} || '-%'``), so a
statement run without parameters keeps ``%`` literal, and one run with parameters (``%(ids)s``)
is unaffected. Every query the drill runs is filled the same way: the restore snapshot's queries,
the backlog sampler's, the replay proof's and the cleanup statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def placeholders(query: str) -> list[str]:
    """The names of the ``${name}`` placeholders in ``query``, in order."""
    return [match.group(1) for match in PLACEHOLDER.finditer(query or "")]


def unknown(query: str, known: Iterable[str]) -> list[str]:
    """Placeholders of ``query`` that are not in ``known``: sorted, unique."""
    names = set(known)
    return sorted({name for name in placeholders(query) if name not in names})


def sql_literal(value: str) -> str:
    """A SQL string literal (standard_conforming_strings, PostgreSQL's default since 9.1)."""
    if "\0" in value:
        raise ValueError("a SQL string cannot hold a NUL character")
    return "'" + value.replace("'", "''") + "'"


def fill(query: str, values: Mapping[str, str]) -> str:
    """``query`` with each placeholder named in ``values`` replaced by its quoted literal."""
    return PLACEHOLDER.sub(lambda match: sql_literal(str(values[match.group(1)])) if match.group(1) in values
                           else match.group(0), query)
