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
              "supervisor_ctl": "supervisorctl", "supervisor_program": "api"},
    "api-2": {"api_base_url": "http://10.0.0.12:8080", "lb_server_name": "api-2",
              "supervisor_ctl": "supervisorctl", "supervisor_program": "api"},
    "lb-1": {"lb_base_url": "http://10.0.0.10", "haproxy_admin_socket": "/run/haproxy/admin.sock",
             "haproxy_backend": "api"},
    "worker-1": {"supervisor_ctl": "supervisorctl", "supervisor_program": "worker"},
}

BASE_GROUPS = {"db_primary": ["db-1"], "api": ["api-1", "api-2"], "lb": ["lb-1"], "worker": ["worker-1"]}


class Inventory:
    def __init__(self) -> None:
        self.variables = copy.deepcopy(BASE_VARIABLES)
        self.hosts = copy.deepcopy(BASE_HOSTS)
        self.groups = copy.deepcopy(BASE_GROUPS)

    def validate(self):
        from hadrill.config import validate

        return validate(
            self.variables, self.groups,
            lambda host, name: self.hosts[host][name],
            lambda host, name: name in self.hosts[host],
        )


@pytest.fixture
def inventory() -> Inventory:
    return Inventory()
