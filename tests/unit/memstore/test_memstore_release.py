"""Release manifest parsing, schema range check and config loading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memstore import migrations
from memstore.config import ConfigError, fault_from_env, load_settings
from memstore.release import (
    FaultConfig,
    ReleaseError,
    default_release_path,
    dev_release,
    load_release,
    parse_release,
)


def test_parse_full_manifest() -> None:
    release = parse_release(
        {"version": "v0.2.3-rc1", "schema_min": 3, "schema_max": 3, "fault": {"error_rate": 0.4, "latency_ms": 25}}
    )
    assert release.version == "v0.2.3-rc1"
    assert release.supported == [3, 3]
    assert release.fault == FaultConfig(error_rate=0.4, latency_ms=25)
    assert release.fault.active


def test_fault_is_optional() -> None:
    release = parse_release({"version": "v0.2.2", "schema_min": 3, "schema_max": 3})
    assert release.fault == FaultConfig()
    assert not release.fault.active


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ([], "JSON object"),
        ({"schema_min": 1, "schema_max": 2}, "version"),
        ({"version": " ", "schema_min": 1, "schema_max": 2}, "version"),
        ({"version": "v1", "schema_min": "1", "schema_max": 2}, "schema_min must be an integer"),
        ({"version": "v1", "schema_min": True, "schema_max": 2}, "schema_min must be an integer"),
        ({"version": "v1", "schema_min": 1}, "schema_max must be an integer"),
        ({"version": "v1", "schema_min": 0, "schema_max": 2}, "schema_min must be >= 1"),
        ({"version": "v1", "schema_min": 3, "schema_max": 2}, "below schema_min"),
        ({"version": "v1", "schema_min": 1, "schema_max": 2, "fault": 1}, "fault must be an object"),
        ({"version": "v1", "schema_min": 1, "schema_max": 2, "fault": {"error_rate": 1.5}}, "within [0, 1]"),
        ({"version": "v1", "schema_min": 1, "schema_max": 2, "fault": {"latency_ms": -1}}, "latency_ms"),
        ({"version": "v1", "schema_min": 1, "schema_max": 2, "fault": {"rate": 0.1}}, "unknown fault keys"),
    ],
)
def test_invalid_manifests(manifest: object, message: str) -> None:
    with pytest.raises(ReleaseError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_release(manifest)


def test_range_check_and_contract_message() -> None:
    release = parse_release({"version": "v0.1.8", "schema_min": 2, "schema_max": 3})
    assert [v for v in range(6) if release.supports(v)] == [2, 3]
    line = release.contract_failure(4)
    assert line.startswith("STARTUP CONTRACT FAILURE:")
    assert "v0.1.8" in line and "[2, 3]" in line and "schema version 4" in line
    assert "\n" not in line


def test_dev_release_supports_every_known_schema() -> None:
    release = dev_release(migrations.known_max())
    assert release.version == "dev"
    assert release.supported == [1, migrations.known_max()]


def test_load_release(tmp_path: Path) -> None:
    missing = tmp_path / "release.json"
    assert load_release(missing, 4, required=False).version == "dev"
    with pytest.raises(ReleaseError, match="does not exist"):
        load_release(missing, 4, required=True)
    missing.write_text("{broken")
    with pytest.raises(ReleaseError, match="cannot read"):
        load_release(missing, 4, required=False)
    missing.write_text(json.dumps({"version": "v9", "schema_min": 1, "schema_max": 1}))
    assert load_release(missing, 4, required=True).source == str(missing)


def test_default_release_path_is_beside_the_package() -> None:
    import memstore

    assert default_release_path() == Path(memstore.__file__).parent.parent / "release.json"


def test_settings_from_env(tmp_path: Path) -> None:
    manifest = tmp_path / "release.json"
    manifest.write_text(json.dumps({"version": "v0.2.2", "schema_min": 3, "schema_max": 3, "fault": {"error_rate": 0.2}}))
    settings = load_settings({
        "MEMSTORE_RELEASE_FILE": str(manifest),
        "MEMSTORE_DATABASE_URL": "postgresql://a:b@h/d",
        "MEMSTORE_API_KEYS": '{"k1": "acme"}',
        "MEMSTORE_FAULT_LATENCY_MS": "30",
    })
    assert settings.release.version == "v0.2.2"
    assert settings.release.fault == FaultConfig(error_rate=0.2, latency_ms=30)
    assert settings.api_keys == {"k1": "acme"}
    with pytest.raises(ConfigError, match="MEMSTORE_DATABASE_URL"):
        load_settings({"MEMSTORE_RELEASE_FILE": str(manifest)}).require_database_url()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MEMSTORE_FAULT_ERROR_RATE": "lots"}, "must be a number"),
        ({"MEMSTORE_FAULT_ERROR_RATE": "2"}, "within"),
        ({"MEMSTORE_FAULT_ERROR_RATE": "nan"}, "within"),
        ({"MEMSTORE_FAULT_LATENCY_MS": "1.5"}, "integer"),
        ({"MEMSTORE_FAULT_LATENCY_MS": "-3"}, ">= 0"),
    ],
)
def test_fault_env_overrides_validated(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        fault_from_env(FaultConfig(), env)


def test_fault_env_override_wins() -> None:
    assert fault_from_env(FaultConfig(0.4, 10), {"MEMSTORE_FAULT_ERROR_RATE": "0"}) == FaultConfig(0.0, 10)
    assert fault_from_env(FaultConfig(0.4, 10), {"MEMSTORE_FAULT_ERROR_RATE": ""}) == FaultConfig(0.4, 10)
