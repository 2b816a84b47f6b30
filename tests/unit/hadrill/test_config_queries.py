"""Queries of the inventory are checked the way psycopg reads them: the check refuses every query
psycopg would refuse with the parameters the drill binds (psycopg's own parser is the ground
truth here), and refuses nothing else but a trailing lone '%' (which psycopg lets through as a
literal by accident)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg._queries import PostgresQuery
from psycopg.adapt import Transformer

from hadrill.config.queries import query_problems

FRAGMENTS = ["select ", "count(*) ", "from t ", "where a = ", "'x' ", "like 'a", "%", "%%", "%s", "%b", "%z",
             "%(tenant)s", "%(cutoff)t", "%(other)s", "%(tenant)x", "%()s", "(", ")", " and ", "%(", "s"]
PARAMETERS = {"tenant": "t1", "cutoff": "2026-01-01"}


def psycopg_accepts(query: str, parameters: dict) -> bool:
    try:
        PostgresQuery(Transformer()).convert(query, parameters)
    except Exception:  # ProgrammingError, TypeError: what psycopg raises before sending
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=8).map("".join))
def test_the_check_agrees_with_psycopg_on_queries_run_with_parameters(query):
    ours = not query_problems(query, PARAMETERS)
    theirs = psycopg_accepts(query, PARAMETERS)
    if theirs and not ours:
        # Stricter than psycopg only where it is lenient by accident: a lone '%' ending the query.
        problems = query_problems(query, PARAMETERS)
        assert query.endswith("%") and all(item.startswith("a lone '%'") for item in problems), (query, problems)
    else:
        assert ours == theirs, (query, query_problems(query, PARAMETERS))


@pytest.mark.parametrize("query, parameters, expected", [
    ("select 1 from t where a like 'x%'", None, []),
    ("select %(tenant)s", None, ["'%(tenant)s': this query is run without parameters, so nothing fills it in"]),
    ("select 1 where a = %(tenant)s and b like 'x%'", ("tenant",),
     ["a lone '%' (\"%'\") in a query run with parameters: write '%%' for a literal '%'"]),
    ("select 1 where a = %(tenant)s and b like 'x%%'", ("tenant",), []),
    ("select %(tennant)s", ("tenant", "cutoff"), ["%(tennant)s: not a parameter of this query; the drill binds ['cutoff', 'tenant']"]),
    ("select %s", ("ids",), ["'%s': positional placeholders are not bound here; use one of ['%(ids)s']"]),
    ("select ${drill_id}", None, []),
    ("select ${drill_idd}", None, ["unknown placeholder(s) ['drill_idd']; known in queries: ['drill_id', 'scenario', 'run']"]),
])
def test_each_rule_names_what_is_wrong(query, parameters, expected):
    assert query_problems(query, parameters) == expected
