"""The drill lock on the target database: a PostgreSQL advisory lock named after the environment.

The controller lock (hadrill.lock) only sees drills started from the same controller; this one
is seen by every controller that drills the same database.
"""

from __future__ import annotations

import psycopg

HOLDER_QUERY = """
select a.pid, a.application_name, a.client_addr::text as client, a.backend_start
from pg_locks l join pg_stat_activity a on a.pid = l.pid
where l.locktype = 'advisory' and l.granted
  and l.classid = ((%(key)s >> 32) & 4294967295)::oid and l.objid = (%(key)s & 4294967295)::oid
limit 1
"""


class LockHeld(RuntimeError):
    pass


def lock_key(environment: str) -> str:
    return f"hadrill:{environment}"


def numeric_key(connection: psycopg.Connection, key: str) -> int:
    return connection.execute("select hashtextextended(%s, 0)", (key,)).fetchone()[0]


def describe_holder(connection: psycopg.Connection, key: str, numeric: int) -> str:
    holder = connection.execute(HOLDER_QUERY, {"key": numeric}).fetchone()
    who = (f"backend pid {holder[0]} ({holder[1] or 'no application name'} from {holder[2] or 'local socket'}, "
           f"since {holder[3]:%Y-%m-%d %H:%M:%S %Z})") if holder else "another session"
    return f"another drill holds the drill lock {key!r} on the target database: {who}"


def try_lock(connection: psycopg.Connection, key: str) -> int:
    """Take the lock on this session or raise LockHeld naming the holder; returns the numeric key."""
    numeric = numeric_key(connection, key)
    if not connection.execute("select pg_try_advisory_lock(%s)", (numeric,)).fetchone()[0]:
        raise LockHeld(describe_holder(connection, key, numeric))
    return numeric


def probe(conninfo: str, key: str) -> None:
    """Refuse early when another drill holds the lock; an unreachable database is left to the preconditions."""
    try:
        connection = psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError:
        return
    with connection:
        numeric = try_lock(connection, key)
        connection.execute("select pg_advisory_unlock(%s)", (numeric,))
