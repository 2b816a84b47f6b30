"""Wait until one replica answers its health check, optionally on an expected release."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from hadrill.httpspec import HttpRequestSpec, HttpResult, send


@dataclass(frozen=True)
class ReadyResult:
    ready: bool
    status: int | None
    release: str | None  # what the health answer says, when a release field is configured
    waited_seconds: float
    attempts: int
    detail: str


def wait_ready(
    base_url: str,
    health_path: str,
    *,
    timeout: float,
    interval: float = 0.25,
    expect_status: list[int] | None = None,
    release_field: str = "",
    release: str = "",
    request_timeout: float = 2.0,
    headers: dict[str, str] | None = None,
    sender: Callable[..., HttpResult] = send,
) -> ReadyResult:
    """Poll ``base_url + health_path`` until it answers as expected or ``timeout`` passes.

    With ``release_field`` the answer must also name ``release`` there: during a rolling
    switch an old instance may still answer healthy for the new one.
    """
    # The release is read with the request's capture: a healthy answer without it is not ready.
    spec = HttpRequestSpec(name="health", path=health_path, expect_status=expect_status or [200],
                           capture={"release": release_field} if release_field else {},
                           timeout_seconds=min(request_timeout, max(timeout, 0.1)))
    started = time.monotonic()
    deadline = started + timeout
    attempts = 0
    status: int | None = None
    observed: str | None = None
    detail = ""
    while True:
        attempts += 1
        result = sender(base_url, spec, default_headers=headers or {})
        status = result.status
        value = result.captured.get("release")
        observed = None if value is None else str(value)
        if result.ok and (not release_field or observed == release):
            return ReadyResult(True, status, observed, time.monotonic() - started, attempts, "healthy")
        if result.ok:
            detail = f"healthy but {release_field}={observed!r}, expected {release!r}"
        else:
            detail = result.error or f"status {status}"
        if time.monotonic() + interval > deadline:
            return ReadyResult(False, status, observed, time.monotonic() - started, attempts, detail)
        time.sleep(interval)
