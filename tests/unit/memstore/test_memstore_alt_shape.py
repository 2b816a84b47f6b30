"""The alt shape's pure parts: the manifest switch, its migrations, its API key rule, its bodies."""

from __future__ import annotations

from email.message import Message

import pytest

from memstore import migrations, payloads, shapes
from memstore.release import ReleaseError, parse_release
from memstore.store import PoisonEvent
from memstore.store_alt import memory_key_of

BASE = {"version": "2.4.0", "schema_min": 1, "schema_max": 2}


def headers(**items: str) -> Message:
    """Request headers as http.server hands them over (case-insensitive lookups)."""
    message = Message()
    for name, value in items.items():
        message[name.replace("_", "-")] = value
    return message


def test_the_shape_is_classic_unless_the_manifest_says_alt():
    assert parse_release(BASE).shape is shapes.CLASSIC
    assert parse_release({**BASE, "shape": "alt"}).shape is shapes.ALT
    for bad in ("ALT", "v2", ["alt"], None):
        with pytest.raises(ReleaseError, match="shape must be one of"):
            parse_release({**BASE, "shape": bad})
    with pytest.raises(ValueError, match="unknown shape"):
        shapes.by_name("modern")


def test_each_shape_has_its_own_migrations_and_history():
    assert [m.name for m in migrations.discover(shapes.ALT.migrations_dir)] == ["memories_and_events", "search_index"]
    assert migrations.known_max(shapes.ALT) == 2 and migrations.known_max() == migrations.known_max(shapes.CLASSIC) == 4
    assert "published_at" in migrations.discover(shapes.ALT.migrations_dir)[0].sql()
    assert (shapes.ALT.history_table, shapes.ALT.history_column) == ("schema_revisions", "revision")
    assert shapes.ALT.history_value(2) == "0002" and shapes.CLASSIC.history_value(2) == 2
    for sql in (m.sql() for m in migrations.discover(shapes.ALT.migrations_dir)):
        # No status column, no tenant column: the conventions a drill must not assume.
        columns = [line.split()[0] for line in sql.splitlines() if line.startswith("    ") and line.split()]
        assert "status" not in columns and "tenant" not in columns


def test_the_startup_contract_failure_is_worded_per_shape():
    classic = parse_release({**BASE, "schema_min": 3, "schema_max": 3})
    alt = parse_release({**BASE, "schema_min": 3, "schema_max": 3, "shape": "alt"})
    assert classic.contract_failure(2).startswith("STARTUP CONTRACT FAILURE: release 2.4.0")
    assert alt.contract_failure(2) == "fatal: schema revision 2 is not supported by release 2.4.0 (supports 3..3)"


def test_health_bodies_per_shape():
    assert shapes.CLASSIC.health_ok({"status": "ok"}) and not shapes.CLASSIC.health_ok({"ok": True})
    assert shapes.ALT.health_ok({"ok": True}) and not shapes.ALT.health_ok({"status": "ok"})
    assert not shapes.ALT.health_ok({"ok": "true"}) and not shapes.ALT.health_ok(None)
    assert (shapes.ALT.health_path, shapes.ALT.metrics_path) == ("/healthz", "/internal/metrics")


def test_the_alt_key_comes_only_from_x_api_key():
    assert payloads.presented_key(headers(X_Api_Key=" k1 "), shapes.ALT) == "k1"
    assert payloads.presented_key(headers(x_api_key="k1"), shapes.ALT) == "k1"
    assert payloads.presented_key(headers(Authorization="Bearer k1"), shapes.ALT) is None
    assert payloads.presented_key(headers(Authorization="Bearer k1")) == "k1"  # classic takes both
    assert payloads.refused_credentials(headers(Authorization="Bearer k1", X_Api_Key="k1"), shapes.ALT) == (
        "the Authorization header is not accepted: send the API key in X-Api-Key")
    assert payloads.refused_credentials(headers(Authorization="Bearer k1")) is None
    assert payloads.credential_headers(headers(X_API_KEY="k", Authorization="Bearer k")) == ["authorization", "x-api-key"]
    assert payloads.credential_headers(headers()) == []


def test_alt_bodies_carry_the_tenant_in_the_scope_prefix():
    assert payloads.scope_tenant("acme/notes") == "acme"
    assert payloads.scope_tenant("acme/drill/replay-1") == "acme"
    for scope in ("acme", "/notes", "acme/", ""):
        assert payloads.scope_tenant(scope) == ""
    assert payloads.parse_alt_write({"scope": "acme/n", "content": "c"}) == payloads.AltWriteRequest("acme/n", "c")
    with pytest.raises(payloads.BadRequest, match="scope must be '<tenant>/<name>'"):
        payloads.parse_alt_write({"scope": "notes", "content": "c"})
    with pytest.raises(payloads.BadRequest, match="content must be a non-empty string"):
        payloads.parse_alt_write({"scope": "acme/n", "text": "c"})
    assert payloads.parse_alt_search({"scope": "acme/n", "q": "x"}) == payloads.AltSearchRequest("acme/n", "x", 10)
    for top_k in (0, 101, True, "5"):
        with pytest.raises(payloads.BadRequest, match="top_k must be an integer"):
            payloads.parse_alt_search({"scope": "acme/n", "q": "x", "top_k": top_k})
    assert payloads.parse_alt_purge({"scope": "acme/n"}) == payloads.AltPurgeRequest("acme/n")


def test_an_alt_event_names_its_memory_by_key():
    assert memory_key_of({"key": " mem_1 "}) == "mem_1"
    for bad in ({}, None, {"key": 7}, {"key": " "}, {"memory_id": 1}):
        with pytest.raises(PoisonEvent):
            memory_key_of(bad)
