"""Scenario A (restore): every ``db_restore_*`` variable, validated before the drill starts.

Field names are the role's variable names (``collection/roles/db_restore``); the role's
``meta/argument_specs.yml`` lists the same names, types and defaults (a unit test compares
them). Host facts (credentials, pgBackRest stanza, WAL archive) are the ``db_*`` variables of
the ``db_primary`` host; ``cross_check`` verifies that the chosen method finds what it needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, NonNegativeFloat, PositiveFloat, field_validator

from hadrill.clock import parse_utc
from hadrill.config.common import Strict, TableName
from hadrill.config.hosts import InventoryHost, is_loopback
from hadrill.config.loader import register_scenario
from hadrill.config.paths import DedicatedPath
from hadrill.config.queries import check_query
from hadrill import httpspec
from hadrill.httpspec import HttpRequestSpec
from hadrill.scenarios.restore import placeholders

if TYPE_CHECKING:
    from hadrill.config.loader import DrillConfig

Port = Annotated[int, Field(ge=1, le=65535)]
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,47}$")]
SettingValue = str | int | float | bool

Method = Literal["pgbackrest", "basebackup", "command"]
TargetKind = Literal["time", "latest"]


class SampleQuery(Strict):
    """One per-tenant query of the tenant sample; ``%(tenant)s`` and ``%(cutoff)s`` are bound."""

    name: Name
    query: str = Field(min_length=1)

    @field_validator("query")
    @classmethod
    def _bound_parameters(cls, value: str) -> str:
        return check_query(value, ("tenant", "cutoff"))


class VerificationProcess(Strict):
    """A process of the verification environment (API release, worker) started on the restored DB."""

    name: Name
    command: str = Field(min_length=1)
    chdir: str | None = None
    environment: dict[str, str] = {}
    user: str | None = None


class SmokeStep(HttpRequestSpec):
    """One smoke request; retried until it passes for at most ``retry_seconds``."""

    retry_seconds: NonNegativeFloat = 0.0
    retry_interval_seconds: PositiveFloat = 0.25


def _absolute(value: str | None) -> str | None:
    if value is not None and not value.startswith("/"):
        raise ValueError(f"expected an absolute path, got {value!r}")
    return value


class RestoreSettings(Strict):
    # How and to what.
    db_restore_method: Method = "pgbackrest"
    db_restore_target: TargetKind = "time"
    db_restore_target_time: str | None = None
    db_restore_target_before_incident_seconds: NonNegativeFloat = 1.0
    db_restore_force_wal_switch: bool = True
    db_restore_archive_wait_seconds: PositiveFloat = 60.0
    # The isolated verification instance (pgbackrest and basebackup methods).
    db_restore_work_root: DedicatedPath | None = None
    db_restore_host: str | None = None
    db_restore_port: Port | None = None
    db_restore_instance_settings: dict[str, SettingValue] = {}
    db_restore_pgbackrest_repo_path: str | None = None
    db_restore_pgbackrest_options: list[str] = []
    db_restore_timeout_seconds: PositiveFloat = 3600.0
    db_restore_promote_timeout_seconds: PositiveFloat = 1800.0
    db_restore_teardown_timeout_seconds: PositiveFloat = 120.0
    # The command method (managed databases).
    db_restore_command_host: InventoryHost = "localhost"
    db_restore_command_restore: str | None = None
    db_restore_command_wait: str | None = None
    db_restore_command_teardown: str | None = None
    # What the restored database must contain.
    db_restore_schema_version_query: str = Field(min_length=1)
    db_restore_expected_schema_version: str | None = None
    db_restore_sample_tenants: list[str] = []
    db_restore_sample_queries: list[SampleQuery] = []
    db_restore_sample_cutoff_seconds: NonNegativeFloat = 60.0
    # The canary writer: the RPO ground truth.
    db_restore_canary_table: TableName = "hadrill_canary"
    db_restore_canary_interval_seconds: PositiveFloat = 0.1
    db_restore_canary_warmup_seconds: NonNegativeFloat = 15.0
    # The verification API and its smoke test.
    db_restore_api_host: InventoryHost = "localhost"
    db_restore_api_port: Port
    db_restore_api_base_url: str | None = None
    db_restore_api_start_timeout_seconds: PositiveFloat = 60.0
    db_restore_api_processes: list[VerificationProcess] = Field(min_length=1)
    db_restore_smoke_requests: list[SmokeStep] = Field(min_length=1)
    db_restore_smoke_headers: dict[str, str] = {}

    _work_root = field_validator("db_restore_pgbackrest_repo_path")(
        classmethod(lambda cls, value: _absolute(value))
    )

    @field_validator("db_restore_schema_version_query")
    @classmethod
    def _unparameterised(cls, value: str) -> str:
        return check_query(value, None)

    @field_validator("db_restore_target_time")
    @classmethod
    def _target_time(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            parse_utc(value)
        except ValueError:
            raise ValueError(
                f"expected an ISO 8601 timestamp with a UTC offset (2026-02-28T10:10:00Z), got {value!r}"
            ) from None
        return value

    @field_validator("db_restore_api_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("db_restore_sample_tenants")
    @classmethod
    def _tenants(cls, value: list[str]) -> list[str]:
        if any(not item for item in value) or len(set(value)) != len(value):
            raise ValueError(f"expected distinct, non-empty tenant names, got {value!r}")
        return value

    def consistency_problems(self) -> list[str]:
        """Problems between variables, one line each, every line starting with the variable."""
        problems: list[str] = []
        if self.db_restore_target == "latest" and self.db_restore_target_time is not None:
            problems.append("db_restore_target_time: only used with db_restore_target: time")
        if self.db_restore_method == "command":
            missing = [name for name in ("db_restore_command_restore", "db_restore_command_teardown")
                       if not getattr(self, name)]
            if missing:
                problems.append(f"db_restore_method: 'command' needs {', '.join(missing)}")
            if not self.db_restore_command_wait and not (self.db_restore_host and self.db_restore_port):
                problems.append(
                    "db_restore_method: 'command' needs db_restore_host and db_restore_port, or a "
                    "db_restore_command_wait that prints {\"host\": ..., \"port\": ...}"
                )
        else:
            if not self.db_restore_work_root:
                problems.append(
                    f"db_restore_work_root: required with db_restore_method {self.db_restore_method!r} "
                    "(where the verification instance's data directory is created on the db_primary host)"
                )
        if self.db_restore_api_host != "localhost" and self.db_restore_api_base_url is None:
            problems.append("db_restore_api_base_url: required when db_restore_api_host is not localhost")
        if self.db_restore_sample_queries and not self.db_restore_sample_tenants:
            problems.append("db_restore_sample_queries: needs db_restore_sample_tenants")
        names = [item.name for item in self.db_restore_sample_queries]
        if len(set(names)) != len(names):
            problems.append(f"db_restore_sample_queries: names must be unique, got {names}")
        names = [item.name for item in self.db_restore_api_processes]
        if len(set(names)) != len(names):
            problems.append(f"db_restore_api_processes: names must be unique, got {names}")
        names = [item.name for item in self.db_restore_smoke_requests]
        if len(set(names)) != len(names):
            problems.append(f"db_restore_smoke_requests: names must be unique, got {names}")
        problems += self._placeholder_problems()
        return problems

    def _placeholder_problems(self) -> list[str]:
        problems = []
        commands = {
            "db_restore_command_restore": self.db_restore_command_restore,
            "db_restore_command_wait": self.db_restore_command_wait,
            "db_restore_command_teardown": self.db_restore_command_teardown,
        }
        for name, text in commands.items():
            bad = placeholders.unknown([text or ""], placeholders.INSTANCE)
            if bad:
                problems.append(f"{name}: unknown placeholder(s) {bad}; known: {list(placeholders.INSTANCE)}")
        for index, process in enumerate(self.db_restore_api_processes):
            texts = [process.command, process.chdir or "", *process.environment.values()]
            bad = placeholders.unknown(texts, placeholders.PROCESS)
            if bad:
                problems.append(
                    f"db_restore_api_processes[{index}]: unknown placeholder(s) {bad}; known: {list(placeholders.PROCESS)}"
                )
        for index, step in enumerate(self.db_restore_smoke_requests):
            # Values captured by earlier steps may be referred to as well.
            captured = [name for earlier in self.db_restore_smoke_requests[:index] for name in earlier.captured_names()]
            allowed = [*httpspec.PLACEHOLDERS["smoke"], *captured]
            bad = httpspec.request_unknown_placeholders(step, "smoke", also=captured)
            if bad:
                problems.append(
                    f"db_restore_smoke_requests[{index}] ({step.name}): unknown placeholder(s) {bad}; "
                    f"known here: {allowed}"
                )
        return problems

    def cross_check(self, groups: Mapping[str, list[str]]) -> list[str]:
        """Problems between variables (host names are checked with their fields: InventoryHost)."""
        return self.consistency_problems()

    def cross_check_hosts(self, config: "DrillConfig") -> list[str]:
        """What the method needs from the db_primary host's settings."""
        if not config.hosts.get("db_primary"):
            return []
        name, db = config.db_primary
        problems = []
        if self.db_restore_method == "pgbackrest" and not db.pgbackrest_stanza:
            problems.append(f"db_restore_method 'pgbackrest' needs pgbackrest_stanza on the db_primary host {name}")
        if self.db_restore_method == "basebackup" and not (db.db_wal_archive_dir and db.db_basebackup_dir):
            problems.append(
                f"db_restore_method 'basebackup' needs db_wal_archive_dir and db_basebackup_dir on the db_primary host {name}"
            )
        return problems + self.endpoint_problems(config)

    def endpoint_problems(self, config: "DrillConfig") -> list[str]:
        """The verification instance and API are somewhere else than the primary: an address of
        the host the instance runs on, and ports that collide with nothing the drill knows runs
        on the same machine (a port already listening is refused at run time)."""
        name, db = config.db_primary
        view = config.inventory
        problems = []
        taken: dict[int, str] = {}  # ports of what runs on the verification API's machine
        if self.db_restore_method == "command":
            if (self.db_restore_host, self.db_restore_port) == (db.db_host, db.db_port):
                problems.append(
                    f"db_restore_host: {self.db_restore_host}:{self.db_restore_port} is the primary database "
                    f"(db_host and db_port of {name}); expected the restored copy's address and port"
                )
        else:
            # The instance runs on the db_primary host, beside the primary.
            port = self.db_restore_port if self.db_restore_port is not None else db.db_port + 1
            if self.db_restore_host is not None:
                allowed = {db.db_host, *view.addresses_of(name)}
                controller = view.same_machine(name, "localhost")
                if self.db_restore_host not in allowed and not (controller and is_loopback(self.db_restore_host)):
                    problems.append(
                        f"db_restore_host: expected an address of the db_primary host {name}, where the verification "
                        f"instance runs with db_restore_method {self.db_restore_method!r} (one of {sorted(allowed)}"
                        f"{' or a loopback address' if controller else ''}), got {self.db_restore_host!r}"
                    )
            if port == db.db_port:
                problems.append(
                    f"db_restore_port: expected a port other than the primary's (db_port {db.db_port} of {name}): "
                    f"the verification instance runs on the same host, got {port}"
                )
            if view.same_machine(self.db_restore_api_host, name):
                taken = {port: "the verification instance (db_restore_port)",
                         db.db_port: f"the primary database (db_port of {name})"}
        for host, api in config.hosts.get("api", {}).items():
            replica = urlsplit(getattr(api, "api_base_url", "")).port
            if replica is not None and view.same_machine(self.db_restore_api_host, host):
                taken.setdefault(replica, f"the API replica {host} (api_base_url)")
        if self.db_restore_api_port in taken:
            problems.append(
                f"db_restore_api_port: expected a port free on {self.db_restore_api_host}, got "
                f"{self.db_restore_api_port}, the port of {taken[self.db_restore_api_port]} on the same machine"
            )
        return problems


register_scenario("restore", "db_restore_", RestoreSettings)
