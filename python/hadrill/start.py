"""Start a drill: validate, allocate the id, take the lock, snapshot the configuration.

Before anything is created the start refuses while another drill runs (this controller's lock,
the target database's advisory lock) and while an earlier drill of the environment left actions
open in the journal on the target side (``hadrill.target_journal``), whichever controller ran it.
The drill's own row goes into that journal before drill.json is written: a drill user who may
not create or write the journal is refused with nothing changed.
"""

from __future__ import annotations

import getpass
import json
import platform
import shutil
import socket
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import hadrill
from hadrill import clock, drill_id as ids, lock, runtime, signing, target_lock
from hadrill.bundle_models import DRILL_SCHEMA_VERSION
from hadrill.config import ConfigError, DrillConfig, validate
from hadrill.layout import Bundle
from hadrill.redact import Redactor
from hadrill.target_journal import JournalUnavailable, TargetJournal


class JournalRefused(RuntimeError):
    """The journal on the target side refuses the drill (open actions of an earlier drill, or the
    drill user may not write it); nothing was changed."""


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
    launch: Mapping[str, Any] | None = None,
    collection: Mapping[str, str] | None = None,
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
    target = TargetJournal(conninfo=config.db_primary[1].conninfo(), table=settings.drill_journal_table,
                           environment=settings.drill_environment, database=config.db_primary[0])
    reachable = refuse_open_entries(target)
    day = datetime.now(timezone.utc)
    try:
        # Ids used by drills of other controllers and AWX jobs (whose evidence roots this one cannot see).
        elsewhere = target.drill_ids(ids.prefix(day, settings.drill_environment)) if reachable else set()
        if reachable:
            target.ensure()
            missing = target.missing_privileges()
            if missing:
                raise JournalRefused(f"the drill user may not {' or '.join(missing)} the drill journal ({target.where}). "
                                     f"{PRIVILEGES} Nothing was changed.")
    except JournalUnavailable as exc:
        raise JournalRefused(f"{exc}. {PRIVILEGES} Nothing was changed.") from None
    started = clock.now()
    for _ in range(20):
        drill_id, evidence_dir = _allocate(evidence_root, settings.drill_environment, settings.drill_id, day, elsewhere,
                                           target)
        try:
            lock.acquire(evidence_root, settings.drill_environment, drill_id, controller_pid)
        except lock.DrillLocked:
            if not any(evidence_dir.iterdir()):
                evidence_dir.rmdir()
            raise
        row = {"started_at": started.iso, "detail": {
            "evidence_dir": str(evidence_dir), "controller": socket.gethostname(), "owner": settings.drill_owner,
            "scenarios": scenarios, "environment_class": settings.drill_environment_class,
            "hadrill": hadrill.__version__, **({"launch": dict(launch)} if launch else {})}}
        try:
            recorded = target.record_drill(drill_id, row["started_at"], row["detail"]) if reachable else True
        except JournalUnavailable as exc:
            lock.release(evidence_root, settings.drill_environment, drill_id)
            shutil.rmtree(evidence_dir, ignore_errors=True)
            raise JournalRefused(f"{exc}. {PRIVILEGES} Nothing was changed.") from None
        if recorded:
            break
        # Another controller recorded this id a moment ago: take the next one.
        lock.release(evidence_root, settings.drill_environment, drill_id)
        shutil.rmtree(evidence_dir, ignore_errors=True)
        elsewhere.add(drill_id)
    else:
        raise ids.DrillIdError(f"no free drill id for {ids.prefix(day, settings.drill_environment)}NN")
    # Unreachable now: the row is written with the drill's first journal entry, which cannot be
    # written either until the database answers (the drill stops before any action).
    target.save(evidence_dir, pending=None if reachable else row)
    runtime.write_secrets(evidence_dir, secrets)
    redactor = Redactor(secrets)
    bundle = Bundle(evidence_dir)
    record = {
        "schema_version": DRILL_SCHEMA_VERSION,
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
        "journal": {"database": config.db_primary[0], "table": settings.drill_journal_table},
    }
    if launch:
        record["launch"] = redactor.value(dict(launch))
    if collection:
        record["collection"] = dict(collection)
    bundle.drill.write_text(json.dumps(record, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return StartedDrill(drill_id=drill_id, evidence_dir=evidence_dir, config=config, scenarios=scenarios)


def _allocate(evidence_root: Path, environment: str, wanted: str | None, day: datetime, elsewhere: set[str],
              target: TargetJournal) -> tuple[str, Path]:
    """The drill's id and evidence directory: ``wanted`` (drill_id) unless a drill used it already,
    here or in the journal on the target side; else the next free number of the day."""
    if wanted:
        if wanted in elsewhere:
            raise ids.DrillIdError(f"drill_id: {wanted} is the id of a drill recorded in the drill journal "
                                   f"({target.where}); choose another id")
        return wanted, ids.claim(evidence_root, wanted)
    return ids.allocate(evidence_root, environment, day, elsewhere)


PRIVILEGES = ("The drill user needs CREATE on the journal table's schema the first time (or a DBA creates the table: "
              "docs/safety.md), then SELECT, INSERT and UPDATE on it (drill_journal_table).")


def refuse_open_entries(target: TargetJournal) -> bool:
    """Refuse (JournalRefused) while an earlier drill of the environment has open journal entries
    on the target side. Returns whether the database answered: an unreachable one is left to the
    drill's first journal entry, which cannot be written until it answers."""
    try:
        entries = target.open_entries()
    except JournalUnavailable as exc:
        if exc.unreachable:
            return False
        raise JournalRefused(f"{exc}. {PRIVILEGES} Nothing was changed.") from None
    if entries:
        by_drill: dict[str, list[str]] = {}
        for entry in entries:
            by_drill.setdefault(str(entry["drill_id"]), []).append(
                str(entry["action"]) + (f" on {entry['host']}" if entry.get("host") else ""))
        drills = "; ".join(f"{drill}: {', '.join(actions)}" for drill, actions in by_drill.items())
        raise JournalRefused(
            f"previous drill {', '.join(by_drill)} on {target.environment!r} stopped without undoing: {drills} "
            f"(open in the drill journal, {target.where}). Recover first: `hadrill recover -i <inventory>`, or the "
            "recover playbook (hadrill.drills.recover, the recover job template) with the same inventory. Nothing was changed."
        )
    return True
