"""Validation gates and preconditions: the ``validation_gates_*`` and ``preconditions_*`` variables."""

from __future__ import annotations

from pydantic import Field, NonNegativeFloat, PositiveFloat

from hadrill.config.common import Slug, Strict
from hadrill.config.hosts import InventoryHost


class GateCommand(Strict):
    """A command whose exit code decides a gate; its output, exit code and duration are evidence."""

    name: Slug
    command: str = Field(min_length=1)
    host: InventoryHost = "localhost"
    chdir: str | None = None
    environment: dict[str, str] = {}
    timeout_seconds: PositiveFloat = 300.0
    expect_rc: int = 0


class GatesSettings(Strict):
    validation_gates_commands: list[GateCommand] = []
    # Set by scenarios that run their own post-recovery gates through the same role.
    validation_gates_scenario: str = ""


class PreconditionsSettings(Strict):
    preconditions_expected_api_replicas: int | None = Field(default=None, ge=1)
    preconditions_expected_workers: int | None = Field(default=None, ge=0)
    preconditions_check_archive: bool = True
    preconditions_health_timeout_seconds: PositiveFloat = 10.0
    preconditions_backup_max_age_seconds: NonNegativeFloat | None = None
    preconditions_known_good_release: str = ""
