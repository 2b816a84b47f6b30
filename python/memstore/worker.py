"""Outbox worker: claims pending events and builds the derived index from them (both shapes)."""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from memstore import migrations, signals
from memstore.config import mask_dsn
from memstore.db import connect, first_line
from memstore.health import EXIT_CONTRACT_FAILURE, probe_schema, startup_contract_violation
from memstore.log import log
from memstore.release import Release
# Re-exported: the poison rule of the classic outbox payload is the store's.
from memstore.store import ClaimedEvent, PoisonEvent, memory_id_of

__all__ = ["PoisonEvent", "Worker", "WorkerOptions", "memory_id_of", "retry_delay", "run_worker"]


@dataclass(frozen=True)
class WorkerOptions:
    poll_interval: float = 0.2
    batch: int = 50
    max_attempts: int = 3
    retry_backoff: float = 0.5  # first retry delay in seconds; doubles per attempt
    max_backoff: float = 60.0
    reconnect_max: float = 5.0
    fault_file: str | None = None  # MEMSTORE_WORKER_FAULT_FILE: see WorkerFaults


@dataclass(frozen=True)
class WorkerFaults:
    """Deliberate misbehaviour for rehearsals, read from a JSON file while the worker runs.

    A test writes the file (``{"event_delay_seconds": 0.2}``...) and removes it; the worker
    re-reads it whenever it changed. Absent, empty or invalid: no fault (an invalid file is
    logged once).
    """

    event_delay_seconds: float = 0.0  # each event takes this much longer; claimed one at a time (a slow worker)
    start_delay_seconds: float = 0.0  # from the start to the first claim (a slow startup)
    stop_delay_seconds: float = 0.0  # from a stop signal to the exit, processing nothing (a slow shutdown)


def parse_worker_faults(text: str) -> WorkerFaults:
    """The fault file's JSON object; ValueError naming the problem."""
    if not text.strip():
        return WorkerFaults()
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    known = set(WorkerFaults.__dataclass_fields__)
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}; known: {sorted(known)}")
    values: dict[str, float] = {}
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ValueError(f"{key} must be a number >= 0, got {value!r}")
        values[key] = float(value)
    return WorkerFaults(**values)


class FaultFile:
    """The current faults of a fault file, re-read when its size or modification time changed."""

    def __init__(self, path: str | None) -> None:
        self._path = Path(path) if path else None
        self._seen: tuple[int, int] | None = None
        self._faults = WorkerFaults()

    def current(self) -> WorkerFaults:
        if self._path is None:
            return self._faults
        try:
            stat = self._path.stat()
        except OSError:
            stamp = None
        else:
            stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._seen:
            return self._faults
        self._seen = stamp
        faults = WorkerFaults()
        if stamp is not None:
            try:
                faults = parse_worker_faults(self._path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                log("worker.fault_file_invalid", path=str(self._path), error=str(exc))
        if faults != self._faults:
            log("worker.faults", path=str(self._path), **faults.__dict__)
        self._faults = faults
        return faults


def retry_delay(options: WorkerOptions, attempts_so_far: int) -> float:
    """Delay before the next attempt of an event that has failed `attempts_so_far` + 1 times."""
    return min(options.max_backoff, options.retry_backoff * (2 ** max(0, attempts_so_far)))


class Worker:
    def __init__(self, dsn: str, release: Release, options: WorkerOptions) -> None:
        self._dsn = dsn
        self._release = release
        self._options = options
        self._stop_requested = False
        self._conn: psycopg.Connection | None = None
        self._faults = FaultFile(options.fault_file)
        self._shape = release.shape
        self._store = release.shape.store()

    def request_stop(self) -> None:
        self._stop_requested = True

    @property
    def stopping(self) -> bool:
        # Checked between batches only, so a claimed batch always finishes.
        return self._stop_requested or signals.stop_requested() is not None

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            time.sleep(min(remaining, 0.05))

    def run(self) -> int:
        log(
            "worker.started",
            release=self._release.version,
            shape=self._shape.name,
            database=mask_dsn(self._dsn),
            batch=self._options.batch,
            poll_interval=self._options.poll_interval,
            max_attempts=self._options.max_attempts,
            pid=os.getpid(),
        )
        failures = 0
        schema_warned = False
        start_delay = self._faults.current().start_delay_seconds
        if start_delay:
            log("worker.start_delay", seconds=start_delay)
            self._sleep(start_delay)
        while not self.stopping:
            try:
                conn = self._connection()
                if failures:
                    log("worker.db_reconnected", after_failures=failures)
                    failures = 0
                schema = migrations.schema_version(conn, self._shape)
                if schema < self._shape.index_schema:
                    if not schema_warned:
                        log("worker.schema_without_index", schema_version=schema, needs=self._shape.index_schema)
                        schema_warned = True
                    self._sleep(self._options.poll_interval)
                    continue
                schema_warned = False
                event_delay = self._faults.current().event_delay_seconds
                batch = 1 if event_delay else self._options.batch
                token_count = self._shape.token_count_schema is not None and schema >= self._shape.token_count_schema
                claimed = self.process_batch(conn, with_token_count=token_count, batch=batch)
                if claimed and event_delay:
                    self._sleep(event_delay * claimed)
                if claimed < batch:
                    # A full batch means more is probably due: go again without sleeping.
                    self._sleep(self._options.poll_interval)
            except psycopg.Error as exc:
                failures += 1
                self._drop_connection()
                delay = min(self._options.reconnect_max, 0.25 * (2 ** min(failures, 6)))
                log("worker.db_error", error=first_line(exc), attempt=failures, retry_in_s=delay)
                self._sleep(delay)
        self._drop_connection()
        stop_delay = self._faults.current().stop_delay_seconds
        if stop_delay:
            # Processing has ended; only the exit is late (a slow shutdown hook).
            log("worker.stop_delay", seconds=stop_delay)
            time.sleep(stop_delay)
        log("worker.stopped", signal=signals.name(signals.stop_requested()))
        return 0

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = connect(self._dsn, application_name="memstore-worker", statement_timeout_ms=30000)
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - already broken; nothing to save
                pass
            self._conn = None

    def process_batch(self, conn: psycopg.Connection, with_token_count: bool, batch: int | None = None) -> int:
        """Claim and process one batch in one transaction; returns how many events were claimed."""
        done = retried = dead = 0
        with conn.transaction():
            events = self._store.claim_events(conn, batch or self._options.batch)
            for event in events:
                error = self._process_one(conn, event, with_token_count)
                if error is None:
                    done += 1
                    continue
                status, attempts = self._store.mark_failed_attempt(
                    conn, event.id, error, self._options.max_attempts,
                    retry_delay(self._options, event.attempts),
                )
                if status == "failed":
                    dead += 1
                    log("worker.dead_lettered", event_id=event.id, attempts=attempts, error=error)
                else:
                    retried += 1
                    log("worker.retry_scheduled", event_id=event.id, attempts=attempts, error=error)
        if events:
            log("worker.batch", claimed=len(events), done=done, retried=retried, dead_lettered=dead)
        return len(events)

    def _process_one(self, conn: psycopg.Connection, event: ClaimedEvent, with_token_count: bool) -> str | None:
        """Process one event inside a savepoint; the error text if it failed, else None."""
        try:
            # Savepoint: a failing event rolls back only its own work, not the whole batch.
            with conn.transaction():
                self._store.index_event(conn, event, with_token_count)
            return None
        except PoisonEvent as exc:
            return str(exc)
        except psycopg.Error as exc:
            if conn.closed or conn.broken:
                raise  # the connection is gone: reconnect instead of blaming the event
            return f"{type(exc).__name__}: {first_line(exc)}"


def run_worker(dsn: str, release: Release, options: WorkerOptions) -> int:
    signals.install()  # idempotent; covers callers that did not come through __main__
    state = probe_schema(dsn, "memstore-worker", shape=release.shape)
    violation = startup_contract_violation(release, state)
    if violation:
        print(violation, file=sys.stderr, flush=True)
        return EXIT_CONTRACT_FAILURE
    if not state.reachable:
        log("worker.db_unreachable_at_startup", error=state.error, database=mask_dsn(dsn))
    return Worker(dsn, release, options).run()
