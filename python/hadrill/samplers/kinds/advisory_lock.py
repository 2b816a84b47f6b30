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
from hadrill.samplers.spec import SamplerSpec

HOLDER_QUERY = """
select a.pid, a.application_name, a.client_addr::text as client, a.backend_start
from pg_locks l join pg_stat_activity a on a.pid = l.pid
where l.locktype = 'advisory' and l.granted
  and l.classid = (%(key)s >> 32)::int and l.objid = (%(key)s & 4294967295)::oid
limit 1
"""


class LockHeld(RuntimeError):
    pass


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
        self._key = self._connection.execute("select hashtextextended(%s, 0) as k", (self.config.key,)).fetchone()[0]
        acquired = self._connection.execute("select pg_try_advisory_lock(%s)", (self._key,)).fetchone()[0]
        if not acquired:
            holder = self._connection.execute(HOLDER_QUERY, {"key": self._key}).fetchone()
            self._connection.close()
            who = (f"backend pid {holder[0]} ({holder[1] or 'no application name'} from {holder[2] or 'local'}, "
                   f"since {holder[3]:%Y-%m-%d %H:%M:%S %Z})") if holder else "another session"
            raise LockHeld(f"another drill holds the drill lock {self.config.key!r} on the target database: {who}")

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
