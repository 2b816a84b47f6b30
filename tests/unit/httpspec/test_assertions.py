"""expect_json: every assertion form on a real answer, each shown holding and failing, with
placeholders and captured values; and the echo that makes a substring check pass vacuously."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hadrill.httpcheck import JsonAssertion
from hadrill.httpspec import HttpRequestSpec, send

RECALL = {
    "query": "restore smoke hadrill1234",      # an echo of the query, as many search APIs answer
    "results": [
        {"id": 41, "text": "older note", "score": 0.2},
        {"id": 42, "text": "restore smoke hadrill1234", "score": 1.0},
    ],
    "empty": [],
    "name": "",
    "nothing": None,
    "meta": {"release": "v0.2.2", "count": 2},
}


def holds(assertion: dict, document=RECALL, **context) -> str | None:
    return JsonAssertion.model_validate(assertion).failure(document, context)


@pytest.mark.parametrize("assertion,context", [
    ({"path": "meta.release", "exists": True}, {}),
    ({"path": "meta.missing", "exists": False}, {}),
    ({"path": "nothing", "exists": False}, {}),        # null counts as absent
    ({"path": "meta.release", "equals": "v0.2.2"}, {}),
    ({"path": "meta.count", "equals": 2}, {}),
    ({"path": "meta.count", "equals": "2"}, {}),        # a string equals the number it spells
    ({"path": "meta.count", "equals": "${n}"}, {"n": 2}),
    ({"path": "meta.count", "equals": "${n}"}, {"n": "2"}),
    ({"path": "results[].id", "contains": "${id}"}, {"id": 42}),     # a captured value at a path
    ({"path": "results[].id", "contains": "${id}"}, {"id": "42"}),   # captured from a header or text
    ({"path": "query", "contains": "hadrill1234"}, {}),              # substring of a string
    ({"path": "meta", "contains": "release"}, {}),                   # key of an object
    ({"path": "results[].text", "matches": "smoke ${token}$"}, {"token": "hadrill1234"}),
    ({"path": "meta.release", "matches": r"^v\d+\.\d+\.\d+$"}, {}),
    ({"path": "results", "not_empty": True}, {}),
    ({"path": "empty", "not_empty": False}, {}),
    ({"path": "results", "min_items": 2}, {}),
    ({"path": "results", "min_items": 0}, {}),
    ({"path": "results[?to_string(id) == '${id}'] | [0].text", "contains": "${token}"},
     {"id": 42, "token": "hadrill1234"}),                            # the recalled item itself
    ({"path": "results[?id == `${id}`].text | [0]", "equals": "restore smoke ${token}", "not_empty": True},
     {"id": 42, "token": "hadrill1234"}),                            # several operators, all hold
])
def test_assertion_holds(assertion, context):
    assert holds(assertion, **context) is None


@pytest.mark.parametrize("assertion,context,expected", [
    ({"path": "meta.missing", "exists": True}, {}, "expected a value"),
    ({"path": "meta.release", "exists": False}, {}, "expected no value"),
    ({"path": "meta.release", "equals": "v0.2.3"}, {}, "expected to equal 'v0.2.3', got 'v0.2.2'"),
    ({"path": "meta.count", "equals": True}, {}, "expected to equal"),   # a boolean is not a number
    ({"path": "meta.count", "equals": "2.0"}, {}, "expected to equal"),
    ({"path": "results[].id", "contains": "${id}"}, {"id": 43}, "expected to contain 43"),
    ({"path": "results[].text", "contains": "hadrill1234"}, {}, "expected to contain"),   # lists: an equal item
    ({"path": "nothing", "contains": "x"}, {}, "expected to contain"),
    ({"path": "results[].text", "matches": "${token}"}, {"token": "hadrill9999"}, "expected to match"),
    ({"path": "meta.release", "matches": "x.y"}, {"nothing": 1}, "expected to match"),
    ({"path": "results", "matches": "."}, {}, "expected to match"),      # objects never match a regex
    ({"path": "empty", "not_empty": True}, {}, "expected a non-empty value"),
    ({"path": "name", "not_empty": True}, {}, "expected a non-empty value"),
    ({"path": "nothing", "not_empty": True}, {}, "expected a non-empty value"),
    ({"path": "results", "not_empty": False}, {}, "expected an empty value"),
    ({"path": "results", "min_items": 3}, {}, "expected at least 3 item(s)"),
    ({"path": "meta.count", "min_items": 1}, {}, "expected at least 1 item(s)"),
    ({"path": "results[?to_string(id) == '${id}'] | [0].text", "contains": "${token}"},
     {"id": 43, "token": "hadrill1234"}, "expected to contain 'hadrill1234', got null"),
])
def test_assertion_fails_naming_the_path_what_was_expected_and_what_came(assertion, context, expected):
    problem = holds(assertion, **context)
    assert problem is not None and expected in problem
    assert problem.startswith(assertion["path"].split("$")[0][:5])


def test_placeholders_in_a_regex_are_literal():
    assert holds({"path": "v", "matches": "^${x}$"}, {"v": "a.b"}, x="a.b") is None
    assert holds({"path": "v", "matches": "^${x}$"}, {"v": "aXb"}, x="a.b") is not None


@pytest.mark.parametrize("assertion,message", [
    ({"path": "results"}, "expected at least one of"),
    ({"path": "nodes.0.id", "exists": True}, "write 'nodes[0].id'"),
    ({"path": "results[", "exists": True}, "not a valid JMESPath expression"),
    ({"path": "x", "matches": "("}, "not a valid regular expression"),
    ({"path": "x", "min_items": -1}, "greater than or equal to 0"),
    ({"path": "x", "exist": True}, "Extra inputs are not permitted"),
])
def test_bad_assertions_are_refused_before_anything_is_sent(assertion, message):
    with pytest.raises(ValidationError, match=message.replace("[", r"\[").replace("(", r"\(")):
        HttpRequestSpec.model_validate({"name": "r", "path": "/r", "expect_json": [assertion]})


def test_equals_null_is_an_assertion():
    assert holds({"path": "nothing", "equals": None}) is None
    assert "expected to equal" in holds({"path": "meta.release", "equals": None})


def test_the_echo_passes_a_substring_check_and_fails_the_assertion_on_the_recalled_item(server):
    """A recall that finds nothing but echoes its query: the old read-back passes vacuously."""
    server.answer("POST", "/recall", body={"query": "restore smoke hadrill1234", "results": []})
    old = HttpRequestSpec.model_validate({
        "name": "read-back", "method": "POST", "path": "/recall", "json": {"query": "restore smoke ${token}"},
        "expect_body_contains": "${token}",
    })
    new = HttpRequestSpec.model_validate({
        "name": "read-back", "method": "POST", "path": "/recall", "json": {"query": "restore smoke ${token}"},
        "expect_json": [{"path": "results[?to_string(id) == '${id}'] | [0].text", "contains": "${token}"}],
    })
    context = {"token": "hadrill1234", "id": 42}
    assert send(server.base_url, old, context=context).ok
    result = send(server.base_url, new, context=context)
    assert not result.ok
    assert result.error.startswith("expect_json[0] results[?to_string(id) == '42'] | [0].text: expected to contain")


def test_expect_json_on_a_text_answer_fails(server):
    server.answer("GET", "/t", body="OK")
    spec = HttpRequestSpec.model_validate({"name": "t", "path": "/t", "expect_json": [{"path": "a", "exists": False}]})
    result = send(server.base_url, spec)
    assert not result.ok and result.error == "expect_json[0]: the answer is not JSON"


def test_assertions_see_what_the_same_request_captured(server):
    server.answer("POST", "/w", body={"id": 7, "echo": {"id": 7}})
    spec = HttpRequestSpec.model_validate({
        "name": "w", "method": "POST", "path": "/w", "capture": {"id": "id"},
        "expect_json": [{"path": "echo.id", "equals": "${id}"}],
    })
    assert send(server.base_url, spec).captured == {"id": 7}
