"""The ``api_rollback_*`` variables of an inventory (role ``hadrill.drills.api_rollback``).

Field names are the variable names; defaults equal the role's ``defaults/main.yml`` and
``meta/argument_specs.yml`` (a unit test keeps the three in step).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, ValidationInfo, field_validator

from hadrill.config.common import Strict, repeated
from hadrill.config.hosts import members_of
from hadrill.config.loader import register_scenario
from hadrill.config.templates import check_requests
from hadrill.httpspec import HttpRequestSpec

if TYPE_CHECKING:
    from hadrill.config.loader import DrillConfig

ROLE = "api_rollback"
PREFIX = "api_rollback_"


class RollbackSettings(Strict):
    # Releases: the candidate goes to the canary slice; the known-good one is what every
    # replica runs when the drill ends.
    api_rollback_candidate_release: str = Field(min_length=1)
    api_rollback_known_good_release: str = Field(min_length=1)
    api_rollback_canary_hosts: Annotated[list[str], members_of("api", "canary host")] = Field(min_length=1)

    # Traffic probe through the load balancer.
    api_rollback_probe_requests: list[HttpRequestSpec] = Field(min_length=1)
    api_rollback_probe_headers: dict[str, str] = {}
    api_rollback_probe_rate: PositiveFloat = 10.0
    api_rollback_probe_concurrency: PositiveInt = 8

    # Windows (seconds).
    api_rollback_baseline_seconds: PositiveFloat = 60.0
    api_rollback_observation_seconds: PositiveFloat = 300.0
    api_rollback_recovery_window_seconds: PositiveFloat = 60.0
    api_rollback_window_seconds: PositiveFloat = 10.0

    # Abort rule: error rate above the threshold for sustain seconds starts the rollback.
    api_rollback_abort_error_rate: float = Field(default=0.05, ge=0.0, le=1.0)
    api_rollback_abort_sustain_seconds: NonNegativeFloat = 10.0
    api_rollback_abort_min_requests: PositiveInt = 10

    # Baseline envelope: recovered once the windowed error rate is at most baseline + margin.
    api_rollback_recovery_error_rate_margin: float = Field(default=0.01, ge=0.0, le=1.0)

    # Per-host switching.
    api_rollback_drain_timeout_seconds: PositiveFloat = 60.0
    api_rollback_ready_timeout_seconds: PositiveFloat = 120.0
    api_rollback_health_release_field: str = ""

    # Startup contract and the attribution of failed requests to the drill's own restarts.
    api_rollback_startup_failure_patterns: list[str] = []
    api_rollback_restart_failure_statuses: list[int] = [502, 503, 504]

    @field_validator("api_rollback_canary_hosts")
    @classmethod
    def _unique_hosts(cls, value: list[str]) -> list[str]:
        if repeated(value):
            raise ValueError(f"expected each canary host once, repeated: {repeated(value)}")
        return value

    @field_validator("api_rollback_window_seconds")
    @classmethod
    def _window_fits(cls, value: float, info: ValidationInfo) -> float:
        # Recovery is judged on whole windows after the restore: at least one must fit.
        recovery = info.data.get("api_rollback_recovery_window_seconds")
        if recovery is not None and value > recovery:
            raise ValueError(
                f"expected at most api_rollback_recovery_window_seconds ({recovery:g}), got {value:g}"
            )
        return value

    @field_validator("api_rollback_startup_failure_patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"expected regular expressions, {pattern!r} does not compile: {exc}") from None
        return value

    @field_validator("api_rollback_restart_failure_statuses")
    @classmethod
    def _statuses(cls, value: list[int]) -> list[int]:
        bad = [code for code in value if not 100 <= code <= 599]
        if bad:
            raise ValueError(f"expected HTTP status codes between 100 and 599, got {bad}")
        return value

    @field_validator("api_rollback_probe_requests")
    @classmethod
    def _some_weight(cls, value: list[HttpRequestSpec]) -> list[HttpRequestSpec]:
        if value and not any(item.weight > 0 for item in value):
            raise ValueError("expected at least one request with a weight above 0")
        return check_requests(value, "traffic")

    @field_validator("api_rollback_known_good_release")
    @classmethod
    def _releases_differ(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("api_rollback_candidate_release"):
            raise ValueError(f"expected a release other than the candidate, got the candidate {value!r}")
        return value

    @property
    def probe_interval_seconds(self) -> float:
        return 1.0 / self.api_rollback_probe_rate

    def cross_check_hosts(self, config: "DrillConfig") -> list[str]:
        """Without a release in the health answer, each replica's platform adapter must read its
        release (the supervisor adapter's release link, the command adapter's release command):
        otherwise no switch could ever be confirmed on the release it was made to."""
        if self.api_rollback_health_release_field:
            return []
        blind = [
            name for name, host in (config.hosts.get("api") or {}).items()
            if not (getattr(host, "platform_release_command", None) if getattr(host, "platform_adapter", "") == "command"
                    else getattr(host, "release_link", None))
        ]
        if not blind:
            return []
        return [
            f"api_rollback_health_release_field: empty, so the drill reads the release of each replica through its "
            f"platform adapter, but {', '.join(sorted(blind))} cannot tell (set platform_release_command for the command "
            "adapter, release_link for the supervisor adapter, or the path of the release in the health answer)"
        ]


register_scenario("rollback", PREFIX, RollbackSettings)
