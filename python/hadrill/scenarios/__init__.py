"""The three drill scenarios. Each sub-package holds its configuration model and its figures."""

from __future__ import annotations

import functools

ROLE_SCENARIOS = {
    "db_restore": "restore",
    "api_rollback": "rollback",
    "worker_replay": "replay",
}

TITLES = {
    "restore": ("Scenario A: Database Restore Drill (PITR/Backup)", "Verify DB restore capability and RTO/RPO assumptions."),
    "rollback": ("Scenario B: API Rollback Drill", "Validate safe rollback to previous release when current API build regresses."),
    "replay": ("Scenario C: Worker Recovery + Replay Drill", "Validate outbox/backfill recovery path after worker interruption."),
}


@functools.lru_cache(maxsize=256)  # asked for every task by the timer callback
def scenario_for_role(role: str | None) -> str | None:
    if role is None:
        return None
    return ROLE_SCENARIOS.get(role.rsplit(".", 1)[-1])
