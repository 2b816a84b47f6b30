"""A drill recording (drill.json, events.jsonl, a sample, a gate log) as the drill writes it, sealed
by the real finalize, and real SSH keys made with ssh-keygen."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from hadrill import clock
from hadrill.finalize import finalize
from hadrill.jsonl import append_line
from tests.support.keys import PRINCIPALS, Keys, make_keys

DRILL_ID = "ha_drill_20261128_staging_01"


@pytest.fixture(scope="session")
def keys(tmp_path_factory) -> Keys:
    return make_keys(tmp_path_factory.mktemp("keys"))


def record_drill(evidence_root: Path, *, drill_id: str = DRILL_ID, signing_key: Path | None = None,
                 gate_seconds: float = 0.25, started: float = 100.0) -> Path:
    """An unsealed bundle with what a short drill records (preconditions, one gate, the end marker)."""
    bundle = evidence_root / drill_id
    bundle.mkdir(parents=True, mode=0o750)
    environment = drill_id.split("_")[3]
    now = clock.now().iso
    settings = {"drill_environment": environment, "drill_owner": "oncall",
                "drill_history_tolerance": {"percent": 10.0, "seconds": 5.0}}
    if signing_key is not None:
        settings |= {"drill_signing_key": str(signing_key), "drill_signing_principal": PRINCIPALS["drill"]}
    drill = {
        "drill_id": drill_id, "environment": environment, "environment_class": "staging", "owner": "oncall",
        "observers": ["sre-lead"], "scope": {"tenant": "default"}, "release_labels": {}, "scenarios": [],
        "thresholds": {"rto_seconds": 120.0}, "started_at": now, "started_mono": started,
        "inventory": {"groups": {"db_primary": ["db-1"]}}, "controller": {"hostname": "ctl", "pid": os.getpid()},
        "config": {"settings": settings},
    }
    (bundle / "drill.json").write_text(json.dumps(drill, indent=2) + "\n")
    events = bundle / "events.jsonl"
    append_line(events, {"event": "playbook_start", "playbook": "drill.yml", "ts": now, "mono": started, "pid": 1})
    append_line(events, {"event": "task", "task": "Verify the preconditions live", "host": "localhost", "status": "ok",
                         "start_ts": now, "end_ts": now, "start_mono": started, "end_mono": started + 1,
                         "duration_s": 1.0, "role": "preconditions"})
    for name, label in (("db_reachable", "Database reachable"), ("backup_fresh", "Backup fresh")):
        append_line(events, {"event": "check", "name": name, "label": label, "scenario": "preconditions",
                             "passed": True, "observed": 1, "expected": 1, "ts": now, "mono": started + 1})
    (bundle / "gates").mkdir(mode=0o750)
    (bundle / "gates" / "health.log").write_text("ok\n")
    append_line(events, {"event": "gate", "name": "health", "command": "check-health", "host": "localhost",
                         "rc": 0, "passed": True, "duration_s": gate_seconds, "started_at": now, "ts": now,
                         "mono": started + 2, "output_file": "gates/health.log"})
    (bundle / "samples").mkdir(mode=0o750)
    append_line(bundle / "samples" / "probe.jsonl", {"seq": 0, "ts": now})
    append_line(events, {"event": "marker", "name": "drill_finished", "ts": now, "mono": started + 3, "data": {}})
    return bundle


@pytest.fixture
def recorded(tmp_path) -> Path:
    """An unsealed recording whose drill has no signing key."""
    return record_drill(tmp_path / "evidence")


@pytest.fixture
def unsigned(recorded) -> Path:
    finalize(recorded)
    return recorded


@pytest.fixture(scope="session")
def _signed_template(tmp_path_factory, keys) -> Path:
    bundle = record_drill(tmp_path_factory.mktemp("signed") / "evidence", signing_key=keys.key("drill"))
    finalize(bundle)
    return bundle


@pytest.fixture
def signed(_signed_template, tmp_path) -> Path:
    """A bundle sealed with the drill key (a fresh copy per test)."""
    copy = tmp_path / "evidence" / _signed_template.name
    shutil.copytree(_signed_template, copy, symlinks=True)
    return copy


def make_other_signed(evidence_root: Path, keys: Keys) -> Path:
    """Another drill's bundle, sealed with the drill key and signed off by alice (for the forger)."""
    from hadrill.signoff import sign

    bundle = record_drill(evidence_root, drill_id="ha_drill_20261129_staging_01", signing_key=keys.key("drill"),
                          gate_seconds=0.5)
    finalize(bundle)
    sign(bundle, by=PRINCIPALS["alice"], key=keys.key("alice"), note="fine")
    return bundle


@pytest.fixture(scope="session")
def other_signed(tmp_path_factory, keys) -> Path:
    return make_other_signed(tmp_path_factory.mktemp("other") / "evidence", keys)
