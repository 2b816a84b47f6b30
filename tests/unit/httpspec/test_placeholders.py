"""The placeholders each kind of request template knows (httpspec.PLACEHOLDERS), and the check
that finds unknown ones in strings, nested bodies and request chains."""

from __future__ import annotations

import pytest

from hadrill import httpspec


def test_every_kind_knows_the_drill_placeholders():
    for kind, names in httpspec.PLACEHOLDERS.items():
        assert set(httpspec.DRILL_PLACEHOLDERS) <= set(names), kind
    assert set(httpspec.ALL_PLACEHOLDERS) == {"drill_id", "scenario", "run", "token", "seq", "id"}


@pytest.mark.parametrize("kind,text,unknown", [
    ("smoke", "restore smoke ${token} ${drill_id} ${scenario} ${run}", []),
    ("smoke", "${seq}", ["seq"]),                 # a traffic placeholder in a smoke request
    ("traffic", "probe ${seq} $token", []),       # unbraced form
    ("write", "${tokn}", ["tokn"]),
    ("proof", "${id} ${token}", []),
    ("cleanup", "scope=${token}", ["token"]),     # cleanup knows only the drill's own values
    ("query", "delete where scope = ${drill_id}", []),
    ("query", "price $$5", []),                    # $$ is a literal dollar
    (None, "${idd}", ["idd"]),                     # any kind: the union
])
def test_unknown_placeholders(kind, text, unknown):
    assert httpspec.unknown_placeholders(text, kind) == unknown


def test_an_unclosed_placeholder_is_reported_as_written():
    assert httpspec.unknown_placeholders("text ${tokn", "smoke") == ["${tokn"]


def test_a_dollar_that_opens_no_placeholder_is_literal():
    # A regular expression's end anchor, a price, a dollar before punctuation.
    assert httpspec.unknown_placeholders(["([^/]+)$", "^OK$", "costs $5", "a $ b", r"\$\d"], "write") == []


def test_nested_values_are_walked_and_captured_names_are_known():
    body = {"tenant": "default", "items": [{"text": "${token}"}, "${id}"], "n": 3}
    assert httpspec.unknown_placeholders(body, "smoke") == ["id"]
    assert httpspec.unknown_placeholders(body, "smoke", also=["id"]) == []


def test_a_chain_step_knows_what_the_steps_before_it_captured():
    request = {
        "name": "create", "method": "POST", "path": "/items/${drill_id}",
        "json": {"text": "${token}"}, "capture": {"item": "id"},
        "then": [
            {"name": "act", "method": "POST", "path": "/items/${item}/publish", "capture": {"job": "job"}},
            {"name": "check", "path": "/jobs/${job}/${itm}"},
        ],
    }
    assert httpspec.request_unknown_placeholders(request, "write") == ["itm"]
    # The first request cannot use what it captures itself.
    assert httpspec.request_unknown_placeholders({"name": "w", "path": "/${item}", "capture": {"item": "id"}},
                                                 "write") == ["item"]
