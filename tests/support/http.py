"""Minimal JSON-over-HTTP client for tests (stdlib only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass
class HttpResult:
    status: int
    body: Any  # parsed JSON when the response is JSON, else text
    headers: dict[str, str]


def request(
    method: str,
    url: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 5.0,
) -> HttpResult:
    """Send `body` as JSON (if not None); HTTP error statuses are returned, not raised."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return _result(resp.status, resp.read(), dict(resp.headers))
    except urllib.error.HTTPError as exc:
        return _result(exc.code, exc.read(), dict(exc.headers))


def _result(status: int, raw: bytes, headers: dict[str, str]) -> HttpResult:
    text = raw.decode("utf-8", errors="replace")
    if headers.get("Content-Type", "").startswith("application/json"):
        try:
            return HttpResult(status, json.loads(text), headers)
        except ValueError:
            pass
    return HttpResult(status, text, headers)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def parse_prometheus(text: str) -> dict[str, float]:
    """`name{labels}` -> value for every sample line (labels kept verbatim)."""
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        samples[name] = float(value)
    return samples
