"""SQL the inventory supplies, checked the way psycopg will read it.

psycopg sends a query without parameters as it is (a ``%`` is a literal ``%``). A query run with
parameters is parsed for placeholders: each ``%`` must start ``%%`` (a literal ``%``) or a named
placeholder ``%(name)s`` (or ``%(name)b``/``%(name)t``) whose name the caller supplies. Placeholders
of the drill (``${drill_id}``...) are checked against ``hadrill.httpspec.PLACEHOLDERS['query']``.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from hadrill import sqltemplate
from hadrill.httpspec import PLACEHOLDERS

# %% | %(name)x | %x | a lone % at the end
_PERCENT = re.compile(r"%(?:(?P<literal>%)|\((?P<name>[^)]*)\)(?P<named_format>.?)|(?P<format>.?))", re.DOTALL)
FORMATS = "sbt"


def query_problems(query: str, parameters: Collection[str] | None) -> list[str]:
    """What is wrong with ``query`` (messages without the variable name; empty when fine).

    ``parameters`` are the names the caller binds (``None``: the query is run without parameters).
    """
    problems: list[str] = []
    if not isinstance(query, str):
        return problems
    supplied = sorted(parameters) if parameters is not None else None
    for match in _PERCENT.finditer(query):
        text = match.group(0)
        if match.group("literal"):
            continue
        name = match.group("name")
        if supplied is None:
            if name is not None:
                problems.append(f"{text!r}: this query is run without parameters, so nothing fills it in")
            continue
        if name is not None:
            if match.group("named_format") not in tuple(FORMATS):
                problems.append(f"{text!r}: expected %({name})s (format s, b or t)")
            elif name not in supplied:
                problems.append(f"%({name})s: not a parameter of this query; the drill binds {supplied}")
        elif match.group("format") in tuple(FORMATS):
            problems.append(f"{text!r}: positional placeholders are not bound here; use one of "
                            f"{[f'%({item})s' for item in supplied]}")
        else:
            problems.append(f"a lone '%' ({text!r}) in a query run with parameters: write '%%' for a literal '%'")
    unknown = sqltemplate.unknown(query, PLACEHOLDERS["query"])
    if unknown:
        problems.append(f"unknown placeholder(s) {unknown}; known in queries: {list(PLACEHOLDERS['query'])}")
    return problems


def check_query(query: str, parameters: Collection[str] | None) -> str:
    """For a field validator: the query, or ValueError naming every problem."""
    problems = query_problems(query, parameters)
    if problems:
        raise ValueError("; ".join(problems))
    return query
