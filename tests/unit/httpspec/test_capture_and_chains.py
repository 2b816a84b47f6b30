"""Where a write's id comes from (a JSON path, a header, a regex on a text body, the request's own
token), request bodies (JSON, form, text), and chains of requests, each step checked; against a
real HTTP server on loopback."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from hadrill.httpspec import HttpRequestSpec, send


def spec(**fields) -> HttpRequestSpec:
    return HttpRequestSpec.model_validate({"name": "w", "method": "POST", "path": "/w", **fields})


@pytest.mark.parametrize("capture,answer,expected", [
    ({"id": "id"}, (200, {}, {"id": 42}), 42),                                        # short form
    ({"id": "data.items[0].id"}, (200, {}, {"data": {"items": [{"id": "a1"}]}}), "a1"),
    ({"id": {"json": "data.id"}}, (200, {}, {"data": {"id": 5}}), 5),
    ({"id": {"header": "X-Item-Id"}}, (201, {"X-Item-Id": "77"}, ""), "77"),
    ({"id": {"header": "location", "regex": r"/items/(\d+)$"}}, (201, {"Location": "/v1/items/88"}, ""), "88"),
    ({"id": {"regex": r"created (\S+)"}}, (200, {}, "OK created n-9"), "n-9"),
    ({"id": {"regex": r"^OK$"}}, (200, {}, "OK"), "OK"),                             # no group: the match
    ({"id": {"value": "${token}"}}, (200, {}, "OK"), "tok-1"),                        # the request's own token
    ({"id": {"value": "${drill_id}-${seq}"}}, (200, {}, "OK"), "ha_drill_x-3"),
])
def test_capture_sources(server, capture, answer, expected):
    server.routes[("POST", "/w")] = answer
    result = send(server.base_url, spec(expect_status=[200, 201], capture=capture),
                  context={"token": "tok-1", "drill_id": "ha_drill_x", "seq": 3})
    assert result.ok, result.error
    assert result.captured == {"id": expected}


@pytest.mark.parametrize("capture,answer,missing", [
    ({"id": "id"}, (200, {}, "OK"), "id (json 'id')"),                  # text answer, JSON path
    ({"id": "id"}, (200, {}, {"other": 1}), "id (json 'id')"),
    ({"id": {"header": "X-Item-Id"}}, (200, {}, {}), "id (header 'X-Item-Id')"),
    ({"id": {"regex": r"created (\d+)"}}, (200, {}, "OK"), "id (the text body matching 'created (\\\\d+)')"),
])
def test_a_missing_capture_fails_the_request_naming_its_source(server, capture, answer, missing):
    server.routes[("POST", "/w")] = answer
    result = send(server.base_url, spec(capture=capture))
    assert not result.ok and result.captured == {}
    assert result.error == f"response lacks captured value(s) {[missing]}"


@pytest.mark.parametrize("capture,message", [
    ({"id": "nodes.0.id"}, "write 'nodes[0].id'"),                      # the old dotted form
    ({"id": "x-release"}, "write '\"x-release\"'"),
    ({"id": "a[?"}, "not a valid JMESPath expression"),
    ({"id": {}}, "expected one source"),
    ({"id": {"json": "id", "header": "X"}}, "expected one source"),
    ({"id": {"json": "id", "regex": "x"}}, "expected one source"),
    ({"id": {"regex": "("}}, "not a valid regular expression"),
    ({"id": {"headers": "X"}}, "Extra inputs are not permitted"),
])
def test_bad_captures_are_refused(capture, message):
    with pytest.raises(ValidationError) as raised:
        spec(capture=capture)
    assert message in str(raised.value)


def test_a_capture_path_may_hold_placeholders():
    assert spec(capture={"item": "results[?text == '${token}'] | [0].id"}).captured_names() == ["item"]


def test_bodies_json_form_and_text(server):
    server.answer("POST", "/w", body="OK")
    send(server.base_url, spec(json={"n": "${seq}", "text": "n=${seq}", "id": "${id}"}), context={"seq": 3, "id": "a"})
    send(server.base_url, spec(form={"text": "note ${token}", "scope": "drill-${drill_id}"}),
         context={"token": "t1", "drill_id": "d1"})
    send(server.base_url, spec(data="raw ${token}"), context={"token": "t2"})
    first, second, third = server.requests
    # A JSON string that is exactly one placeholder keeps the value's type.
    assert json.loads(first["body"]) == {"n": 3, "text": "n=3", "id": "a"}
    assert first["headers"]["Content-Type"] == "application/json"
    assert second["body"] == "text=note+t1&scope=drill-d1"
    assert second["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert third["body"] == "raw t2" and third["headers"]["Content-Type"].startswith("text/plain")


def test_one_body_only():
    with pytest.raises(ValidationError, match="expected one body"):
        spec(json={"a": 1}, form={"a": "1"})


def test_a_chain_sends_each_step_with_what_the_steps_before_it_captured(server):
    server.answer("POST", "/items", status=201, body="", headers={"Location": "/items/15"})
    server.answer("POST", "/items/15/publish", body={"job": "j-2", "state": "queued"})
    chain = spec(path="/items", form={"text": "${token}"}, expect_status=[201],
                 capture={"id": {"header": "Location", "regex": r"(\d+)$"}},
                 then=[{"name": "publish", "method": "POST", "path": "/items/${id}/publish", "json": {"id": "${id}"},
                        "capture": {"job": "job"}, "expect_json": [{"path": "state", "equals": "queued"}]}])
    result = send(server.base_url, chain, context={"token": "t"})
    assert result.ok, result.error
    assert result.captured == {"id": "15", "job": "j-2"}
    assert result.steps == (("w", 201, True), ("publish", 200, True))
    assert [item["path"] for item in server.requests] == ["/items", "/items/15/publish"]
    assert json.loads(server.requests[1]["body"]) == {"id": "15"}


def test_a_failing_step_fails_the_chain_and_is_named(server):
    server.answer("POST", "/items", body={"id": 3})
    server.answer("POST", "/items/3/publish", status=409, body={"error": "busy"})
    chain = spec(path="/items", capture={"id": "id"},
                 then=[{"name": "publish", "method": "POST", "path": "/items/${id}/publish"},
                       {"name": "never", "path": "/never"}])
    result = send(server.base_url, chain)
    assert not result.ok and result.status == 409 and result.captured == {}
    assert result.error == "step publish: status 409 not in [200]"
    assert result.steps == (("w", 200, True), ("publish", 409, False))
    assert len(server.requests) == 2


def test_a_chain_is_flat_and_short():
    step = {"name": "s", "path": "/s"}
    with pytest.raises(ValidationError, match="have their own 'then'"):
        spec(then=[{**step, "then": [step]}])
    with pytest.raises(ValidationError, match="at most 4 items"):
        spec(then=[step] * 5)
    assert [item.name for item in spec(then=[step] * 4).steps()] == ["w", "s", "s", "s", "s"]


def test_a_refused_connection_is_a_failed_request_not_an_exception():
    result = send("http://127.0.0.1:9", spec())
    assert not result.ok and result.status is None and result.error.startswith("ConnectionRefusedError")
