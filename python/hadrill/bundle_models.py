"""Models of the bundle files that had none: drill.json, the playbook lines of events.jsonl, and
the union of every events line. With summary.json's and the statements' models they are the
published JSON Schemas (``hadrill schema NAME``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from hadrill.events import CheckEvent, GateEvent, Marker, TaskEvent

DRILL_SCHEMA_VERSION = "1.0"


class DrillRecord(BaseModel):
    """drill.json: written when the drill starts (configuration snapshot, secrets redacted)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: str = Field(default=DRILL_SCHEMA_VERSION,
                                description="Absent in files written before it was recorded: 1.0.")
    drill_id: str = Field(pattern=r"^ha_drill_\d{8}_[a-z0-9][a-z0-9-]*_\d{2,}$")
    environment: str
    environment_class: str
    owner: str
    observers: list[str] = []
    scope: dict[str, str] = {}
    release_labels: dict[str, str] = {}
    scenarios: list[str] = Field(description="The scenarios this run performs.")
    thresholds: dict[str, float | None] = {}
    started_at: str
    started_mono: float
    inventory: dict[str, Any] = Field(default={}, description="Inventory groups and their hosts.")
    controller: dict[str, Any] = Field(default={}, description="Host, user, pid and versions of the controller.")
    config: dict[str, Any] = Field(default={}, description="The validated configuration, secrets redacted.")


class PlaybookStart(BaseModel):
    model_config = ConfigDict(extra="allow")

    event: Literal["playbook_start"] = "playbook_start"
    playbook: str
    ts: str
    mono: float
    pid: int | None = None


class PlayStart(BaseModel):
    model_config = ConfigDict(extra="allow")

    event: Literal["play_start"] = "play_start"
    play: str
    ts: str
    mono: float


class PlaybookEnd(BaseModel):
    model_config = ConfigDict(extra="allow")

    event: Literal["playbook_end"] = "playbook_end"
    ts: str
    mono: float
    stats: dict[str, Any] = {}


EventLine = Annotated[
    Union[Marker, TaskEvent, CheckEvent, GateEvent, PlaybookStart, PlayStart, PlaybookEnd],
    Field(discriminator="event"),
]
EVENT_LINE = TypeAdapter(EventLine)
