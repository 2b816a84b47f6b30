"""Models of the bundle files that had none: drill.json, the playbook lines of events.jsonl, and
the union of every events line. With summary.json's and the statements' models they are the
published JSON Schemas (``hadrill schema NAME``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from hadrill.events import CheckEvent, GateEvent, Marker, TaskEvent

DRILL_SCHEMA_VERSION = "1.2"  # 1.2: a delegated task event names the inventory host it ran on (delegated_to)


class DrillJournalLocation(BaseModel):
    """Where the journal on the target side is (hadrill.target_journal): a table of a database."""

    model_config = ConfigDict(extra="forbid")

    database: str = Field(description="The inventory host of the database (the first db_primary host).")
    table: str = Field(description="drill_journal_table.")


class Launch(BaseModel):
    """The AWX job: its environment (JOB_ID, PROJECT_REVISION, AWX_HOST...) and awx_* extra variables."""

    model_config = ConfigDict(extra="forbid")

    system: Literal["awx"] = "awx"
    job_id: int | str
    job_url: str | None = None
    job_template: str | None = None
    launch_type: str | None = None
    launched_by: str | None = Field(default=None, description="awx_user_name: the user who launched the job.")
    schedule: str | None = None
    workflow_job_id: int | str | None = None
    project_revision: str | None = None
    inventory: str | None = None
    inventory_id: int | str | None = None
    awx_host: str | None = None


class CollectionInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    version: str
    source: Literal["installed", "checkout"] = Field(description="MANIFEST.json of an installed collection, or galaxy.yml.")


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
    journal: DrillJournalLocation | None = Field(
        default=None, description="Where the drill journal is kept on the target side (1.1; absent before).")
    launch: Launch | None = Field(default=None, description="The AWX job that ran the drill (1.1; absent outside AWX).")
    collection: CollectionInfo | None = Field(
        default=None, description="The hadrill.drills collection that ran the drill (1.1; absent when unknown).")


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
