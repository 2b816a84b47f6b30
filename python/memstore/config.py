"""Configuration from the environment (and the release manifest), validated once at startup."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from memstore import migrations
from memstore.release import FaultConfig, Release, ReleaseError, default_release_path, load_release

ENV_DATABASE_URL = "MEMSTORE_DATABASE_URL"
ENV_API_KEYS = "MEMSTORE_API_KEYS"
ENV_RELEASE_FILE = "MEMSTORE_RELEASE_FILE"
ENV_FAULT_ERROR_RATE = "MEMSTORE_FAULT_ERROR_RATE"
ENV_FAULT_LATENCY_MS = "MEMSTORE_FAULT_LATENCY_MS"


class ConfigError(ValueError):
    """Invalid or missing configuration: the CLI exits 2."""


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    release: Release
    api_keys: Mapping[str, str]

    def require_database_url(self) -> str:
        if not self.database_url:
            raise ConfigError(f"{ENV_DATABASE_URL} is not set")
        return self.database_url


def parse_api_keys(raw: str | None) -> dict[str, str]:
    """MEMSTORE_API_KEYS: a JSON object mapping API key -> tenant name."""
    if raw is None or not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        # The message must not echo the value: it holds secrets.
        raise ConfigError(f"{ENV_API_KEYS} is not valid JSON (line {exc.lineno} col {exc.colno})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{ENV_API_KEYS} must be a JSON object mapping API key to tenant")
    keys: dict[str, str] = {}
    for key, tenant in data.items():
        if not key.strip():
            raise ConfigError(f"{ENV_API_KEYS} contains an empty API key")
        if not isinstance(tenant, str) or not tenant.strip():
            raise ConfigError(f"{ENV_API_KEYS}: every key must map to a non-empty tenant name")
        keys[key] = tenant
    return keys


def fault_from_env(fault: FaultConfig, env: Mapping[str, str]) -> FaultConfig:
    """Environment overrides of the manifest's fault block (rehearsals flip them per process)."""
    rate_raw = env.get(ENV_FAULT_ERROR_RATE)
    latency_raw = env.get(ENV_FAULT_LATENCY_MS)
    if rate_raw not in (None, ""):
        try:
            rate = float(rate_raw)
        except ValueError:
            raise ConfigError(f"{ENV_FAULT_ERROR_RATE} must be a number, got {rate_raw!r}") from None
        if not math.isfinite(rate) or not 0.0 <= rate <= 1.0:
            raise ConfigError(f"{ENV_FAULT_ERROR_RATE} must be within [0, 1], got {rate_raw!r}")
        fault = replace(fault, error_rate=rate)
    if latency_raw not in (None, ""):
        try:
            latency = int(latency_raw)
        except ValueError:
            raise ConfigError(f"{ENV_FAULT_LATENCY_MS} must be an integer, got {latency_raw!r}") from None
        if latency < 0:
            raise ConfigError(f"{ENV_FAULT_LATENCY_MS} must be >= 0, got {latency}")
        fault = replace(fault, latency_ms=latency)
    return fault


def load_settings(env: Mapping[str, str]) -> Settings:
    release_file = env.get(ENV_RELEASE_FILE)
    path = Path(release_file) if release_file else default_release_path()
    try:
        # An explicitly named file must exist; only the implicit default may fall back to dev.
        release = load_release(path, migrations.known_max(), required=bool(release_file))
    except ReleaseError as exc:
        raise ConfigError(str(exc)) from exc
    release = replace(release, fault=fault_from_env(release.fault, env))
    return Settings(
        database_url=env.get(ENV_DATABASE_URL) or None,
        release=release,
        api_keys=parse_api_keys(env.get(ENV_API_KEYS)),
    )


_KV_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_URL_QUERY_PASSWORD = re.compile(r"(\bpassword=)([^&]*)", re.IGNORECASE)


def mask_dsn(dsn: str | None) -> str:
    """The DSN with any password replaced by ***, safe for logs and error messages."""
    if not dsn:
        return ""
    if "://" in dsn:
        try:
            parts = urlsplit(dsn)
        except ValueError:
            return "<unparseable dsn>"
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, hostinfo = netloc.rpartition("@")
            user, sep, _password = userinfo.partition(":")
            netloc = f"{user}:***@{hostinfo}" if sep else f"{user}@{hostinfo}"
        query = _URL_QUERY_PASSWORD.sub(r"\1***", parts.query)
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    return _KV_PASSWORD.sub(r"\1***", dsn)


def parse_listen(value: str) -> tuple[str, int]:
    """HOST:PORT (IPv6 as [::1]:PORT)."""
    host, sep, port_raw = value.rpartition(":")
    if not sep or not host:
        raise ConfigError(f"--listen must be HOST:PORT, got {value!r}")
    host = host.strip("[]")
    try:
        port = int(port_raw)
    except ValueError:
        raise ConfigError(f"--listen port must be an integer, got {port_raw!r}") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"--listen port out of range: {port}")
    return host, port


def env_number(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value) or value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {raw!r}")
    return value
