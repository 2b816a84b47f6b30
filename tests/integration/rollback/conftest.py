"""Fixtures of the rollback integration tests."""

from __future__ import annotations

import pytest

from tests.integration.rollback.rollback_support import restore_current_release


@pytest.fixture
def leaves_sandbox_serving(sandbox):
    """Whatever the test does, the replicas end on the current release with every backend up."""
    try:
        yield sandbox
    finally:
        restore_current_release(sandbox)
