"""HTTP requests described in the inventory, and how they are executed.

Smoke checks, the traffic probe, write traffic and read-back proofs all send requests that the
inventory describes; this module is the one way to describe and send them. Placeholders use
``string.Template`` syntax (``${token}``, ``${id}``) so they never clash with Jinja2.
"""

from __future__ import annotations

import http.client
import json
import string
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, field_validator

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]

# Placeholders every request template and query of a scenario may use: the drill's id, the
# scenario's name, and a short id unique to this run of the drill (different even when a drill
# id is reused, e.g. under another evidence root). Scope the drill's data with them.
DRILL_PLACEHOLDERS: tuple[str, ...] = ("drill_id", "scenario", "run")

# The placeholders known in each kind of template. Values a request captures (``capture``) are
# known as well in the requests that follow it (later smoke requests, later steps of a chain).
PLACEHOLDERS: Mapping[str, tuple[str, ...]] = {
    "smoke": (*DRILL_PLACEHOLDERS, "token"),          # db_restore_smoke_requests
    "traffic": (*DRILL_PLACEHOLDERS, "seq", "token"),  # api_rollback_probe_requests
    "write": (*DRILL_PLACEHOLDERS, "seq", "token"),    # worker_replay_write_request
    "proof": (*DRILL_PLACEHOLDERS, "id", "token"),     # worker_replay_proof_request
    "cleanup": DRILL_PLACEHOLDERS,                     # a scenario's cleanup request or query
    "query": DRILL_PLACEHOLDERS,                       # SQL where placeholders are substituted
}
ALL_PLACEHOLDERS: tuple[str, ...] = tuple(sorted({name for names in PLACEHOLDERS.values() for name in names}))


def placeholders_in(value: Any) -> list[str]:
    """Every ``${name}``/``$name`` in a string, or in every string of a list/dict (values, not
    keys), in order. A ``$`` that starts no placeholder (``${tokn``) is returned as written, so a
    caller reporting unknown placeholders reports it too; ``$$`` is a literal ``$``."""
    found: list[str] = []
    for text in _strings(value):
        for match in string.Template.pattern.finditer(text):
            name = match.group("named") or match.group("braced")
            if name:
                found.append(name)
            elif match.group("invalid") is not None:
                found.append(text[match.start():match.start() + 12])
    return found


def unknown_placeholders(value: Any, kind: str | None = None, *, also: Iterable[str] = ()) -> list[str]:
    """Placeholders in ``value`` (a string, or a list/dict of them) that a template of ``kind``
    (a key of ``PLACEHOLDERS``; ``None``: any kind) does not know, plus ``also`` (captured names).
    Sorted, unique; empty when every placeholder is known."""
    known = set(ALL_PLACEHOLDERS if kind is None else PLACEHOLDERS[kind]) | set(also)
    return sorted({name for name in placeholders_in(value) if name not in known})


def request_unknown_placeholders(request: Any, kind: str, *, also: Iterable[str] = ()) -> list[str]:
    """Unknown placeholders of one request (an ``HttpRequestSpec`` or its inventory dict) of
    ``kind``: every string of it, each step of its chain (``then``) also knowing the names the
    steps before it capture."""
    data = request.model_dump(by_alias=True) if isinstance(request, BaseModel) else dict(request or {})
    known = [*also]
    bad: set[str] = set()
    for step in [data, *(data.get("then") or [])]:
        if not isinstance(step, Mapping):
            continue
        own = {key: item for key, item in step.items() if key not in {"name", "then"}}
        bad.update(unknown_placeholders(own, kind, also=known))
        known += list((step.get("capture") or {}).keys()) if isinstance(step.get("capture"), Mapping) else []
    return sorted(bad)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in _strings(item)]
    return []


class HttpRequestSpec(BaseModel):
    """One request: where, what, and what counts as success."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    name: str = Field(min_length=1)
    method: Method = "GET"
    path: str
    headers: dict[str, str] = {}
    body: Any = Field(default=None, alias="json")
    expect_status: list[int] = [200]
    expect_body_contains: str | None = None
    capture: dict[str, str] = {}
    weight: int = Field(default=1, ge=0)
    timeout_seconds: PositiveFloat = 5.0

    @field_validator("path")
    @classmethod
    def _path_is_absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"expected a path starting with '/', got {value!r}")
        return value

    @field_validator("expect_status")
    @classmethod
    def _statuses_are_http(cls, value: list[int]) -> list[int]:
        bad = [code for code in value if not 100 <= code <= 599]
        if bad or not value:
            raise ValueError(f"expected HTTP status codes between 100 and 599, got {value!r}")
        return value


@dataclass(frozen=True)
class HttpResult:
    name: str
    status: int | None
    ok: bool
    latency_s: float
    error: str | None
    captured: dict[str, Any]
    body: Any


def _substitute(value: Any, context: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        return string.Template(value).safe_substitute({key: str(item) for key, item in context.items()})
    if isinstance(value, Mapping):
        return {key: _substitute(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, context) for item in value]
    return value


def _dig(document: Any, dotted: str) -> Any:
    current = document
    for part in dotted.split("."):
        if isinstance(current, list) and part.isdigit():
            index = int(part)
            current = current[index] if index < len(current) else None
        elif isinstance(current, Mapping):
            current = current.get(part)
        else:
            return None
    return current


def split_base_url(base_url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"expected an http(s) base URL, got {base_url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname, port, parts.path.rstrip("/")


def send(
    base_url: str,
    spec: HttpRequestSpec,
    *,
    context: Mapping[str, Any] | None = None,
    default_headers: Mapping[str, str] | None = None,
) -> HttpResult:
    """Send one request on a fresh connection (so a load balancer picks a backend per request)."""
    values = dict(context or {})
    scheme, host, port, prefix = split_base_url(base_url)
    path = prefix + _substitute(spec.path, values)
    headers = {**(default_headers or {}), **_substitute(spec.headers, values)}
    payload: bytes | None = None
    if spec.body is not None:
        payload = json.dumps(_substitute(spec.body, values)).encode()
        headers.setdefault("Content-Type", "application/json")
    headers.setdefault("Connection", "close")
    connection_class = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    started = time.monotonic()
    connection = connection_class(host, port, timeout=spec.timeout_seconds)
    try:
        connection.request(spec.method, path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        return HttpResult(spec.name, None, False, time.monotonic() - started, f"{type(exc).__name__}: {exc}", {}, None)
    finally:
        connection.close()
    latency = time.monotonic() - started
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode(errors="replace")
    ok = status in spec.expect_status
    error = None if ok else f"status {status} not in {spec.expect_status}"
    if ok and spec.expect_body_contains is not None:
        needle = _substitute(spec.expect_body_contains, values)
        text = raw.decode(errors="replace")
        if needle not in text:
            ok, error = False, f"response does not contain {needle!r}"
    captured = {key: _dig(body, path_expr) for key, path_expr in spec.capture.items()} if ok else {}
    if ok and any(value is None for value in captured.values()):
        missing = [key for key, value in captured.items() if value is None]
        ok, error = False, f"response lacks captured field(s) {missing}"
    return HttpResult(spec.name, status, ok, latency, error, captured, body)
