"""Builders for synthetic drill configurations and bundles (pure logic tests only)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

BASE_VARIABLES: dict[str, Any] = {
    "drill_environment": "staging",
    "drill_environment_class": "staging",
    "drill_owner": "platform-oncall",
    "drill_scenarios": "none",
    "drill_thresholds": {"rto_seconds": 1200, "rpo_seconds": 300},
}

BASE_HOSTS: dict[str, dict[str, Any]] = {
    "db-1": {"db_host": "10.0.0.5", "db_port": 5432, "db_name": "app", "db_user": "drill",
             "db_password": "s3cret-db-pw", "pgbackrest_stanza": "main"},
    "api-1": {"api_base_url": "http://10.0.0.11:8080", "lb_server_name": "api-1",
              "supervisor_ctl": "supervisorctl", "supervisor_program": "api", "release_link": "/srv/api/current"},
    "api-2": {"api_base_url": "http://10.0.0.12:8080", "lb_server_name": "api-2",
              "supervisor_ctl": "supervisorctl", "supervisor_program": "api", "release_link": "/srv/api/current"},
    "lb-1": {"lb_base_url": "http://10.0.0.10", "haproxy_admin_socket": "/run/haproxy/admin.sock",
             "haproxy_backend": "api"},
    "worker-1": {"supervisor_ctl": "supervisorctl", "supervisor_program": "worker"},
}

BASE_GROUPS = {"db_primary": ["db-1"], "api": ["api-1", "api-2"], "lb": ["lb-1"], "worker": ["worker-1"]}

# The smallest valid settings of each scenario (added by Inventory.select).
SCENARIO_VARIABLES: dict[str, dict[str, Any]] = {
    "restore": {
        "db_restore_work_root": "/srv/pg-verify",
        "db_restore_schema_version_query": "select max(version)::text from schema_migrations",
        "db_restore_api_port": 18100,
        "db_restore_api_processes": [{"name": "api", "command": "/srv/app/bin/app --port ${api_port}"}],
        "db_restore_smoke_requests": [{"name": "health", "path": "/health"}],
    },
    "rollback": {
        "api_rollback_candidate_release": "v2.0.0-rc1",
        "api_rollback_known_good_release": "v1.9.3",
        "api_rollback_canary_hosts": ["api-1"],
        "api_rollback_probe_requests": [
            {"name": "write", "method": "POST", "path": "/v1/items", "json": {"text": "probe ${token}"}}],
    },
    "replay": {
        "worker_replay_write_request": {"name": "write", "method": "POST", "path": "/v1/items",
                                        "json": {"text": "item ${token}"}, "capture": {"id": "id"}},
        "worker_replay_backlog_query": "SELECT count(*) FROM queue WHERE state = 'pending'",
        "worker_replay_failed_query": "SELECT count(*) FROM queue WHERE state = 'dead'",
        "worker_replay_proof_query": "SELECT id FROM queue WHERE id = ANY(%(ids)s) AND state = 'done'",
    },
}


class Inventory:
    def __init__(self) -> None:
        self.variables = copy.deepcopy(BASE_VARIABLES)
        self.hosts = copy.deepcopy(BASE_HOSTS)
        self.groups = copy.deepcopy(BASE_GROUPS)

    def select(self, *scenarios: str) -> "Inventory":
        """Select scenarios, with their smallest valid settings."""
        self.variables["drill_scenarios"] = list(scenarios)
        for scenario in scenarios:
            self.variables.update(copy.deepcopy(SCENARIO_VARIABLES[scenario]))
        return self

    def problems(self, **options: Any) -> list[str]:
        from hadrill.config import ConfigError

        with pytest.raises(ConfigError) as caught:
            self.validate(**options)
        return caught.value.problems

    def validate(self, **options: Any):
        from hadrill.config import validate
        from tests.support.inventory import host_lookups

        return validate(self.variables, self.groups, *host_lookups(self.variables, self.hosts), **options)


@pytest.fixture
def inventory() -> Inventory:
    return Inventory()
