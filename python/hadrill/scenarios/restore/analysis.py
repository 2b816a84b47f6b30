"""RPO and target exactness from the canary log (pure functions, unit tested).

Ground truth: the canary sampler's records. An ``ok`` record is a row whose commit the primary
acknowledged; its ``mono`` is when the acknowledgement reached the controller, its
``written_at`` the server's clock at the insert.

- RPO = acknowledgement time of the newest row acknowledged at the incident
        - acknowledgement time of the newest row found in the restored copy
  (both on the controller's monotonic clock), never below zero.
- The time target is exact when the newest restored row is the last row written before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hadrill.clock import parse_utc


@dataclass(frozen=True)
class CanaryRecord:
    seq: int
    ok: bool
    mono: float  # acknowledgement (ok) or completion of the failed attempt
    sent_mono: float | None
    written_at: str | None


def records(samples: Iterable[Mapping[str, Any]]) -> list[CanaryRecord]:
    found = []
    for item in samples:
        try:
            found.append(CanaryRecord(int(item["seq"]), bool(item.get("ok")), float(item["mono"]),
                                      item.get("sent_mono"), item.get("written_at")))
        except (KeyError, TypeError, ValueError):
            continue
    return sorted(found, key=lambda item: item.seq)


@dataclass(frozen=True)
class Rpo:
    seconds: float | None
    newest_acknowledged: CanaryRecord | None  # at the incident
    newest_restored_seq: int | None
    acknowledged: int  # rows acknowledged at the incident
    lost: int  # of those, rows not in the copy
    lower_bound: bool  # no canary row restored: the loss covers at least the whole canary window


def rpo(log: list[CanaryRecord], incident_mono: float, newest_restored_seq: int | None) -> Rpo:
    acked = [item for item in log if item.ok and item.mono <= incident_mono]
    if not acked:
        return Rpo(None, None, newest_restored_seq, 0, 0, False)
    newest = max(acked, key=lambda item: item.mono)
    if newest_restored_seq is None:
        first = min(item.sent_mono if item.sent_mono is not None else item.mono for item in acked)
        return Rpo(max(newest.mono - first, 0.0), newest, None, len(acked), len(acked), True)
    restored = next((item for item in log if item.seq == newest_restored_seq), None)
    lost = sum(1 for item in acked if item.seq > newest_restored_seq)
    if restored is None:
        return Rpo(None, newest, newest_restored_seq, len(acked), lost, False)
    # A row restored but never acknowledged (its acknowledgement was lost) committed after it was sent.
    restored_at = restored.mono if restored.ok else (restored.sent_mono or restored.mono)
    return Rpo(max(newest.mono - restored_at, 0.0), newest, newest_restored_seq, len(acked), lost, False)


def last_written_before(log: list[CanaryRecord], target_iso: str) -> int | None:
    """Sequence number of the last acknowledged row written before the target (server clock)."""
    target = parse_utc(target_iso)
    before = [item.seq for item in log if item.ok and item.written_at and parse_utc(item.written_at) < target]
    return max(before) if before else None


def target_exact(log: list[CanaryRecord], target_iso: str, newest_restored_seq: int | None) -> tuple[bool, int | None]:
    expected = last_written_before(log, target_iso)
    return expected == newest_restored_seq, expected


def rpo_basis(log: list[CanaryRecord], rpo_: Rpo | None, target_kind: str | None, target_time: str | None,
              incident_ts: str | None, explicit_target: bool = False) -> dict[str, Any] | None:
    """What the RPO figure rests on, for the report beside the figure.

    A time target fixes the RPO by construction: everything committed between the target and the
    incident is given up, so the loss is the target's offset before the incident, whatever the
    backups could have recovered; the measured canary gap is shown beside it (it also counts the
    time between the last row before the target and the target). A ``latest`` restore shows what
    was actually lost: the acknowledged rows missing from the copy and when they were written.
    """
    if rpo_ is None or incident_ts is None:
        return None
    measured = None if rpo_.seconds is None else round(rpo_.seconds, 3)
    if target_kind == "time" and target_time:
        offset = round((parse_utc(incident_ts) - parse_utc(target_time)).total_seconds(), 3)
        return {"basis": "time_target", "explicit_target": explicit_target, "target_offset_seconds": offset,
                "measured_canary_gap_seconds": measured, "lost_rows": rpo_.lost}
    if target_kind != "latest":
        return None
    acked_lost = [item for item in log if item.ok and rpo_.newest_acknowledged is not None
                  and item.seq <= rpo_.newest_acknowledged.seq
                  and (rpo_.newest_restored_seq is None or item.seq > rpo_.newest_restored_seq)]
    return {"basis": "latest", "measured_seconds": measured, "lost_rows": rpo_.lost,
            "lost_first_written_at": acked_lost[0].written_at if acked_lost else None,
            "lost_last_written_at": acked_lost[-1].written_at if acked_lost else None,
            "lower_bound": rpo_.lower_bound}


def rpo_statement(basis: dict[str, Any] | None) -> str | None:
    """One report line saying what the RPO figure means for this target."""
    if not basis:
        return None
    gap = basis.get("measured_canary_gap_seconds", basis.get("measured_seconds"))
    gap_text = "not measured" if gap is None else f"{gap:g} s"
    if basis["basis"] == "time_target":
        chosen = "the explicit target" if basis["explicit_target"] else "the configured offset"
        return (f"RPO by construction: the time target lies {basis['target_offset_seconds']:g} s before the incident "
                f"({chosen}), so what was committed in those seconds is given up whatever the backups hold; "
                f"measured canary gap: {gap_text} ({basis['lost_rows']} acknowledged canary rows not restored)")
    if basis["lost_rows"] == 0:
        return f"Lost at the incident (latest archived WAL): nothing, no acknowledged canary row is missing (RPO {gap_text})"
    bound = " (a lower bound: no canary row was restored)" if basis.get("lower_bound") else ""
    return (f"Lost at the incident (latest archived WAL): {basis['lost_rows']} acknowledged canary rows, written "
            f"from `{basis['lost_first_written_at']}` to `{basis['lost_last_written_at']}`; RPO {gap_text}{bound}")
