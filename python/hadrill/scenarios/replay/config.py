"""The ``worker_replay_*`` variables of an inventory (role ``hadrill.drills.worker_replay``).

Field names are the variable names; defaults equal the role's ``defaults/main.yml`` and
``meta/argument_specs.yml`` (a unit test keeps the three in step).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from hadrill.config.common import Strict, repeated
from hadrill.config.gates import GateCommand
from hadrill.config.hosts import members_of
from hadrill.config.loader import register_scenario
from hadrill.config.queries import check_query
from hadrill.config.templates import check_requests
from hadrill.httpspec import HttpRequestSpec
from hadrill.prometheus import SelectorError, parse_selector

ROLE = "worker_replay"
PREFIX = "worker_replay_"
SCENARIO = "replay"

BacklogSource = Literal["sql", "prometheus", "command"]
ProofMethod = Literal["sql", "http"]

# What each backlog source needs, both for the backlog and for the failed-events count.
SOURCE_SETTINGS: dict[str, tuple[str, str]] = {
    "sql": ("worker_replay_backlog_query", "worker_replay_failed_query"),
    "prometheus": ("worker_replay_backlog_metric", "worker_replay_failed_metric"),
    "command": ("worker_replay_backlog_command", "worker_replay_failed_command"),
}
# The optional processed reading of each source (when the worker really stopped and resumed).
PROCESSED_SETTINGS: dict[str, str] = {
    "sql": "worker_replay_processed_query",
    "prometheus": "worker_replay_processed_metric",
    "command": "worker_replay_processed_command",
}
PROOF_SETTINGS = {"sql": "worker_replay_proof_query", "http": "worker_replay_proof_request"}
# The extra watch after a drain timeout is bounded: a drill must end.
DRAIN_OVERTIME_MAX_SECONDS = 3600.0
IDS_PARAMETER = "%(ids)s"


class ReplaySettings(Strict):
    # Controlled write traffic through the load balancer: one write request, a fixed rate, and
    # the response field (a key of the request's ``capture``) that holds the written id.
    worker_replay_write_request: HttpRequestSpec
    worker_replay_write_rate: PositiveFloat = 10.0
    worker_replay_write_headers: dict[str, str] = {}
    worker_replay_id_field: str = Field(default="id", min_length=1)

    # Backlog sampler: where the backlog and the failed (dead-lettered) count are read.
    worker_replay_backlog_source: BacklogSource = "sql"
    worker_replay_backlog_query: str | None = None
    worker_replay_failed_query: str | None = None
    worker_replay_metrics_url: str | None = None
    worker_replay_metrics_path: str = "/metrics"
    worker_replay_backlog_metric: str | None = None
    worker_replay_failed_metric: str | None = None
    worker_replay_backlog_command: str | None = None
    worker_replay_failed_command: str | None = None
    # Optional, of the same source: a number that rises whenever the worker processes work;
    # without it the real outage is told from the backlog and the drill's acknowledged writes.
    worker_replay_processed_query: str | None = None
    worker_replay_processed_metric: str | None = None
    worker_replay_processed_command: str | None = None
    worker_replay_sample_interval_seconds: PositiveFloat = 1.0
    worker_replay_sample_timeout_seconds: PositiveFloat = 5.0

    # Windows (seconds) and the hard cap that ends the pause early.
    worker_replay_targets: Annotated[list[str], members_of("worker", "worker host")] = []
    worker_replay_baseline_seconds: PositiveFloat = 60.0
    worker_replay_pause_seconds: PositiveFloat = 900.0
    worker_replay_backlog_cap: NonNegativeFloat | None = None
    worker_replay_resume_check_seconds: NonNegativeFloat = 2.0
    worker_replay_drain_timeout_seconds: PositiveFloat = 1800.0
    # After a drain timeout, keep watching up to this long (0: not at all), then prove the replay.
    worker_replay_drain_overtime_seconds: float = Field(default=600.0, ge=0.0, le=DRAIN_OVERTIME_MAX_SECONDS)
    worker_replay_post_drain_seconds: NonNegativeFloat = 30.0

    # Steady-state envelope: drained once K consecutive samples are at most
    # max(ratio x baseline, absolute).
    worker_replay_steady_samples: PositiveInt = 3
    worker_replay_envelope_ratio: float | None = Field(default=1.5, ge=1.0)
    worker_replay_envelope_absolute: NonNegativeFloat | None = None

    # Proof of replay: every write acknowledged during the pause was processed.
    worker_replay_proof_method: ProofMethod = "sql"
    worker_replay_proof_query: str | None = None
    worker_replay_proof_request: HttpRequestSpec | None = None
    worker_replay_proof_sample_size: PositiveInt | None = None
    worker_replay_proof_timeout_seconds: PositiveFloat = 60.0

    # Post-recovery gates (same shape as validation_gates_commands).
    worker_replay_gates: list[GateCommand] = []

    @field_validator("worker_replay_metrics_url")
    @classmethod
    def _metrics_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
        return value

    @field_validator("worker_replay_metrics_path")
    @classmethod
    def _metrics_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"expected a path starting with '/', got {value!r}")
        return value

    @field_validator("worker_replay_backlog_metric", "worker_replay_failed_metric", "worker_replay_processed_metric")
    @classmethod
    def _selector(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_selector(value)
            except SelectorError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("worker_replay_backlog_query", "worker_replay_failed_query", "worker_replay_processed_query")
    @classmethod
    def _unparameterised_queries(cls, value: str | None) -> str | None:
        return value if value is None else check_query(value, None)

    @field_validator("worker_replay_proof_query")
    @classmethod
    def _proof_query(cls, value: str | None) -> str | None:
        return value if value is None else check_query(value, ("ids",))

    @field_validator("worker_replay_write_request")
    @classmethod
    def _write_placeholders(cls, value: HttpRequestSpec) -> HttpRequestSpec:
        return check_requests(value, "write")

    @field_validator("worker_replay_proof_request")
    @classmethod
    def _proof_placeholders(cls, value: HttpRequestSpec | None) -> HttpRequestSpec | None:
        return check_requests(value, "proof")

    @field_validator("worker_replay_targets")
    @classmethod
    def _unique_targets(cls, value: list[str]) -> list[str]:
        if repeated(value):
            raise ValueError(f"expected each worker host once, repeated: {repeated(value)}")
        return value

    @field_validator("worker_replay_gates")
    @classmethod
    def _unique_gates(cls, value: list[GateCommand]) -> list[GateCommand]:
        names = [gate.name for gate in value]
        if repeated(names):
            raise ValueError(f"expected unique gate names, repeated: {repeated(names)}")
        return value

    @model_validator(mode="after")
    def _settings_of_the_chosen_methods(self) -> "ReplaySettings":
        # Reported on the variable that is missing, so the message names what to set.
        problems: list[tuple[str, str]] = []
        source = self.worker_replay_backlog_source
        for name in SOURCE_SETTINGS[source]:
            if not getattr(self, name):
                problems.append((name, f"required when worker_replay_backlog_source is {source!r}"))
        method = self.worker_replay_proof_method
        proof = PROOF_SETTINGS[method]
        if getattr(self, proof) is None:
            problems.append((proof, f"required when worker_replay_proof_method is {method!r}"))
        elif method == "sql" and IDS_PARAMETER not in (self.worker_replay_proof_query or ""):
            problems.append((proof, f"expected a query using the parameter {IDS_PARAMETER} (the list of written ids)"))
        if self.worker_replay_id_field not in self.worker_replay_write_request.captured_names():
            field = self.worker_replay_id_field
            problems.append((
                "worker_replay_write_request",
                f"expected capture (of the request or a step of its chain) to name the id field {field!r} "
                f"(worker_replay_id_field): a JSON path {{{field}: id}}, a header {{{field}: {{header: Location, "
                f"regex: '([^/]+)$'}}}}, a regex on a text answer {{{field}: {{regex: 'id=(\\w+)'}}}}, or the "
                f"request's own token {{{field}: {{value: '${{token}}'}}}}",
            ))
        if self.worker_replay_envelope_ratio is None and self.worker_replay_envelope_absolute is None:
            problems.append((
                "worker_replay_envelope_ratio",
                "set worker_replay_envelope_ratio, worker_replay_envelope_absolute or both "
                "(the steady-state envelope the backlog must drain into)",
            ))
        if problems:
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    InitErrorDetails(type=PydanticCustomError("value_error", message), loc=(name,), input=None)
                    for name, message in problems
                ],
            )
        return self

    @property
    def write_interval_seconds(self) -> float:
        return 1.0 / self.worker_replay_write_rate


register_scenario(SCENARIO, PREFIX, ReplaySettings)
