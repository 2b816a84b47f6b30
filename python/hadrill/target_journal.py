"""The drill journal on the target side: a table in the drill's database, beside the drill lock.

The bundle's ``journal.jsonl`` lives on the controller, and a controller can vanish with everything
on it (an AWX job's container, a lost laptop). So every entry is also written here, before the
action it undoes, and closed here once undone: the next drill, started from any controller, refuses
while an earlier drill of its environment has open entries, and the recover playbook undoes them
from the inventory alone. One row per drill records where its evidence went (the controller and
path, the upload) and the digest of its sealed manifest, so that a lost bundle is known to be lost.

The table is hadrill's own (its comment says so) and holds nothing of the application: creating it
once is the only schema change a drill makes besides the restore's canary table. Its DDL is below
and in docs/safety.md, for a DBA who creates it ahead (the drill user then needs only SELECT,
INSERT and UPDATE on it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import psycopg
from psycopg import sql
from psycopg.rows import DictRow

from hadrill.db import connect, json_safe

DEFAULT_TABLE = "hadrill_journal"
# What the drill and its recovery do with the table: read the open entries, write, close.
PRIVILEGES = ("SELECT", "INSERT", "UPDATE")
TABLE_COMMENT = "hadrill drill journal"
STATEMENT_TIMEOUT = "10s"
# The row that describes a drill (kind 'drill') has this entry id; entries are kind 'entry'.
DRILL_ROW = "drill"
# Written by drill_start next to the drill's other runtime files (outside the bundle, mode 0600:
# the conninfo holds the drill user's password); journal.open_entry and close_entry read it.
RUNTIME_FILE = "journal-target.json"

COLUMNS = """
    environment text NOT NULL,
    drill_id text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('drill', 'entry')),
    entry_id text NOT NULL,
    action text NOT NULL,
    scenario text,
    host text,
    undo jsonb,
    detail jsonb NOT NULL DEFAULT jsonb_build_object(),
    opened_at timestamptz NOT NULL,
    closed_at timestamptz,
    closed_by text,
    PRIMARY KEY (drill_id, kind, entry_id)
"""


class JournalUnavailable(RuntimeError):
    """The journal on the target database cannot be read or written; the message says why.
    ``unreachable``: the database could not be connected to at all (rather than refusing)."""

    def __init__(self, message: str, *, unreachable: bool = False):
        super().__init__(message)
        self.unreachable = unreachable


def ddl(table: str = DEFAULT_TABLE) -> str:
    """The CREATE TABLE statement, as a DBA would run it (docs/safety.md shows the default)."""
    return f"CREATE TABLE IF NOT EXISTS {table} ({COLUMNS.rstrip()}\n);\nCOMMENT ON TABLE {table} IS '{TABLE_COMMENT}';"


def _identifier(table: str) -> sql.Identifier:
    return sql.Identifier(*table.split("."))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}".rstrip(": ")


@dataclass(frozen=True)
class TargetJournal:
    conninfo: str
    table: str
    environment: str
    # The inventory host of the database, for messages (never the conninfo: it holds a password).
    database: str = "db_primary"
    # The drill's own row when drill_start could not reach the database: written with the first entry.
    pending_drill: Mapping[str, Any] | None = field(default=None, compare=False)

    @property
    def where(self) -> str:
        return f"table {self.table} of the database of {self.database}"

    @contextmanager
    def _connection(self, what: str) -> Iterator[psycopg.Connection[DictRow]]:
        try:
            connection = cast("psycopg.Connection[DictRow]", connect(self.conninfo))
        except psycopg.Error as exc:
            raise JournalUnavailable(f"cannot {what} the drill journal ({self.where}): {_first_line(exc)}",
                                     unreachable=True) from None
        try:
            with connection:
                connection.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")
                yield connection
        except psycopg.Error as exc:
            raise JournalUnavailable(f"cannot {what} the drill journal ({self.where}): {_first_line(exc)}") from None

    # -- the table --------------------------------------------------------------------------------
    def exists(self) -> bool:
        with self._connection("read") as connection:
            row = connection.execute("SELECT to_regclass(%s) IS NOT NULL AS found", (self.table,)).fetchone()
        return bool(row and row["found"])

    def ensure(self) -> bool:
        """Create the table when it is missing; True when this call created it."""
        if self.exists():
            return False
        with self._connection("create") as connection:
            try:
                with connection.transaction():
                    connection.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (" + COLUMNS + ")").format(_identifier(self.table)))
                    connection.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(_identifier(self.table),
                                                                                   sql.Literal(TABLE_COMMENT)))
            except psycopg.errors.UniqueViolation:  # created by another drill at the same moment
                return False
        return True

    def missing_privileges(self) -> list[str]:
        """The privileges on the table that the drill and its recovery use and the drill user lacks."""
        with self._connection("read") as connection:
            granted = {privilege: connection.execute("SELECT has_table_privilege(current_user, %s, %s) AS granted",
                                                     (self.table, privilege)).fetchone() for privilege in PRIVILEGES}
        return [privilege for privilege, row in granted.items() if not (row and row["granted"])]

    # -- writes -----------------------------------------------------------------------------------
    def record_drill(self, drill_id: str, started_at: str, detail: Mapping[str, Any]) -> bool:
        """Write the drill's row; False when a row of that drill id is already there (another drill,
        from another controller or evidence root, has the id: the caller takes another)."""
        statement = sql.SQL(
            "INSERT INTO {} (environment, drill_id, kind, entry_id, action, detail, opened_at) "
            "VALUES (%s, %s, 'drill', %s, 'drill started', %s::jsonb, %s::timestamptz) ON CONFLICT DO NOTHING"
        ).format(_identifier(self.table))
        with self._connection("write") as connection:
            cursor = connection.execute(statement, (self.environment, drill_id, DRILL_ROW,
                                                    json.dumps(json_safe(detail)), started_at))
            return cursor.rowcount == 1

    def drill_ids(self, prefix: str) -> set[str]:
        """The drill ids recorded with ``prefix`` (a day and environment), whichever controller ran them."""
        with self._connection("read") as connection:
            found = connection.execute("SELECT to_regclass(%s) IS NOT NULL AS found", (self.table,)).fetchone()
            if not (found and found["found"]):
                return set()
            rows = connection.execute(sql.SQL("SELECT drill_id FROM {} WHERE kind = 'drill' AND starts_with(drill_id, %s)")
                                      .format(_identifier(self.table)), (prefix,)).fetchall()
        return {row["drill_id"] for row in rows}

    def record_pending(self, evidence_dir: Path) -> None:
        """Write the drill's row that drill_start could not (the database was unreachable then)."""
        if not self.pending_drill:
            return
        self.ensure()
        if not self.record_drill(evidence_dir.name, str(self.pending_drill["started_at"]), self.pending_drill["detail"]):
            raise JournalUnavailable(f"another drill recorded the id {evidence_dir.name} in the drill journal ({self.where}) "
                                     "while this one could not reach it: start the drill again")
        self.save(evidence_dir)

    def open(self, drill_id: str, entry_id: str, action: str, undo: Mapping[str, Any], *, scenario: str | None,
             host: str | None, opened_at: str) -> None:
        self._upsert(drill_id, "entry", entry_id, action, scenario, host, undo, {}, opened_at)

    def _upsert(self, drill_id: str, kind: str, entry_id: str, action: str, scenario: str | None, host: str | None,
                undo: Mapping[str, Any] | None, detail: Mapping[str, Any], opened_at: str) -> None:
        # An entry opened again with the same id replaces the earlier one, as in journal.jsonl.
        statement = sql.SQL(
            "INSERT INTO {} AS j (environment, drill_id, kind, entry_id, action, scenario, host, undo, detail, opened_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s::timestamptz) "
            "ON CONFLICT (drill_id, kind, entry_id) DO UPDATE SET action = EXCLUDED.action, scenario = EXCLUDED.scenario, "
            "host = EXCLUDED.host, undo = EXCLUDED.undo, detail = j.detail || EXCLUDED.detail, "
            "opened_at = EXCLUDED.opened_at, closed_at = NULL, closed_by = NULL"
        ).format(_identifier(self.table))
        params = (self.environment, drill_id, kind, entry_id, action, scenario, host,
                  json.dumps(json_safe(undo)) if undo is not None else None, json.dumps(json_safe(detail)), opened_at)
        with self._connection("write") as connection:
            connection.execute(statement, params)

    def close(self, drill_id: str, entry_id: str, *, by: str, closed_at: str) -> None:
        statement = sql.SQL("UPDATE {} SET closed_at = %s::timestamptz, closed_by = %s "
                            "WHERE drill_id = %s AND kind = 'entry' AND entry_id = %s AND closed_at IS NULL"
                            ).format(_identifier(self.table))
        with self._connection("write") as connection:
            connection.execute(statement, (closed_at, by, drill_id, entry_id))

    def update_drill(self, drill_id: str, detail: Mapping[str, Any], *, closed_at: str | None = None,
                     closed_by: str | None = None) -> None:
        """Merge ``detail`` into the drill's row (its seal, its upload, its recovery)."""
        statement = sql.SQL("UPDATE {} SET detail = detail || %s::jsonb, closed_at = coalesce(%s::timestamptz, closed_at), "
                            "closed_by = coalesce(%s, closed_by) WHERE drill_id = %s AND kind = 'drill' AND entry_id = %s"
                            ).format(_identifier(self.table))
        with self._connection("write") as connection:
            connection.execute(statement, (json.dumps(json_safe(detail)), closed_at, closed_by, drill_id, DRILL_ROW))

    # -- reads ------------------------------------------------------------------------------------
    def open_entries(self) -> list[dict[str, Any]]:
        """The open entries of this environment's drills, oldest first (a missing table: none)."""
        with self._connection("read") as connection:
            found = connection.execute("SELECT to_regclass(%s) IS NOT NULL AS found", (self.table,)).fetchone()
            if not (found and found["found"]):
                return []
            rows = connection.execute(sql.SQL(
                "SELECT drill_id, entry_id AS id, action, scenario, host, undo, opened_at, closed_at, closed_by FROM {} "
                "WHERE environment = %s AND kind = 'entry' AND closed_at IS NULL ORDER BY opened_at, drill_id, entry_id"
            ).format(_identifier(self.table)), (self.environment,)).fetchall()
        return [json_safe(row) for row in rows]

    def drills(self, drill_ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """The drill rows of this environment (all of them, or those named), by drill id."""
        with self._connection("read") as connection:
            found = connection.execute("SELECT to_regclass(%s) IS NOT NULL AS found", (self.table,)).fetchone()
            if not (found and found["found"]):
                return {}
            query = sql.SQL("SELECT drill_id, detail, opened_at AS started_at, closed_at AS sealed_at, closed_by AS sealed_by "
                            "FROM {} WHERE environment = %s AND kind = 'drill'").format(_identifier(self.table))
            params: tuple[Any, ...] = (self.environment,)
            if drill_ids is not None:
                query = query + sql.SQL(" AND drill_id = ANY(%s)")
                params = (self.environment, list(drill_ids))
            rows = connection.execute(query + sql.SQL(" ORDER BY opened_at"), params).fetchall()
        return {row["drill_id"]: json_safe(row) for row in rows}

    # -- the runtime file -------------------------------------------------------------------------
    def save(self, evidence_dir: Path, pending: Mapping[str, Any] | None = None) -> None:
        """Write the runtime file; ``pending``: the drill row still to be written (started_at, detail)."""
        from hadrill.runtime import runtime_dir

        path = runtime_dir(evidence_dir) / evidence_dir.name / RUNTIME_FILE
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"conninfo": self.conninfo, "table": self.table, "environment": self.environment,
                       "database": self.database, "pending_drill": pending}, handle)


def recorded_location(evidence_dir: Path) -> dict[str, Any] | None:
    """drill.json's ``journal`` (where the drill's journal is on the target side), or None."""
    try:
        record = json.loads((evidence_dir / "drill.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    location = record.get("journal") if isinstance(record, dict) else None
    return location if isinstance(location, dict) else None


def of_drill(evidence_dir: Path) -> TargetJournal | None:
    """The target journal of the drill whose bundle is ``evidence_dir``.

    None when drill.json names none (a bundle of an older hadrill, a stand-in written by a test);
    JournalUnavailable when it names one and the drill's runtime file is gone, so that no entry
    is ever written to one side only.
    """
    from hadrill.runtime import runtime_dir

    location = recorded_location(evidence_dir)
    if location is None:
        return None
    path = runtime_dir(evidence_dir) / evidence_dir.name / RUNTIME_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return TargetJournal(conninfo=data["conninfo"], table=data["table"], environment=data["environment"],
                             database=data.get("database", "db_primary"), pending_drill=data.get("pending_drill"))
    except (OSError, ValueError, KeyError):
        raise JournalUnavailable(
            f"drill {evidence_dir.name} keeps its journal in table {location.get('table')} on {location.get('database')}, "
            f"but this controller has no connection for it ({path} is missing)"
        ) from None


def record_seal(evidence_dir: Path, *, manifest_sha256: str, result: str | None, sealed_at: str, sealed_by: str,
                number: int | None = None, target: TargetJournal | None = None,
                extra: Mapping[str, Any] | None = None) -> str | None:
    """Record a seal of the bundle on the target side (its digest, result and path), after sending
    again the closes the target missed. Never raises: returns why it could not, or None. A drill
    whose drill.json names no target journal (an older bundle) is left alone."""
    import socket

    from hadrill import journal

    try:
        target = target or of_drill(evidence_dir)
        if target is None:
            return None
        target.record_pending(evidence_dir)
        for entry_id in journal.unrecorded_closes(evidence_dir):
            target.close(evidence_dir.name, entry_id, by="drill", closed_at=sealed_at)
        seal = {"manifest_sha256": manifest_sha256, "result": result, "sealed_at": sealed_at, "sealed_by": sealed_by,
                "number": number, "path": str(evidence_dir), "controller": socket.gethostname()}
        target.update_drill(evidence_dir.name, {"seal": seal, **(extra or {})}, closed_at=sealed_at, closed_by=sealed_by)
    except JournalUnavailable as exc:
        return str(exc)
    return None
