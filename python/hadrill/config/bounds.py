"""Upper bounds of durations, and the timeouts that must leave room for their thresholds.

Every ``*_seconds`` setting that is time the drill spends (a wait, a window, a timeout, an
interval, a retry budget) must fit inside ``drill_max_duration_seconds``: every background
process of a drill stops by itself after that long, so a longer setting could never be served
as written. One variable raises them all (it is itself capped at a week); a typo such as a
pause of ``3e10`` is refused. Limits that are judged rather than waited for (``drill_thresholds``,
backup ages) are not durations and are not bounded.

The rule is generic: it follows the models' fields (and the fields of nested models, such as a
gate's ``timeout_seconds`` or a request's), so a new ``*_seconds`` setting is bounded without
being listed anywhere.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from hadrill.config.common import DEFAULT_MAX_DURATION_SECONDS, MAX_DURATION_CAP_SECONDS

SUFFIX = "_seconds"
# *_seconds settings that are limits or ages, not time spent by the drill.
NOT_DURATIONS = frozenset({"drill_thresholds", "drill_max_duration_seconds", "preconditions_backup_max_age_seconds"})


def number(value: Any) -> float | None:
    """A finite number as written in an inventory (a number or a numeric string), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def max_duration(variables: Mapping[str, Any]) -> float:
    """The drill's ``drill_max_duration_seconds`` as given, or the default when it is unset or
    invalid (then its own validation names it)."""
    given = number(variables.get("drill_max_duration_seconds"))
    if given is None or not 0 < given <= MAX_DURATION_CAP_SECONDS:
        return DEFAULT_MAX_DURATION_SECONDS
    return given


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _nested_model(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple):
        for argument in typing.get_args(annotation):
            found = _nested_model(argument)
            if found is not None:
                return found
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def duration_problems(model: type[BaseModel], values: Mapping[str, Any], limit: float, where: str = "") -> list[str]:
    """Durations among ``values`` (raw inventory values of ``model``'s fields) longer than ``limit``."""
    problems: list[str] = []
    for name, value in values.items():
        field = model.model_fields.get(name) if isinstance(name, str) else None
        if field is None or name in NOT_DURATIONS:
            continue
        path = f"{where}.{name}" if where else name
        if name.endswith(SUFFIX):
            seconds = number(value)
            if seconds is not None and seconds > limit:
                problems.append(
                    f"{path}: expected at most {limit:g} seconds (drill_max_duration_seconds: no wait, window or "
                    f"timeout may outlast the drill; raise drill_max_duration_seconds for a longer drill), got {seconds:g}"
                )
            continue
        nested = _nested_model(field.annotation)
        if nested is None:
            continue
        if isinstance(value, Mapping):
            problems += duration_problems(nested, value, limit, path)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    problems += duration_problems(nested, item, limit, f"{path}[{index}]")
    return problems


# (scenario, threshold of drill_thresholds, the wait bounding that figure, why the wait is part of it)
THRESHOLD_WAITS: tuple[tuple[str, str, str, str], ...] = (
    ("restore", "rto_seconds", "db_restore_timeout_seconds", "the restore and the promotion are part of the RTO"),
    ("restore", "rto_seconds", "db_restore_promote_timeout_seconds", "the restore and the promotion are part of the RTO"),
    ("rollback", "rollback_seconds", "api_rollback_ready_timeout_seconds",
     "waiting for a rolled-back replica is part of the rollback"),
    ("rollback", "error_rate_recovery_seconds", "api_rollback_recovery_window_seconds",
     "error-rate recovery is only looked for within the recovery window"),
    ("replay", "drain_seconds", "worker_replay_drain_timeout_seconds", "the drain is only watched until its timeout"),
)


def threshold_problems(thresholds: Any, scenarios: Mapping[str, Any]) -> list[str]:
    """Timeouts and windows shorter than the threshold of the figure they bound.

    ``thresholds`` is the validated ``drill_thresholds``; ``scenarios`` the validated settings of
    the selected scenarios (by scenario name). A wait inside a judged figure must be allowed the
    whole threshold: one that gives up earlier turns a figure the threshold accepts into a timeout
    and the figure into "not measured".
    """
    problems: list[str] = []
    for scenario, threshold_name, wait_name, why in THRESHOLD_WAITS:
        settings = scenarios.get(scenario)
        threshold = getattr(thresholds, threshold_name, None)
        if settings is None or threshold is None:
            continue
        wait = getattr(settings, wait_name)
        if wait < threshold:
            problems.append(
                f"{wait_name}: expected at least drill_thresholds.{threshold_name} ({threshold:g} s): {why}, "
                f"so a result inside the threshold would end as a timeout; got {wait:g}"
            )
    return problems
