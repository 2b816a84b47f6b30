"""Proof of replay: every write acknowledged while no worker processed has been processed since.

The write traffic records each acknowledged write with its id (captured from the response)
and its unique token. The writes acknowledged from the stop command (``worker_stop_requested``)
until the first processing after the resume (``hadrill.scenarios.replay.outage``) are the work
that waited for the worker; each one (or an evenly spread sample) is checked with the
inventory's read-back: a SQL query given the ids, or an HTTP request per write. Writes not
processed yet are checked again until the proof timeout, so a slow drain is not a failure but
lost work is. No write in the window proves nothing: the check is then a warning
(``compared_nothing``), never a pass.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hadrill.httpspec import HttpRequestSpec, send
from hadrill.layout import Bundle

RECORD_FILE = "replay_proof.json"
MISSING_SHOWN = 20


@dataclass(frozen=True)
class Write:
    id: Any
    token: str | None
    mono: float
    ts: str

    @property
    def key(self) -> str:
        return str(self.id)


def acknowledged_between(
    samples: Iterable[Mapping[str, Any]], id_field: str, start: float, end: float
) -> list[Write]:
    """Writes acknowledged (answer received, ``mono``) within [start, end], in time order."""
    found = []
    for item in samples:
        captured = item.get("captured") or {}
        mono = item.get("mono")
        if not item.get("ok") or not isinstance(mono, (int, float)) or captured.get(id_field) is None:
            continue
        if start <= mono <= end:
            found.append(Write(id=captured[id_field], token=item.get("token"), mono=float(mono), ts=str(item.get("ts", ""))))
    found.sort(key=lambda write: write.mono)
    return found


def spread_sample(writes: Sequence[Write], size: int | None) -> list[Write]:
    """All writes, or ``size`` of them spread evenly over the pause (first and last included)."""
    if size is None or size >= len(writes):
        return list(writes)
    if size == 1:
        return [writes[len(writes) // 2]]
    step = (len(writes) - 1) / (size - 1)
    return [writes[round(index * step)] for index in range(size)]


Checker = Callable[[list[Write]], set[str]]


def sql_checker(conninfo: str, query: str) -> Checker:
    """Runs the query with ``ids`` = the ids still unproven; each returned row is a processed id
    (column ``id``, else the first column)."""
    from hadrill.db import query as run_query

    def check(writes: list[Write]) -> set[str]:
        rows = run_query(conninfo, query, {"ids": [write.id for write in writes]}, read_only=True)
        processed = set()
        for row in rows:
            value = row["id"] if "id" in row else next(iter(row.values()), None)
            if value is not None:
                processed.add(str(value))
        return processed

    return check


def http_checker(
    base_url: str, request: HttpRequestSpec, headers: Mapping[str, str], values: Mapping[str, Any] | None = None,
) -> Checker:
    """One read-back per write (``${id}``, ``${token}`` and the drill's ``values`` filled: see
    ``httpspec.PLACEHOLDERS['proof']``); processed when it succeeds (status,
    ``expect_body_contains`` and every ``expect_json`` assertion)."""

    def check(writes: list[Write]) -> set[str]:
        processed = set()
        for write in writes:
            result = send(base_url, request, context={**(values or {}), "id": write.id, "token": write.token or ""},
                          default_headers=headers)
            if result.ok:
                processed.add(write.key)
        return processed

    return check


@dataclass
class ProofOutcome:
    method: str
    acknowledged: int
    checked: list[Write]
    missing: list[Write] = field(default_factory=list)
    attempts: int = 0
    duration_s: float = 0.0
    error: str | None = None

    @property
    def processed(self) -> int:
        return len(self.checked) - len(self.missing)

    @property
    def passed(self) -> bool:
        """Nothing failed: the read-back worked and no checked write is missing (see compared_nothing)."""
        return self.error is None and not self.missing

    @property
    def compared_nothing(self) -> str:
        if self.error is None and not self.checked:
            return "no write was acknowledged during the outage: nothing proves the replay"
        return ""

    def detail(self) -> str:
        if self.error:
            return f"the read-back failed: {self.error}"
        if not self.checked:
            return self.compared_nothing
        if self.missing:
            shown = ", ".join(write.key for write in self.missing[:MISSING_SHOWN])
            more = f" and {len(self.missing) - MISSING_SHOWN} more" if len(self.missing) > MISSING_SHOWN else ""
            return (f"{len(self.missing)} of {len(self.checked)} writes acknowledged during the outage were not "
                    f"processed after {self.duration_s:.1f}s: ids {shown}{more}")
        return f"{self.processed}/{len(self.checked)} writes acknowledged during the outage were processed"

    def observed(self) -> dict[str, Any]:
        return {
            "acknowledged_during_outage": self.acknowledged,
            "checked": len(self.checked),
            "processed": self.processed,
            "missing": len(self.missing),
            "missing_ids_sample": [write.id for write in self.missing[:MISSING_SHOWN]],
            "attempts": self.attempts,
        }


def prove(
    writes: Sequence[Write], checker: Checker, *, method: str, acknowledged: int, timeout_seconds: float,
    retry_seconds: float = 1.0, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
) -> ProofOutcome:
    """Check until every write is proven or the timeout passes (always at least one attempt)."""
    started = clock()
    outcome = ProofOutcome(method=method, acknowledged=acknowledged, checked=list(writes))
    remaining = list(writes)
    while remaining:
        outcome.attempts += 1
        try:
            processed = checker(remaining)
            outcome.error = None
        except Exception as exc:  # a failing read-back is evidence (retried), not a crash of the drill
            text = str(exc).strip()
            outcome.error = f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"
            processed = set()
        remaining = [write for write in remaining if write.key not in processed]
        left = started + timeout_seconds - clock()
        if not remaining or left <= 0:
            break
        sleep(min(retry_seconds, left))
    outcome.missing = remaining
    outcome.duration_s = clock() - started
    return outcome


def write_record(evidence_dir: Path, outcome: ProofOutcome, window: Mapping[str, Any]) -> str:
    """records/replay_proof.json: every id checked and every one missing (relative path returned)."""
    bundle = Bundle(evidence_dir)
    bundle.records.mkdir(parents=True, exist_ok=True)
    record = {
        "method": outcome.method,
        "window": dict(window),
        **outcome.observed(),
        "passed": outcome.passed,
        "compared_nothing": outcome.compared_nothing,
        "detail": outcome.detail(),
        "duration_s": round(outcome.duration_s, 3),
        "checked_ids": [write.id for write in outcome.checked],
        "missing_ids": [write.id for write in outcome.missing],
    }
    (bundle.records / RECORD_FILE).write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    return f"records/{RECORD_FILE}"
