"""What a sampler process is told to do."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt


class SamplerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: str
    scenario: str | None = None
    evidence_dir: str
    interval_seconds: PositiveFloat = 1.0
    # Every sampler stops by itself after this long, even if nobody stops it.
    max_duration_seconds: PositiveFloat = 3600.0
    max_samples: PositiveInt = 1_000_000
    # The process that started the drill; the sampler exits when it is gone.
    watch_pid: int | None = None
    concurrency: PositiveInt = 8
    config: dict[str, Any] = {}
