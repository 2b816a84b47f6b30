"""RPO and target exactness from a synthetic canary log (pure logic)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hadrill.scenarios.restore import analysis, canary

T = datetime(2026, 2, 28, 10, 0, 0, tzinfo=timezone.utc)
MONO0 = 500.0


def sample(seq: int, ok: bool = True, ack_delay: float = 0.002) -> dict:
    sent = MONO0 + 0.1 * seq
    written = T + timedelta(seconds=0.1 * seq + 0.001)
    return {"seq": seq, "ok": ok, "sent_mono": sent, "mono": sent + ack_delay,
            "written_at": written.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if ok else None}


LOG = analysis.records([sample(seq) for seq in range(100)])


def test_rpo_is_the_gap_between_the_newest_acknowledged_and_the_newest_restored_row():
    incident = MONO0 + 9.05  # rows 0..90 acknowledged (row 90 at 9.002)
    result = analysis.rpo(LOG, incident, 60)
    assert result.newest_acknowledged.seq == 90
    assert result.seconds == pytest.approx(3.0)
    assert result.acknowledged == 91 and result.lost == 30 and not result.lower_bound


def test_nothing_lost_is_an_rpo_of_zero():
    result = analysis.rpo(LOG, MONO0 + 9.05, 90)
    assert result.seconds == pytest.approx(0.0) and result.lost == 0


def test_a_row_acknowledged_after_the_incident_does_not_make_the_rpo_negative():
    assert analysis.rpo(LOG, MONO0 + 9.05, 95).seconds == 0.0


def test_without_a_restored_row_the_rpo_is_a_lower_bound():
    result = analysis.rpo(LOG, MONO0 + 9.05, None)
    assert result.lower_bound and result.seconds == pytest.approx(9.002)
    assert result.lost == result.acknowledged == 91


def test_a_restored_row_whose_acknowledgement_was_lost_counts_from_when_it_was_sent():
    log = analysis.records([sample(seq) for seq in range(10)] + [sample(10, ok=False)])
    result = analysis.rpo(log, MONO0 + 2.0, 10)
    assert result.seconds == 0.0  # row 10 was sent at 1.0 s, after row 9's acknowledgement
    result = analysis.rpo(log, MONO0 + 2.0, 5)
    assert result.seconds == pytest.approx(0.4)


def test_without_acknowledged_rows_there_is_no_rpo():
    assert analysis.rpo(LOG, MONO0 - 1, 3).seconds is None


def test_target_exactness_uses_the_server_clock_of_each_row():
    target = (T + timedelta(seconds=4.05)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # between rows 40 and 41
    assert analysis.last_written_before(LOG, target) == 40
    assert analysis.target_exact(LOG, target, 40) == (True, 40)
    assert analysis.target_exact(LOG, target, 41) == (False, 40)
    assert analysis.target_exact(LOG, "2026-02-28T09:00:00Z", None) == (True, None)


def test_missing_acknowledged_rows_are_named():
    samples = [sample(seq) for seq in range(6)] + [sample(6, ok=False)]
    assert canary.missing_acknowledged(samples, [0, 1, 2, 4, 5], 5) == [3]
    assert canary.missing_acknowledged(samples, [0, 1, 2, 3, 4, 5], 5) == []
    assert canary.missing_acknowledged(samples, [], None) == []


def test_the_drop_statement_only_drops_the_drills_own_table():
    statement = canary.drop_statement("public.hadrill_canary", "ha_drill_20260228_staging_01")
    assert "to_regclass('public.hadrill_canary')" in statement
    assert "obj_description(to_regclass('public.hadrill_canary'), 'pg_class') = " \
           "'hadrill canary of drill ha_drill_20260228_staging_01'" in statement
    assert statement.startswith("DO $hadrill$") and statement.endswith("$hadrill$")


def iso(seconds: float) -> str:
    return (T + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_time_target_states_its_rpo_by_construction_beside_the_measured_gap():
    result = analysis.rpo(LOG, MONO0 + 9.05, 80)  # target between rows 80 and 81, incident after row 90
    basis = analysis.rpo_basis(LOG, result, "time", iso(8.05), iso(9.05))
    assert basis == {"basis": "time_target", "explicit_target": False, "target_offset_seconds": 1.0,
                     "measured_canary_gap_seconds": 1.0, "lost_rows": 10}
    line = analysis.rpo_statement(basis)
    assert line.startswith("RPO by construction: the time target lies 1 s before the incident (the configured offset)")
    assert "measured canary gap: 1 s (10 acknowledged canary rows not restored)" in line


def test_a_latest_restore_shows_what_was_lost():
    result = analysis.rpo(LOG, MONO0 + 9.05, 60)
    basis = analysis.rpo_basis(LOG, result, "latest", None, iso(9.05))
    assert basis["lost_rows"] == 30
    assert basis["lost_first_written_at"] == LOG[61].written_at and basis["lost_last_written_at"] == LOG[90].written_at
    assert analysis.rpo_statement(basis) == (
        f"Lost at the incident (latest archived WAL): 30 acknowledged canary rows, written from "
        f"`{LOG[61].written_at}` to `{LOG[90].written_at}`; RPO 3 s")
    nothing = analysis.rpo_basis(LOG, analysis.rpo(LOG, MONO0 + 9.05, 90), "latest", None, iso(9.05))
    assert analysis.rpo_statement(nothing).endswith("nothing, no acknowledged canary row is missing (RPO 0 s)")
    assert analysis.rpo_basis(LOG, None, "latest", None, iso(9.05)) is None
