"""The restore phase's steps from a drill's own markers (what the restore benchmark prints)."""

from __future__ import annotations

import pytest

from hadrill.scenarios.restore import phase


def marker(name, mono, **data):
    return {"event": "marker", "name": name, "scenario": "restore", "ts": "2026-02-28T10:00:00.000000Z",
            "mono": mono, "data": data}


TASK = {"event": "task", "task": "hadrill.drills.db_restore : Restore into the verification instance",
        "action": "hadrill.drills.restore_instance", "role": "db_restore", "host": "localhost", "status": "ok",
        "start_mono": 99.0, "end_mono": 106.5, "duration_s": 7.5}


def test_the_steps_come_from_the_hosts_timings_and_the_markers():
    events = [TASK, marker("restore_started", 100.0),
              marker("restore_finished", 103.05, host_seconds=3.0),
              marker("instance_started", 103.2, settings_seconds=0.01, start_seconds=0.09, command_seconds=3.12),
              marker("promoted", 106.0, waited_seconds=2.8, polls=412),
              marker("promoted", 200.0, scenario_note="a later one is ignored")]
    steps = phase.drill_steps(events)
    assert steps.total_seconds == pytest.approx(6.0)
    found = steps.as_dict()
    assert list(found) == [phase.ROUND_TRIPS, phase.RESTORE, phase.SETTINGS, phase.START, phase.PROMOTION, phase.REST]
    assert found[phase.ROUND_TRIPS] == pytest.approx(3.2 - 3.12)
    assert found[phase.RESTORE] == 3.0 and found[phase.SETTINGS] == 0.01 and found[phase.START] == 0.09
    assert found[phase.PROMOTION] == pytest.approx(2.8)
    # What no step accounts for (here the command's timings were given 0.02 s more than its steps).
    assert found[phase.REST] == pytest.approx(3.12 - 3.1)
    assert steps.polls == 412
    # The restore task holds the phase: a service task for hadrill.overhead, 1.5 s of it outside the phase.
    assert steps.task_kind == "service" and steps.task_outside_seconds == pytest.approx(1.5)


def test_a_bundle_without_the_hosts_timings_gives_the_marker_intervals():
    events = [marker("restore_started", 10.0), marker("restore_finished", 14.0), marker("instance_started", 14.2),
              marker("promoted", 16.0, waited_seconds=1.8)]
    steps = phase.drill_steps(events)
    assert steps.as_dict() == pytest.approx({phase.RESTORE_COMMAND: 4.0, phase.START_COMMAND: 0.2,
                                             phase.PROMOTION: 1.8, phase.REST: 0.0})
    assert steps.polls is None and steps.task_kind is None


def test_a_drill_that_never_promoted_has_no_phase():
    assert phase.drill_steps([marker("restore_started", 10.0), marker("restore_finished", 14.0)]) is None
    other = dict(marker("promoted", 16.0), scenario="rollback")
    assert phase.drill_steps([marker("restore_started", 10.0), marker("restore_finished", 14.0),
                              marker("instance_started", 14.2), other]) is None
