"""Release manifest (release.json): which release this process is and which schemas it supports."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memstore.shapes import CLASSIC, SHAPES, Shape

DEV_VERSION = "dev"


class ReleaseError(ValueError):
    """The manifest is missing, unreadable or malformed."""


@dataclass(frozen=True)
class FaultConfig:
    """Deliberate misbehaviour of a regressing release, applied to /v1/* only."""

    error_rate: float = 0.0
    latency_ms: int = 0

    @property
    def active(self) -> bool:
        return self.error_rate > 0 or self.latency_ms > 0


@dataclass(frozen=True)
class Release:
    version: str
    schema_min: int
    schema_max: int
    fault: FaultConfig = field(default_factory=FaultConfig)
    source: str | None = None  # path of the manifest, None for the dev release
    # Recall answers repeat the query text ({"query": ..., "results": [...]}), as many search APIs
    # do: a read-back that only looks for its token in the answer then passes without a result.
    echo_query: bool = False
    # The API and schema conventions (memstore.shapes): "classic" unless the manifest says "alt".
    shape: Shape = CLASSIC

    def supports(self, schema_version: int) -> bool:
        return self.schema_min <= schema_version <= self.schema_max

    @property
    def supported(self) -> list[int]:
        return [self.schema_min, self.schema_max]

    def contract_failure(self, schema_version: int) -> str:
        if self.shape is not CLASSIC:
            return (
                f"fatal: schema revision {schema_version} is not supported by release {self.version} "
                f"(supports {self.schema_min}..{self.schema_max})"
            )
        return (
            f"STARTUP CONTRACT FAILURE: release {self.version} supports schema versions "
            f"[{self.schema_min}, {self.schema_max}] but the database is at schema version "
            f"{schema_version}"
        )


def default_release_path() -> Path:
    """release.json beside the memstore package dir, i.e. in the release directory."""
    # Not resolved on purpose: run from a `current` symlink, the manifest read is the one
    # of the release the link pointed at when the process started.
    return Path(__file__).parent.parent / "release.json"


def dev_release(known_max: int) -> Release:
    return Release(version=DEV_VERSION, schema_min=1, schema_max=known_max)


def _int_field(data: Mapping[str, Any], name: str) -> int:
    value = data.get(name)
    # bool is an int subclass; `true` is never a schema version.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ReleaseError(f"{name} must be an integer, got {value!r}")
    return value


def parse_fault(data: Any) -> FaultConfig:
    if data is None:
        return FaultConfig()
    if not isinstance(data, Mapping):
        raise ReleaseError("fault must be an object")
    unknown = set(data) - {"error_rate", "latency_ms"}
    if unknown:
        raise ReleaseError(f"unknown fault keys: {sorted(unknown)}")
    rate = data.get("error_rate", 0.0)
    latency = data.get("latency_ms", 0)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate):
        raise ReleaseError(f"fault.error_rate must be a number, got {rate!r}")
    if not 0.0 <= rate <= 1.0:
        raise ReleaseError(f"fault.error_rate must be within [0, 1], got {rate}")
    if isinstance(latency, bool) or not isinstance(latency, (int, float)) or latency < 0:
        raise ReleaseError(f"fault.latency_ms must be a non-negative number, got {latency!r}")
    return FaultConfig(error_rate=float(rate), latency_ms=int(latency))


def parse_release(data: Any, source: str | None = None) -> Release:
    if not isinstance(data, Mapping):
        raise ReleaseError("release manifest must be a JSON object")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise ReleaseError("version must be a non-empty string")
    schema_min = _int_field(data, "schema_min")
    schema_max = _int_field(data, "schema_max")
    if schema_min < 1:
        raise ReleaseError(f"schema_min must be >= 1, got {schema_min}")
    if schema_max < schema_min:
        raise ReleaseError(f"schema_max ({schema_max}) is below schema_min ({schema_min})")
    echo_query = data.get("echo_query", False)
    if not isinstance(echo_query, bool):
        raise ReleaseError(f"echo_query must be true or false, got {echo_query!r}")
    shape = data.get("shape", CLASSIC.name)
    if not isinstance(shape, str) or shape not in SHAPES:
        raise ReleaseError(f"shape must be one of {sorted(SHAPES)}, got {shape!r}")
    return Release(
        version=version.strip(),
        schema_min=schema_min,
        schema_max=schema_max,
        fault=parse_fault(data.get("fault")),
        source=source,
        echo_query=echo_query,
        shape=SHAPES[shape],
    )


def load_release(path: Path, known_max: int, required: bool) -> Release:
    """Read the manifest at `path`; without one, the dev release (unless `required`)."""
    if not path.exists():
        if required:
            raise ReleaseError(f"release file {path} does not exist")
        return dev_release(known_max)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReleaseError(f"cannot read release file {path}: {exc}") from exc
    return parse_release(data, source=str(path))
