"""What the drill knows about each host group: db_primary, api, lb, worker.

These are the variables a real inventory sets per host or group; the sandbox sets the same ones.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from hadrill.config.paths import DedicatedPath, canonical_problem

Port = int


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return value.rstrip("/")


class HostModel(BaseModel):
    # Hosts carry many unrelated variables (ansible_*, the service's own); only ours are read.
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


class PlatformAdapter(HostModel):
    """How the drill stops, starts and switches releases of a program on this host.

    ``supervisor``: supervisorctl plus a release symlink that points at one of the
    release directories under ``release_root``. ``command``: the inventory supplies commands
    (Kubernetes, systemd, anything else); ``{release}`` is replaced in the deploy command.
    """

    platform_adapter: Literal["supervisor", "command"] = "supervisor"
    supervisor_ctl: str | None = None
    supervisor_program: str | None = None
    release_root: str | None = None
    # Replaced by a link to the release being deployed: a path of its own (config.paths).
    release_link: DedicatedPath | None = None
    platform_start_command: str | None = None
    platform_stop_command: str | None = None
    platform_status_command: str | None = None
    platform_deploy_command: str | None = None
    platform_release_command: str | None = None
    platform_release_present_command: str | None = None
    platform_log_command: str | None = None

    @model_validator(mode="after")
    def _adapter_settings(self) -> "PlatformAdapter":
        if self.platform_adapter == "supervisor":
            missing = [name for name in ("supervisor_ctl", "supervisor_program") if not getattr(self, name)]
        else:
            missing = [
                name
                for name in ("platform_start_command", "platform_stop_command", "platform_status_command")
                if not getattr(self, name)
            ]
        if missing:
            raise ValueError(f"platform_adapter {self.platform_adapter!r} needs {', '.join(missing)}")
        return self


class DbPrimaryHost(HostModel):
    db_host: str = Field(min_length=1)
    db_port: Port = Field(default=5432, ge=1, le=65535)
    db_name: str = Field(min_length=1)
    db_user: str = Field(min_length=1)
    db_password: SecretStr | None = None
    db_sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] = "prefer"
    db_pg_bindir: str = "/usr/lib/postgresql/15/bin"
    db_os_user: str = "postgres"
    db_backup_method: Literal["pgbackrest", "basebackup", "command"] = "pgbackrest"
    pgbackrest_stanza: str | None = None
    pgbackrest_config: str | None = None
    db_wal_archive_dir: str | None = None
    db_basebackup_dir: str | None = None
    db_backup_info_command: str | None = None
    # The primary's data directory. Optional and only read by validation: no directory hadrill
    # creates or removes may be at, above or below it (config.paths). Set it.
    db_data_dir: str | None = None

    @field_validator("db_data_dir", "db_wal_archive_dir", "db_basebackup_dir")
    @classmethod
    def _absolute_directory(cls, value: str | None) -> str | None:
        problem = canonical_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _method_settings(self) -> "DbPrimaryHost":
        if self.db_backup_method == "pgbackrest" and not self.pgbackrest_stanza:
            raise ValueError("db_backup_method 'pgbackrest' needs pgbackrest_stanza")
        if self.db_backup_method == "basebackup" and not (self.db_wal_archive_dir and self.db_basebackup_dir):
            raise ValueError("db_backup_method 'basebackup' needs db_wal_archive_dir and db_basebackup_dir")
        if self.db_backup_method == "command" and not self.db_backup_info_command:
            raise ValueError("db_backup_method 'command' needs db_backup_info_command (prints JSON with latest_backup_at)")
        return self

    def conninfo(self, *, host: str | None = None, port: int | None = None, dbname: str | None = None) -> str:
        """libpq keyword/value conninfo (psycopg.conninfo.make_conninfo quotes values)."""
        from psycopg.conninfo import make_conninfo

        password = self.db_password.get_secret_value() if self.db_password else None
        return make_conninfo(
            host=host or self.db_host,
            port=port or self.db_port,
            dbname=dbname or self.db_name,
            user=self.db_user,
            password=password,
            sslmode=self.db_sslmode,
            connect_timeout=5,
            application_name="hadrill",
        )


class ApiHost(PlatformAdapter):
    api_base_url: str
    api_health_path: str = "/health"
    lb_server_name: str = Field(min_length=1)

    _url = field_validator("api_base_url")(classmethod(lambda cls, value: _http_url(value)))

    @field_validator("api_health_path")
    @classmethod
    def _health_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"expected a path starting with '/', got {value!r}")
        return value


class LbHost(HostModel):
    lb_kind: Literal["haproxy"] = "haproxy"
    lb_base_url: str
    # A Unix socket on the load balancer host: the drill drains and enables servers there.
    haproxy_admin_socket: str = Field(min_length=1)
    haproxy_backend: str = Field(min_length=1)
    # HAProxy's read-only statistics in CSV (``stats uri`` + ``;csv``), read from the controller
    # by the rollback's replica watch; without it the watch reads the admin socket only when the
    # load balancer host is the controller.
    haproxy_stats_url: str | None = None

    _url = field_validator("lb_base_url")(classmethod(lambda cls, value: _http_url(value)))

    @field_validator("haproxy_stats_url")
    @classmethod
    def _stats_url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)


class WorkerHost(PlatformAdapter):
    pass
