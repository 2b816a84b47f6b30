"""The canary writer: one row per interval into the drill's canary table on the primary.

A row is logged only after the server acknowledged its commit (autocommit: ``execute``
returns once the commit is done), so the sample file is the RPO ground truth: every ``ok``
record is a write the primary promised to keep. Each record carries the controller time the
insert was sent (``sent_ts``/``sent_mono``), the controller time of the acknowledgement (the
record's own ``ts``/``mono``) and the server's ``clock_timestamp()`` of the insert
(``written_at``), which is the clock a recovery target time is compared with.

The table is created and dropped by the restore scenario (``hadrill.drills.restore_canary``),
never by the writer. Rows are written one at a time (the scenario runs this kind with
concurrency 1) so that sequence order is commit order.
"""

from __future__ import annotations

import threading
from typing import Any

import psycopg
from psycopg import sql
from pydantic import BaseModel, ConfigDict, Field

from hadrill import clock
from hadrill.db import json_safe
from hadrill.samplers.base import register
from hadrill.samplers.spec import SamplerSpec

CONNECT_TIMEOUT_SECONDS = 5
STATEMENT_TIMEOUT_MS = 5000


class CanaryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # libpq conninfo; the sampler action fills it from the db_primary host (``database:``).
    dsn: str = Field(min_length=1)
    table: str = Field(pattern=r"^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$")


def table_identifier(table: str) -> sql.Identifier:
    return sql.Identifier(*table.split("."))


class CanaryWriter:
    def __init__(self, spec: SamplerSpec):
        self.config = CanaryConfig.model_validate(spec.config)
        self._insert = sql.SQL("insert into {} (seq) values (%s) returning written_at").format(
            table_identifier(self.config.table)
        )
        self._lock = threading.Lock()
        self._connection: psycopg.Connection | None = None
        # Fail at start (the launcher reports it) when the primary or the table is unusable.
        self._connect().execute(sql.SQL("select 1 from {} limit 0").format(table_identifier(self.config.table)))

    def _connect(self) -> psycopg.Connection:
        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(
                self.config.dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS,
                options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
            )
        return self._connection

    def sample(self, seq: int) -> dict[str, Any]:
        sent = clock.now()
        record: dict[str, Any] = {"seq": seq, "sent_ts": sent.iso, "sent_mono": sent.mono}
        with self._lock:
            try:
                row = self._connect().execute(self._insert, (seq,)).fetchone()
            except psycopg.Error as exc:
                # Not acknowledged: the row may or may not exist. A broken session is replaced.
                if self._connection is not None and self._connection.broken:
                    self._connection.close()
                record.update(ok=False, error=f"{type(exc).__name__}: {str(exc).strip()[:300]}")
                return record
        record.update(ok=True, written_at=json_safe(row[0]) if row else None)
        return record

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()


register("canary")(CanaryWriter)
