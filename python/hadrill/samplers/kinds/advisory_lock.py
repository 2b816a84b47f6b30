"""The drill lock on the target: a PostgreSQL advisory lock held for the whole drill.

A second drill against the same database (from another controller, so the controller lock
cannot see it) fails to take the lock and is told who holds it. The session stays open for the
drill's duration; each sample proves the lock was still held at that moment.
"""

from __future__ import annotations

from typing import Any

import psycopg
from pydantic import BaseModel, ConfigDict, Field

from hadrill.samplers.base import register
from hadrill.target_lock import try_lock
from hadrill.samplers.spec import SamplerSpec

class AdvisoryLockConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dsn: str
    key: str = Field(min_length=1)
    label: str = "hadrill drill"


class AdvisoryLock:
    def __init__(self, spec: SamplerSpec):
        self.config = AdvisoryLockConfig.model_validate(spec.config)
        self._connection = psycopg.connect(
            self.config.dsn, autocommit=True, connect_timeout=10, application_name=self.config.label[:63]
        )
        try:
            self._key = try_lock(self._connection, self.config.key)
        except Exception:
            self._connection.close()
            raise

    def sample(self, seq: int) -> dict[str, Any]:
        held = self._connection.execute(
            "select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() and granted"
        ).fetchone()[0]
        return {"seq": seq, "held": bool(held), "ok": bool(held)}

    def close(self) -> None:
        try:
            self._connection.execute("select pg_advisory_unlock(%s)", (self._key,))
        finally:
            self._connection.close()


register("advisory_lock")(AdvisoryLock)
