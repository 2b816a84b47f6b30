"""The release switch echo_query and the form body of /v1/memory/note (pure parsing)."""

from __future__ import annotations

import pytest

from memstore import payloads
from memstore.release import ReleaseError, parse_release

BASE = {"version": "v1", "schema_min": 1, "schema_max": 3}


def test_echo_query_is_off_unless_the_manifest_says_true():
    assert parse_release(BASE).echo_query is False
    assert parse_release({**BASE, "echo_query": True}).echo_query is True
    with pytest.raises(ReleaseError, match="echo_query must be true or false"):
        parse_release({**BASE, "echo_query": "yes"})


def test_form_bodies():
    assert payloads.decode_form(b"tenant=acme&scope=s&text=a+b%21") == {"tenant": "acme", "scope": "s", "text": "a b!"}
    assert payloads.decode_form(b"") == {}
    with pytest.raises(payloads.BadRequest, match="more than once"):
        payloads.decode_form(b"text=a&text=b")
    with pytest.raises(payloads.BadRequest, match="not a valid form"):
        payloads.decode_form(b"\xff")
    assert payloads.parse_forget({"tenant": "acme", "scope": "drill-1"}) == payloads.ForgetRequest("acme", "drill-1")
    with pytest.raises(payloads.BadRequest, match="scope must be a non-empty string"):
        payloads.parse_forget({"tenant": "acme"})
