"""The drill-wide settings: every ``drill_*`` variable of an inventory."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, PositiveFloat, SecretStr, field_validator

from hadrill.cleanup import Cleanup
from hadrill.sink import EvidenceSink

from hadrill.config.paths import DedicatedPath

SCENARIOS = ("restore", "rollback", "replay")
Scenario = Literal["restore", "rollback", "replay"]
EnvironmentClass = Literal["sandbox", "staging", "production"]
ENVIRONMENT_CLASSES: tuple[str, ...] = get_args(EnvironmentClass)
DEFAULT_MAX_DURATION_SECONDS = 21600.0
MAX_DURATION_CAP_SECONDS = 7 * 24 * 3600.0
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]
# Unquoted (lower-case) identifiers only, optionally schema-qualified: never needs quoting
# rules to agree between the drill, the recovery journal and the operator reading the docs.
TableName = Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$")]


def repeated(values: list[str]) -> list[str]:
    """The values that occur more than once, sorted (for "expected unique ..." messages)."""
    return sorted({value for value in values if values.count(value) > 1})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


class Thresholds(Strict):
    """Pass/fail limits. A threshold set to null is reported but not judged; most default to null.

    The availability limits of the rollback default to values a rollback under working drains
    meets, so that an outage during a drill is never passed silently: the error rate (%) of the
    requests sent while the rollback runs, the longest time without a successful request through
    the load balancer, and the requests failed by the drill's own switching.
    """

    rto_seconds: NonNegativeFloat | None = None
    rpo_seconds: NonNegativeFloat | None = None
    rollback_seconds: NonNegativeFloat | None = None
    error_rate_recovery_seconds: NonNegativeFloat | None = None
    rollback_error_rate_percent: NonNegativeFloat | None = 5.0
    longest_outage_seconds: NonNegativeFloat | None = 2.0
    restart_failed_requests: NonNegativeFloat | None = 0.0
    drain_seconds: NonNegativeFloat | None = None
    backlog_peak_ratio: NonNegativeFloat | None = None
    backup_max_age_seconds: NonNegativeFloat | None = None


class HistoryTolerance(Strict):
    """How much a figure may grow from one drill to the next before ``hadrill history`` flags it as
    worse: the change must exceed both the percentage of the previous value and the seconds."""

    percent: NonNegativeFloat = 10.0
    seconds: NonNegativeFloat = 5.0


NotifyEvent = Literal["start", "abort", "end"]
NOTIFY_EVENTS: tuple[str, ...] = get_args(NotifyEvent)


def http_url(value: str, what: str) -> str:
    """An http(s) URL with a host (the message never repeats the URL: it may hold a token)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"expected an http:// or https:// URL with a host for {what}")
    return value


class Webhook(Strict):
    """Where the drill's notifications are posted (``hadrill.notify``): at the start, on an abort
    and at the end. The URL and the header values are credentials (a Slack webhook's URL holds its
    token): keep them in ansible-vault; they never reach the evidence."""

    url: SecretStr
    headers: dict[str, SecretStr] = {}
    # The JSON body, with ${placeholders} (hadrill.notify.PLACEHOLDERS); default: a Slack-compatible message.
    body_template: Any = None
    timeout_seconds: PositiveFloat = Field(default=5.0, le=60.0)
    events: list[NotifyEvent] = list(NOTIFY_EVENTS)

    @field_validator("url")
    @classmethod
    def _url(cls, value: SecretStr) -> SecretStr:
        http_url(value.get_secret_value(), "the webhook")
        return value


class AlertChannel(Strict):
    name: str = Field(min_length=1)
    check_command: str | None = None
    check_timeout_seconds: PositiveFloat = 30.0
    webhook: Webhook | None = None


class FollowUp(Strict):
    action: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    due: str | None = None


def parse_scenarios(value: Any) -> list[str]:
    """Accept a list, a comma separated string, ``all`` or ``none``."""
    if value is None:
        return list(SCENARIOS)
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "all":
            return list(SCENARIOS)
        if text in {"none", ""}:
            return []
        value = [part.strip() for part in text.split(",") if part.strip()]
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"expected a list of scenarios from {list(SCENARIOS)}, 'all' or 'none'")
    unknown = [item for item in value if item not in SCENARIOS and item != "none"]
    if unknown:
        raise ValueError(f"unknown scenario(s) {unknown}; expected any of {list(SCENARIOS)}, 'all' or 'none'")
    ordered = [name for name in SCENARIOS if name in value]
    return ordered


class DrillSettings(Strict):
    drill_environment: Slug
    # Required, and the same on every host: a missing class never means staging (config.guard).
    drill_environment_class: EnvironmentClass
    drill_allow_production: bool = False
    drill_confirm_id: str | None = None
    drill_id: str | None = Field(default=None, pattern=r"^ha_drill_\d{8}_[a-z0-9][a-z0-9-]*_\d{2,}$")
    drill_owner: str = Field(min_length=1)
    drill_observers: list[str] = []
    drill_scope: dict[str, str] = {}
    drill_release_labels: dict[str, str] = {}
    drill_scenarios: list[Scenario] = list(SCENARIOS)
    drill_thresholds: Thresholds = Thresholds()
    drill_alert_channel: AlertChannel | None = None
    drill_http_headers: dict[str, str] = {}
    # Per scenario that writes through the application (rollback, replay): the request or SQL
    # statement that removes what the drill wrote (hadrill.cleanup), journaled before it writes.
    drill_cleanup: dict[Literal["rollback", "replay"], Cleanup] = {}
    drill_evidence_root: DedicatedPath | None = None
    # The drill journal on the target side (hadrill.target_journal): a table of the db_primary
    # database, optionally schema-qualified. The first drill creates it (CREATE on its schema), or
    # a DBA creates it ahead (docs/safety.md).
    drill_journal_table: TableName = "hadrill_journal"
    # A command run on the controller after the seal that copies the bundle somewhere that
    # outlives the job (hadrill.sink); unset: nothing is uploaded.
    drill_evidence_sink: EvidenceSink | None = None
    # A partial drill fails the playbook run (an AWX job) as a failed one does; false: only fail does.
    drill_fail_job_on_partial: bool = True
    drill_follow_ups: list[FollowUp] = []
    # The key that signs the sealed manifest (an SSH signature, ssh-keygen -Y sign): a private key
    # file, or a public key file whose private half is in ssh-agent. Unset: the bundle is sealed
    # unsigned and says so. hadrill run --signing-key sets it; in AWX it comes from a credential.
    drill_signing_key: str | None = Field(default=None, min_length=1)
    # The drill key's principal in the auditors' allowed-signers file (default hadrill-drill@<environment>).
    drill_signing_principal: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
    drill_history_tolerance: HistoryTolerance = HistoryTolerance()
    # A Prometheus Pushgateway the drill's metrics are pushed to at its end (hadrill.metrics), e.g.
    # http://pushgateway.example:9091; unset: nothing is pushed.
    drill_metrics_pushgateway_url: str | None = None
    # Upper bound of a drill: every background process of the drill stops by itself after it, and
    # no wait, window or timeout of the configuration may be longer (config.bounds). Raise it for
    # a longer drill; it is itself capped at a week.
    drill_max_duration_seconds: PositiveFloat = Field(default=DEFAULT_MAX_DURATION_SECONDS, le=MAX_DURATION_CAP_SECONDS)

    @field_validator("drill_scenarios", mode="before")
    @classmethod
    def _scenarios(cls, value: Any) -> list[str]:
        return parse_scenarios(value)

    @field_validator("drill_cleanup", mode="before")
    @classmethod
    def _cleanup_scenarios(cls, value: Any) -> Any:
        if isinstance(value, dict) and "restore" in value:
            raise ValueError("restore has no cleanup: its smoke writes only to the verification copy, which the "
                             "restore's teardown removes; expected keys rollback and replay")
        return value

    @field_validator("drill_metrics_pushgateway_url")
    @classmethod
    def _pushgateway(cls, value: str | None) -> str | None:
        return None if value is None else http_url(value, "the Pushgateway")

    @field_validator("drill_observers", mode="before")
    @classmethod
    def _observers(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def is_production(self) -> bool:
        return self.drill_environment_class == "production"
