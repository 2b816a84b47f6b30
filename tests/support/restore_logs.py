"""What a restore's own programs logged: the tests' ground truth for the restore phase's markers.

- pgBackRest's restore log (``<log-path>/<stanza>-restore.log``, the host's local time, in
  milliseconds): when a restore into a data directory ended and how long pgBackRest says it took;
- the restored server's log (``log_line_prefix`` starting with ``%m``, ``log_timezone`` UTC,
  ``log_checkpoints`` on): when it started, and when its end-of-recovery checkpoint completed,
  right after which ``pg_is_in_recovery()`` turns false.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

SERVER_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC .*?LOG:  (.*)$")
PGBACKREST_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) P\d+ +\w+: (.*)$")
PGBACKREST_END = re.compile(r"restore command end: completed successfully \((\d+)ms\)")


def server_started_at(server_log: str) -> datetime | None:
    """When the server logged its start (``starting PostgreSQL``, UTC), or None."""
    for line in server_log.splitlines():
        found = SERVER_LINE.match(line)
        if found and found.group(2).startswith("starting PostgreSQL"):
            return datetime.fromisoformat(found.group(1)).replace(tzinfo=timezone.utc)
    return None


def end_of_recovery_at(server_log: str) -> datetime | None:
    """When the server logged its end-of-recovery checkpoint complete (UTC), or None."""
    checkpoint = False
    for line in server_log.splitlines():
        found = SERVER_LINE.match(line)
        if not found:
            continue
        if found.group(2).startswith("checkpoint starting: end-of-recovery"):
            checkpoint = True
        elif checkpoint and found.group(2).startswith("checkpoint complete"):
            return datetime.fromisoformat(found.group(1)).replace(tzinfo=timezone.utc)
    return None


@dataclass(frozen=True)
class PgBackRestRestore:
    ended_at: datetime  # UTC
    seconds: float  # pgBackRest's own measure of its run


def pgbackrest_config_value(config: Path, name: str) -> str | None:
    for line in config.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == name:
            return value.strip()
    return None


def pgbackrest_restore(config: Path, stanza: str, data_dir: str) -> PgBackRestRestore | None:
    """The last successful restore into ``data_dir`` from pgBackRest's restore log (None if none)."""
    log_path = pgbackrest_config_value(config, "log-path") or "/var/log/pgbackrest"
    log = Path(log_path) / f"{stanza}-restore.log"
    if not log.exists():
        return None
    ours, last = False, None
    for line in log.read_text(encoding="utf-8").splitlines():
        found = PGBACKREST_LINE.match(line)
        if not found:
            continue
        if found.group(2).startswith("remap data directory to "):
            ours = f"'{data_dir.rstrip('/')}'" in found.group(2)
        ended = PGBACKREST_END.search(found.group(2))
        if ours and ended:
            local = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S.%f").astimezone()
            last = PgBackRestRestore(local.astimezone(timezone.utc), int(ended.group(1)) / 1000)
            ours = False
    return last
