"""Start a drill: validate, allocate the id, take the lock, snapshot the configuration."""

from __future__ import annotations

import getpass
import json
import platform
import socket
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import hadrill
from hadrill import clock, drill_id as ids, lock, runtime, signing, target_lock
from hadrill.config import ConfigError, DrillConfig, validate
from hadrill.layout import Bundle
from hadrill.redact import Redactor


@dataclass(frozen=True)
class StartedDrill:
    drill_id: str
    evidence_dir: Path
    config: DrillConfig
    # The scenarios this run performs: drill_scenarios, narrowed by the run's scenario tags.
    scenarios: list[str]


def resolve_evidence_root(explicit: str | None, env_value: str | None, project_dir: Path) -> Path:
    """drill_evidence_root, else HADRILL_EVIDENCE_ROOT, else <project>/artifacts/ha_drill."""
    chosen = explicit or env_value
    root = Path(chosen) if chosen else project_dir / "artifacts" / "ha_drill"
    return root if root.is_absolute() else (project_dir / root)


def start_drill(
    *,
    variables: Mapping[str, Any],
    groups: Mapping[str, list[str]],
    host_variable: Callable[[str, str], Any],
    host_has: Callable[[str, str], bool],
    evidence_root: Path,
    secrets: set[str],
    controller_pid: int,
    ansible_version: str = "",
    narrow: Callable[[list[str]], list[str]] | None = None,
    extra_vars: Collection[str] = (),
) -> StartedDrill:
    # The evidence root is a path hadrill creates: the same path rule as every other (config.paths).
    config = validate(variables, groups, host_variable, host_has, evidence_root=evidence_root, extra_vars=extra_vars)
    settings = config.settings
    try:  # a drill key that cannot sign is refused before anything runs, however the drill starts
        signing.check_drill_key(settings.drill_signing_key)
    except signing.SigningError as exc:
        raise ConfigError([str(exc)]) from None
    scenarios = narrow(list(settings.drill_scenarios)) if narrow else list(settings.drill_scenarios)
    # Refuse before creating anything while another drill runs: this controller's, then anyone's.
    lock.check_available(evidence_root, settings.drill_environment)
    target_lock.probe(config.db_primary[1].conninfo(), target_lock.lock_key(settings.drill_environment))
    started = clock.now()
    if settings.drill_id:
        drill_id = settings.drill_id
        evidence_dir = ids.claim(evidence_root, drill_id)
    else:
        drill_id, evidence_dir = ids.allocate(evidence_root, settings.drill_environment, datetime.now(timezone.utc))
    try:
        lock.acquire(evidence_root, settings.drill_environment, drill_id, controller_pid)
    except lock.DrillLocked:
        if not any(evidence_dir.iterdir()):
            evidence_dir.rmdir()
        raise
    runtime.write_secrets(evidence_dir, secrets)
    redactor = Redactor(secrets)
    bundle = Bundle(evidence_dir)
    record = {
        "drill_id": drill_id,
        "environment": settings.drill_environment,
        "environment_class": settings.drill_environment_class,
        "owner": settings.drill_owner,
        "observers": settings.drill_observers,
        "scope": settings.drill_scope,
        "release_labels": settings.drill_release_labels,
        "scenarios": scenarios,
        "thresholds": settings.drill_thresholds.model_dump(mode="json"),
        "started_at": started.iso,
        "started_mono": started.mono,
        "inventory": {"groups": {name: list(members) for name, members in groups.items() if name != "ungrouped"}},
        "controller": {
            "hostname": socket.gethostname(),
            "user": getpass.getuser(),
            "pid": controller_pid,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "ansible_core": ansible_version,
            "hadrill": hadrill.__version__,
        },
        "config": redactor.value(config.snapshot()),
    }
    bundle.drill.write_text(json.dumps(record, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return StartedDrill(drill_id=drill_id, evidence_dir=evidence_dir, config=config, scenarios=scenarios)
