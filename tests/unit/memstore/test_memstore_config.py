"""API keys, request parsing, DSN masking and --listen parsing."""

from __future__ import annotations

import pytest

from memstore import payloads
from memstore.config import ConfigError, mask_dsn, parse_api_keys, parse_listen


def test_api_keys_parse() -> None:
    assert parse_api_keys('{"k-acme": "acme", "k-globex": "globex"}') == {"k-acme": "acme", "k-globex": "globex"}
    assert parse_api_keys(None) == {}
    assert parse_api_keys("  ") == {}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"secret-key": ', "not valid JSON"),
        ('["secret-key"]', "JSON object"),
        ('{"": "acme"}', "empty API key"),
        ('{"secret-key": 3}', "non-empty tenant"),
        ('{"secret-key": " "}', "non-empty tenant"),
    ],
)
def test_api_keys_invalid(raw: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        parse_api_keys(raw)
    assert "secret-key" not in str(info.value)


def test_key_lookup_from_headers() -> None:
    keys = {"k-acme": "acme"}
    assert payloads.presented_key({"Authorization": "Bearer k-acme"}) == "k-acme"
    assert payloads.presented_key({"Authorization": "bearer  k-acme "}) == "k-acme"
    assert payloads.presented_key({"X-API-Key": "k-acme"}) == "k-acme"
    assert payloads.presented_key({"Authorization": "Basic Zm9v"}) is None
    assert payloads.presented_key({}) is None
    assert payloads.tenant_for_key(keys, "k-acme") == "acme"
    assert payloads.tenant_for_key(keys, "k-acm") is None
    assert payloads.tenant_for_key(keys, None) is None


def test_request_bodies() -> None:
    assert payloads.parse_write({"tenant": "a", "scope": "s", "text": "t"}) == payloads.WriteRequest("a", "s", "t")
    recall = payloads.parse_recall({"tenant": "a", "scope": "s", "query": "q"})
    assert recall.limit == payloads.DEFAULT_LIMIT
    with pytest.raises(payloads.BadRequest, match="text"):
        payloads.parse_write({"tenant": "a", "scope": "s", "text": ""})
    with pytest.raises(payloads.BadRequest, match="limit"):
        payloads.parse_recall({"tenant": "a", "scope": "s", "query": "q", "limit": 0})
    with pytest.raises(payloads.BadRequest, match="limit"):
        payloads.parse_recall({"tenant": "a", "scope": "s", "query": "q", "limit": True})
    with pytest.raises(payloads.BadRequest, match="longer"):
        payloads.parse_write({"tenant": "a" * 500, "scope": "s", "text": "t"})
    with pytest.raises(payloads.BadRequest, match="JSON object"):
        payloads.decode_json_object(b"[1]")
    with pytest.raises(payloads.BadRequest, match="valid JSON"):
        payloads.decode_json_object(b"\xff")


@pytest.mark.parametrize(
    ("dsn", "masked"),
    [
        ("postgresql://memstore:pw-123@127.0.0.1:5432/memstore", "postgresql://memstore:***@127.0.0.1:5432/memstore"),
        ("postgresql://memstore@db/memstore", "postgresql://memstore@db/memstore"),
        ("postgresql://u:p%40ss@db/x?sslmode=require&password=other", "postgresql://u:***@db/x?sslmode=require&password=***"),
        ("host=db user=u password=pw-123 dbname=x", "host=db user=u password=*** dbname=x"),
        ("host=db password = 'with space' dbname=x", "host=db password = *** dbname=x"),
        ("", ""),
    ],
)
def test_mask_dsn(dsn: str, masked: str) -> None:
    assert mask_dsn(dsn) == masked


def test_parse_listen() -> None:
    assert parse_listen("127.0.0.1:18081") == ("127.0.0.1", 18081)
    assert parse_listen("[::1]:80") == ("::1", 80)
    for bad in ("18081", ":80", "host:port", "h:70000"):
        with pytest.raises(ConfigError):
            parse_listen(bad)
