"""Removing what a scenario wrote (``drill_cleanup``): one HTTP request or one SQL statement per
scenario that writes through the application (rollback's probe, replay's write traffic).

The cleanup is journaled before the scenario's first write (the journal entry's undo is the
cleanup itself, its placeholders filled), run in the scenario's ``always:`` path, and run by
``hadrill recover`` when the controller died before it. Its placeholders are the drill's own
(``httpspec.PLACEHOLDERS['cleanup']``): scope the scenario's writes with ``${drill_id}``,
``${scenario}`` or ``${run}`` and the cleanup removes exactly them. In SQL a placeholder becomes
a quoted string literal (``scope = ${drill_id}``, ``scope = 'drill-' || ${run}``); the statement
runs without parameters, so ``%`` is a literal ``%``.

The restore scenario has none: its smoke writes only to the verification copy, which the
restore's teardown removes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hadrill import sqltemplate
from hadrill.httpspec import PLACEHOLDERS, HttpRequestSpec, request_unknown_placeholders

SCENARIOS = ("rollback", "replay")
JOURNAL_ACTION = "drill_data_written"


def entry_id(scenario: str) -> str:
    return f"cleanup-{scenario}"


class Cleanup(BaseModel):
    """Exactly one of ``request`` (sent through the load balancer with ``drill_http_headers``)
    and ``query`` (run on the primary with the drill's credentials)."""

    model_config = ConfigDict(extra="forbid")

    request: HttpRequestSpec | None = None
    query: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one(self) -> "Cleanup":
        if (self.request is None) == (self.query is None):
            raise ValueError("expected one of request (an HTTP request) or query (a SQL statement)")
        unknown = (request_unknown_placeholders(self.request, "cleanup") if self.request is not None
                   else sqltemplate.unknown(self.query or "", PLACEHOLDERS["cleanup"]))
        if unknown:
            raise ValueError(f"unknown placeholder(s) {unknown}; known in a cleanup: {list(PLACEHOLDERS['cleanup'])}")
        return self

    def undo(self, values: Mapping[str, str]) -> dict[str, Any]:
        """The journal entry's undo: what ``hadrill recover`` runs (kind ``sql`` or ``http``)."""
        if self.query is not None:
            return {"kind": "sql", "query": sqltemplate.fill(self.query, values)}
        assert self.request is not None
        return {"kind": "http", "request": self.request.model_dump(by_alias=True, exclude_unset=True),
                "values": dict(values)}

