"""Force a WAL switch on the primary and wait until the switched segment is archived.

A time target inside the WAL segment that is still being written cannot be reached by a
restore ("recovery ended before configured recovery target was reached"): for a recent target
the drill switches to a new segment and waits for the archiver to report the old one done.
"""

from __future__ import annotations

import time
from typing import Any

from hadrill.db import connect
from hadrill.scenarios.restore.targets import archived_through

POLL_SECONDS = 0.1


class ArchiveTimeout(RuntimeError):
    pass


def switch_and_wait(conninfo: str, *, timeout_seconds: float) -> dict[str, Any]:
    started = time.monotonic()
    with connect(conninfo) as connection:
        segment = connection.execute("select pg_walfile_name(pg_switch_wal()) as segment").fetchone()["segment"]
        deadline = started + timeout_seconds
        while True:
            row = connection.execute(
                "select last_archived_wal, last_failed_wal, last_failed_time from pg_stat_archiver"
            ).fetchone()
            if archived_through(row["last_archived_wal"], segment):
                return {"segment": segment, "last_archived_wal": row["last_archived_wal"],
                        "waited_seconds": round(time.monotonic() - started, 3)}
            if time.monotonic() >= deadline:
                raise ArchiveTimeout(
                    f"WAL segment {segment} was not archived within {timeout_seconds:g}s "
                    f"(last archived {row['last_archived_wal']}, last failed {row['last_failed_wal']} "
                    f"at {row['last_failed_time']}): a time target in it cannot be reached"
                )
            time.sleep(POLL_SECONDS)
