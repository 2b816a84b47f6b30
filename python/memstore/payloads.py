"""Request authentication and body validation for the API of both shapes (pure, no I/O)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import parse_qs

from memstore.shapes import CLASSIC, Shape

MAX_BODY_BYTES = 1 << 20
MAX_NAME_CHARS = 128
MAX_TEXT_CHARS = 20000
MAX_QUERY_CHARS = 2000
DEFAULT_LIMIT = 10
MAX_LIMIT = 100


class BadRequest(ValueError):
    pass


@dataclass(frozen=True)
class WriteRequest:
    tenant: str
    scope: str
    text: str


@dataclass(frozen=True)
class ForgetRequest:
    tenant: str
    scope: str


@dataclass(frozen=True)
class RecallRequest:
    tenant: str
    scope: str
    query: str
    limit: int


@dataclass(frozen=True)
class AltWriteRequest:
    scope: str  # '<tenant>/<name>'
    content: str


@dataclass(frozen=True)
class AltSearchRequest:
    scope: str
    q: str
    top_k: int


@dataclass(frozen=True)
class AltPurgeRequest:
    scope: str


CREDENTIAL_HEADERS = ("Authorization", "X-API-Key")
# A request's headers: http.server's Message (case-insensitive lookups) or a plain mapping.
Headers = Mapping[str, str] | Message


def credential_headers(headers: Headers) -> list[str]:
    """Which credential headers a request carried (names only, lower case; for the access log)."""
    return [name.lower() for name in CREDENTIAL_HEADERS if headers.get(name) is not None]


def refused_credentials(headers: Headers, shape: Shape = CLASSIC) -> str | None:
    """Why the request's credentials are refused outright, or None. The alt shape takes the key
    only from X-Api-Key and refuses any Authorization header, so a client sending Bearer tokens
    fails loudly instead of being accepted by accident."""
    if shape is not CLASSIC and headers.get("Authorization") is not None:
        return "the Authorization header is not accepted: send the API key in X-Api-Key"
    return None


def presented_key(headers: Headers, shape: Shape = CLASSIC) -> str | None:
    """The API key from `Authorization: Bearer <key>` or `X-API-Key: <key>` (alt: X-Api-Key only;
    header names are case-insensitive)."""
    auth = headers.get("Authorization") if shape is CLASSIC else None
    if auth:
        scheme, _, token = auth.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    key = headers.get("X-API-Key")
    return key.strip() if key and key.strip() else None


def tenant_for_key(api_keys: Mapping[str, str], key: str | None) -> str | None:
    if not key:
        return None
    found: str | None = None
    # Compare against every key in constant time so timing does not reveal key prefixes.
    for candidate, tenant in api_keys.items():
        if hmac.compare_digest(candidate.encode("utf-8"), key.encode("utf-8")):
            found = tenant
    return found


def decode_json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def decode_form(raw: bytes) -> dict[str, Any]:
    """A URL-encoded form body; each field once."""
    try:
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"body is not a valid form: {exc}") from None
    repeated = sorted(name for name, values in fields.items() if len(values) > 1)
    if repeated:
        raise BadRequest(f"form fields given more than once: {repeated}")
    return {name: values[0] for name, values in fields.items()}


def _string(data: Mapping[str, Any], name: str, max_chars: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{name} must be a non-empty string")
    if len(value) > max_chars:
        raise BadRequest(f"{name} is longer than {max_chars} characters")
    return value


def parse_write(data: Mapping[str, Any]) -> WriteRequest:
    return WriteRequest(
        tenant=_string(data, "tenant", MAX_NAME_CHARS),
        scope=_string(data, "scope", MAX_NAME_CHARS),
        text=_string(data, "text", MAX_TEXT_CHARS),
    )


def parse_forget(data: Mapping[str, Any]) -> ForgetRequest:
    return ForgetRequest(tenant=_string(data, "tenant", MAX_NAME_CHARS), scope=_string(data, "scope", MAX_NAME_CHARS))


def parse_recall(data: Mapping[str, Any]) -> RecallRequest:
    limit = data.get("limit", DEFAULT_LIMIT)
    if limit is None:
        limit = DEFAULT_LIMIT
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be an integer within [1, {MAX_LIMIT}]")
    return RecallRequest(
        tenant=_string(data, "tenant", MAX_NAME_CHARS),
        scope=_string(data, "scope", MAX_NAME_CHARS),
        query=_string(data, "query", MAX_QUERY_CHARS),
        limit=limit,
    )


def scope_tenant(scope: str) -> str:
    """The tenant an alt-shape scope belongs to, its prefix before the first '/' ('' if none)."""
    tenant, slash, rest = scope.partition("/")
    return tenant if slash and tenant and rest else ""


def _alt_scope(data: Mapping[str, Any]) -> str:
    scope = _string(data, "scope", MAX_NAME_CHARS)
    if not scope_tenant(scope):
        raise BadRequest(f"scope must be '<tenant>/<name>', got {scope!r}")
    return scope


def parse_alt_write(data: Mapping[str, Any]) -> AltWriteRequest:
    return AltWriteRequest(scope=_alt_scope(data), content=_string(data, "content", MAX_TEXT_CHARS))


def parse_alt_search(data: Mapping[str, Any]) -> AltSearchRequest:
    top_k = data.get("top_k", DEFAULT_LIMIT)
    if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= MAX_LIMIT:
        raise BadRequest(f"top_k must be an integer within [1, {MAX_LIMIT}]")
    return AltSearchRequest(scope=_alt_scope(data), q=_string(data, "q", MAX_QUERY_CHARS), top_k=top_k)


def parse_alt_purge(data: Mapping[str, Any]) -> AltPurgeRequest:
    return AltPurgeRequest(scope=_alt_scope(data))
