"""Bounded polling: every wait in the tests ends, with a message saying what did not happen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    pass


def wait_until(
    predicate: Callable[[], T | None], *, timeout: float, interval: float = 0.05, what: str = "condition"
) -> T:
    """Call `predicate` until it returns something truthy (returned) or `timeout` seconds pass.

    Exceptions from the predicate count as "not yet" until the deadline; the last one is
    chained to the WaitTimeout.
    """
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    last_value: T | None = None
    while True:
        try:
            last_value = predicate()
            if last_value:
                return last_value
        except Exception as exc:  # noqa: BLE001 - retried until the deadline
            last_exc = exc
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {timeout}s waiting for {what} (last value {last_value!r})") from last_exc
        time.sleep(interval)
