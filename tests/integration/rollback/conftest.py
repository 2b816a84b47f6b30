"""Fixtures of the rollback integration tests."""

from __future__ import annotations

import pytest

from tests.integration.rollback.rollback_support import restore_current_release


@pytest.fixture
def leaves_sandbox_serving(sandbox):
    """The replicas start and end on the current release with every backend up (whatever ran
    before: a full drill leaves them on the known-good release)."""
    restore_current_release(sandbox)
    try:
        yield sandbox
    finally:
        restore_current_release(sandbox)
