"""What every benchmark shares: the machine's memory held steady where it can be (tests.support.guest_memory)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.guest_memory import steady_memory


@pytest.fixture(scope="session", autouse=True)
def steady_machine() -> Iterator[None]:
    """Free page reporting and cold-page pageout held for the session (``HADRILL_BENCH_HOLD_MEMORY=0``:
    left as they are)."""
    if os.environ.get("HADRILL_BENCH_HOLD_MEMORY", "1") == "0":
        print("\n[bench] the machine's memory management left as it is (HADRILL_BENCH_HOLD_MEMORY=0)")
        yield
        return
    with steady_memory() as done:
        for line in done:
            print(f"\n[bench] {line}")
        yield
