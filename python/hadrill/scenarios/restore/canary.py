"""The canary table on the primary: created before the drill, dropped after it, read on the copy.

It is the only thing the restore drill writes to the primary. The table carries a comment
naming the drill, and every drop checks that comment, so neither the drill nor ``hadrill
recover`` can ever drop an application table that happens to have the same name.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

from hadrill.db import connect, json_safe
from hadrill.samplers.kinds.canary import table_identifier

COLUMNS = "seq bigint primary key, written_at timestamptz not null default clock_timestamp()"


class CanaryError(RuntimeError):
    pass


def owner_comment(drill_id: str) -> str:
    return f"hadrill canary of drill {drill_id}"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def drop_statement(table: str, drill_id: str) -> str:
    """One statement that drops the table only if this drill created it (safe to run twice).

    Plain text because it is also the journal's undo (kind ``sql``), run by ``hadrill recover``.
    """
    name = _literal(table)
    return (
        "DO $hadrill$ BEGIN "
        f"IF to_regclass({name}) IS NOT NULL AND obj_description(to_regclass({name}), 'pg_class') = "
        f"{_literal(owner_comment(drill_id))} THEN EXECUTE 'DROP TABLE ' || to_regclass({name})::text; END IF; "
        "END $hadrill$"
    )


def create(conninfo: str, table: str, drill_id: str) -> None:
    """Create the canary table; refuse when a table of that name exists (it is not ours to use)."""
    with connect(conninfo) as connection:
        exists = connection.execute("select to_regclass(%s) is not null as found", (table,)).fetchone()
        if exists and exists["found"]:
            raise CanaryError(
                f"a table named {table} already exists on the primary: the drill will not write into or drop it "
                "(a previous drill left it? run `hadrill recover`; or choose another db_restore_canary_table)"
            )
        with connection.transaction():
            connection.execute(sql.SQL("create table {} (" + COLUMNS + ")").format(table_identifier(table)))
            connection.execute(
                sql.SQL("comment on table {} is {}").format(table_identifier(table), sql.Literal(owner_comment(drill_id)))
            )


def drop(conninfo: str, table: str, drill_id: str) -> bool:
    """Drop the table if this drill created it; True when it is gone afterwards."""
    with connect(conninfo) as connection:
        connection.execute(drop_statement(table, drill_id))
        gone = connection.execute("select to_regclass(%s) is null as gone", (table,)).fetchone()
    return bool(gone and gone["gone"])


def restored(conninfo: str, table: str) -> dict[str, Any]:
    """What the restored copy holds of the canary: row count, first and newest row."""
    query = sql.SQL(
        "select count(*) as rows, min(seq) as first_seq, max(seq) as newest_seq, "
        "(select written_at from {table} order by seq desc limit 1) as newest_written_at from {table}"
    ).format(table=table_identifier(table))
    seqs = sql.SQL("select coalesce(array_agg(seq order by seq), '{{}}') as seqs from {}").format(table_identifier(table))
    with connect(conninfo) as connection:
        present = connection.execute("select to_regclass(%s) is not null as found", (table,)).fetchone()
        if not (present and present["found"]):
            return {"table_present": False, "rows": 0, "first_seq": None, "newest_seq": None,
                    "newest_written_at": None, "seqs": []}
        row = connection.execute(query).fetchone() or {}
        found = connection.execute(seqs).fetchone() or {}
    return {"table_present": True, **json_safe(dict(row)), "seqs": [int(item) for item in found.get("seqs") or []]}


def missing_acknowledged(samples: list[dict[str, Any]], restored_seqs: list[int], newest_seq: int | None) -> list[int]:
    """Acknowledged canary rows up to the newest restored one that the copy lacks (must be none)."""
    if newest_seq is None:
        return []
    present = set(restored_seqs)
    return sorted(int(item["seq"]) for item in samples
                  if item.get("ok") and int(item["seq"]) <= newest_seq and int(item["seq"]) not in present)
