"""The service's SQL (classic shape): writes, recall, indexing, backlog and consistency figures,
seeding. No HTTP or process logic here.

``memstore.store_alt`` holds the alt shape's SQL; the functions the worker, the gates and the
seeder call (``outbox_counts``, ``oldest_pending_age_seconds``, ``claim_events``, ``index_event``,
``mark_failed_attempt``, ``consistency_figures``, ``seeded_count``, ``insert_seed``) have the same
names and signatures in both (``Release.shape.store()`` picks the module).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from memstore.tokens import overlap_score, tokenize

EVENT_MEMORY_WRITTEN = "memory.written"


class PoisonEvent(Exception):
    """The event cannot be processed as it stands (no memory reference, memory missing, unknown type).

    Still retried like any failure: the cause may lie outside the event (a memory restored
    later), and a dead-lettered event is the operator's signal only once retries are used up.
    """


@dataclass(frozen=True)
class ConsistencyFigures:
    """What the consistency gate judges, counted in one snapshot (both shapes)."""

    orphan_index_rows: int  # index rows pointing at no memory
    mismatched_index_rows: int  # index rows whose tenant/scope differ from their memory's
    cross_tenant_rows: list[tuple[Any, str, str]]  # (memory ref, index tenant, memory tenant)
    unindexed_done_events: int  # processed events without an index row
    lost_memories: int  # memories neither indexed nor queued
    dead_lettered_memories: int  # memories unindexed because their event failed
    per_tenant: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class SeedRow:
    tenant: str
    index: int
    scope: str  # the scope's own name ("notes"); the alt shape prefixes the tenant
    text: str
    created_at: datetime


@dataclass(frozen=True)
class RecallHit:
    id: int
    text: str
    score: float


def write_memory(conn: psycopg.Connection, tenant: str, scope: str, text: str) -> int:
    """Insert the memory and its outbox event atomically: no memory without an event."""
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO memories (tenant, scope, text) VALUES (%s, %s, %s) RETURNING id",
            (tenant, scope, text),
        ).fetchone()
        assert row is not None
        memory_id = int(row[0])
        conn.execute(
            "INSERT INTO outbox (memory_id, tenant, event_type, payload) VALUES (%s, %s, %s, %s)",
            (
                memory_id,
                tenant,
                EVENT_MEMORY_WRITTEN,
                Jsonb({"memory_id": memory_id, "tenant": tenant, "scope": scope}),
            ),
        )
    return memory_id


def recall(
    conn: psycopg.Connection, tenant: str, scope: str, query_tokens: list[str], limit: int
) -> list[RecallHit]:
    """Rank indexed memories of one tenant+scope by how many query tokens they contain."""
    if not query_tokens:
        return []
    # The tenant/scope filter is applied to the memory as well as to the index row, so even a
    # corrupted index row can never leak another tenant's text.
    rows = conn.execute(
        """
        SELECT m.id, m.text,
               cardinality(ARRAY(SELECT unnest(i.tokens) INTERSECT SELECT unnest(%(q)s::text[])))
                 AS matched
          FROM memory_index i
          JOIN memories m ON m.id = i.memory_id
         WHERE i.tenant = %(tenant)s AND i.scope = %(scope)s
           AND m.tenant = %(tenant)s AND m.scope = %(scope)s
           AND i.tokens && %(q)s::text[]
         ORDER BY matched DESC, m.id DESC
         LIMIT %(limit)s
        """,
        {"q": query_tokens, "tenant": tenant, "scope": scope, "limit": limit},
    ).fetchall()
    size = len(query_tokens)
    return [RecallHit(int(r[0]), str(r[1]), overlap_score(int(r[2]), size)) for r in rows]


def forget_scope(conn: psycopg.Connection, tenant: str, scope: str) -> int:
    """Delete a scope's memories, their outbox events and (by cascade) index rows; the count."""
    with conn.transaction():
        rows = conn.execute(
            "DELETE FROM memories WHERE tenant = %s AND scope = %s RETURNING id", (tenant, scope)
        ).fetchall()
        ids = [int(row[0]) for row in rows]
        if ids:
            conn.execute("DELETE FROM outbox WHERE memory_id = ANY(%s)", (ids,))
    return len(ids)


def outbox_counts(conn: psycopg.Connection) -> tuple[int, int]:
    """(pending, failed) event counts; each uses its partial index."""
    pending = conn.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()
    failed = conn.execute("SELECT count(*) FROM outbox WHERE status = 'failed'").fetchone()
    return int(pending[0]) if pending else 0, int(failed[0]) if failed else 0


def oldest_pending_age_seconds(conn: psycopg.Connection) -> float | None:
    row = conn.execute(
        "SELECT extract(epoch FROM clock_timestamp() - min(created_at)) FROM outbox WHERE status = 'pending'"
    ).fetchone()
    return float(row[0]) if row and row[0] is not None else None


@dataclass(frozen=True)
class ClaimedEvent:
    id: int
    event_type: str
    payload: Any
    attempts: int


def claim_due(conn: psycopg.Connection, batch: int, table: str, kind: str, pending: str) -> list[ClaimedEvent]:
    """Lock up to `batch` due events of `table` (its `kind` column, its `pending` condition; the
    shapes' constants, never input); must run inside a transaction.

    SKIP LOCKED lets several workers share the outbox without blocking each other.
    """
    rows = conn.execute(
        f"""
        SELECT id, {kind}, payload, attempts
          FROM {table}
         WHERE {pending} AND next_attempt_at <= now()
         ORDER BY id
         LIMIT %s
           FOR UPDATE SKIP LOCKED
        """.encode(),
        (batch,),
    ).fetchall()
    return [ClaimedEvent(int(r[0]), str(r[1]), r[2], int(r[3])) for r in rows]


def claim_events(conn: psycopg.Connection, batch: int) -> list[ClaimedEvent]:
    """Lock up to `batch` due outbox events; must run inside a transaction."""
    return claim_due(conn, batch, "outbox", "event_type", "status = 'pending'")


def load_memory(conn: psycopg.Connection, memory_id: int) -> tuple[str, str, str] | None:
    row = conn.execute("SELECT tenant, scope, text FROM memories WHERE id = %s", (memory_id,)).fetchone()
    return (str(row[0]), str(row[1]), str(row[2])) if row else None


def upsert_index(
    conn: psycopg.Connection,
    memory_id: int,
    tenant: str,
    scope: str,
    tokens: list[str],
    with_token_count: bool,
) -> None:
    if with_token_count:
        conn.execute(
            """
            INSERT INTO memory_index (memory_id, tenant, scope, tokens, token_count, indexed_at)
            VALUES (%s, %s, %s, %s, %s, clock_timestamp())
            ON CONFLICT (memory_id) DO UPDATE
               SET tenant = EXCLUDED.tenant, scope = EXCLUDED.scope, tokens = EXCLUDED.tokens,
                   token_count = EXCLUDED.token_count, indexed_at = EXCLUDED.indexed_at
            """,
            (memory_id, tenant, scope, tokens, len(tokens)),
        )
    else:
        conn.execute(
            """
            INSERT INTO memory_index (memory_id, tenant, scope, tokens, indexed_at)
            VALUES (%s, %s, %s, %s, clock_timestamp())
            ON CONFLICT (memory_id) DO UPDATE
               SET tenant = EXCLUDED.tenant, scope = EXCLUDED.scope, tokens = EXCLUDED.tokens,
                   indexed_at = EXCLUDED.indexed_at
            """,
            (memory_id, tenant, scope, tokens),
        )


def mark_done(conn: psycopg.Connection, event_id: int) -> None:
    conn.execute(
        "UPDATE outbox SET status = 'done', attempts = attempts + 1, last_error = NULL,"
        " processed_at = clock_timestamp() WHERE id = %s",
        (event_id,),
    )


def mark_failed_attempt(
    conn: psycopg.Connection, event_id: int, error: str, max_attempts: int, backoff_seconds: float
) -> tuple[str, int]:
    """Record a failed attempt; dead-letter ('failed') once max_attempts is reached.

    Returns the event's new (status, attempts).
    """
    row = conn.execute(
        """
        UPDATE outbox
           SET attempts = attempts + 1,
               last_error = %(error)s,
               status = CASE WHEN attempts + 1 >= %(max)s THEN 'failed' ELSE 'pending' END,
               next_attempt_at = clock_timestamp() + make_interval(secs => %(backoff)s),
               processed_at = CASE WHEN attempts + 1 >= %(max)s THEN clock_timestamp() END
         WHERE id = %(id)s
        RETURNING status, attempts
        """,
        {"error": error[:2000], "max": max_attempts, "backoff": backoff_seconds, "id": event_id},
    ).fetchone()
    assert row is not None
    return str(row[0]), int(row[1])


def memory_id_of(payload: Any) -> int:
    if not isinstance(payload, dict) or "memory_id" not in payload:
        raise PoisonEvent("payload has no memory_id")
    raw = payload["memory_id"]
    if isinstance(raw, bool):
        raise PoisonEvent(f"payload memory_id is not an integer: {raw!r}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    raise PoisonEvent(f"payload memory_id is not an integer: {raw!r}")


def index_event(conn: psycopg.Connection, event: ClaimedEvent, with_token_count: bool) -> None:
    """Index the memory of one claimed event and mark the event done; PoisonEvent if it cannot be."""
    if event.event_type != EVENT_MEMORY_WRITTEN:
        raise PoisonEvent(f"unknown event type {event.event_type!r}")
    memory_id = memory_id_of(event.payload)
    memory = load_memory(conn, memory_id)
    if memory is None:
        raise PoisonEvent(f"memory {memory_id} does not exist")
    tenant, scope, text = memory
    # Tenant and scope come from the memory row, never from the payload, so the index cannot
    # disagree with the memory it points at.
    upsert_index(conn, memory_id, tenant, scope, tokenize(text), with_token_count)
    mark_done(conn, event.id)


# Memory id an event refers to: the column, else a numeric payload value (poison payloads give NULL).
_EVENT_MEMORY_ID = (
    "coalesce(o.memory_id, CASE WHEN o.payload->>'memory_id' ~ '^[0-9]{1,18}$'"
    " THEN (o.payload->>'memory_id')::bigint END)"
)


def consistency_figures(conn: psycopg.Connection, scope: str | None) -> ConsistencyFigures:
    """The consistency gate's counts, all scopes when ``scope`` is None."""
    params = {"scope": scope}
    # NULL scope parameter = all scopes.
    mem_scope = "(%(scope)s::text IS NULL OR m.scope = %(scope)s)"
    idx_scope = "(%(scope)s::text IS NULL OR i.scope = %(scope)s OR m.scope = %(scope)s)"

    def count(sql: str) -> int:
        row = conn.execute(sql.encode(), params).fetchone()  # type: ignore[arg-type]
        return int(row[0]) if row else 0

    cross = conn.execute(
        (
            "SELECT i.memory_id, i.tenant, m.tenant FROM memory_index i JOIN memories m ON m.id = i.memory_id"
            f" WHERE i.tenant <> m.tenant AND {idx_scope} ORDER BY i.memory_id"
        ).encode(),
        params,
    ).fetchall()
    per_tenant: dict[str, dict[str, int]] = {}
    for tenant, memories, indexed in conn.execute(
        (
            "SELECT m.tenant, count(*), count(i.memory_id) FROM memories m"
            " LEFT JOIN memory_index i ON i.memory_id = m.id"
            f" WHERE {mem_scope} GROUP BY m.tenant ORDER BY m.tenant"
        ).encode(),
        params,
    ):
        per_tenant[str(tenant)] = {"memories": int(memories), "indexed": int(indexed)}
    return ConsistencyFigures(
        orphan_index_rows=count(
            "SELECT count(*) FROM memory_index i LEFT JOIN memories m ON m.id = i.memory_id"
            " WHERE m.id IS NULL AND (%(scope)s::text IS NULL OR i.scope = %(scope)s)"
        ),
        mismatched_index_rows=count(
            "SELECT count(*) FROM memory_index i JOIN memories m ON m.id = i.memory_id"
            f" WHERE (i.tenant <> m.tenant OR i.scope <> m.scope) AND {idx_scope}"
        ),
        cross_tenant_rows=[(r[0], str(r[1]), str(r[2])) for r in cross],
        unindexed_done_events=count(
            f"SELECT count(*) FROM outbox o WHERE o.status = 'done' AND o.event_type = '{EVENT_MEMORY_WRITTEN}'"
            f" AND (%(scope)s::text IS NULL OR o.payload->>'scope' = %(scope)s)"
            f" AND NOT EXISTS (SELECT 1 FROM memory_index i WHERE i.memory_id = {_EVENT_MEMORY_ID})"
        ),
        lost_memories=count(
            "SELECT count(*) FROM memories m WHERE NOT EXISTS (SELECT 1 FROM memory_index i WHERE i.memory_id = m.id)"
            " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.memory_id = m.id AND o.status IN ('pending', 'failed'))"
            f" AND {mem_scope}"
        ),
        dead_lettered_memories=count(
            "SELECT count(*) FROM memories m WHERE NOT EXISTS (SELECT 1 FROM memory_index i WHERE i.memory_id = m.id)"
            " AND EXISTS (SELECT 1 FROM outbox o WHERE o.memory_id = m.id AND o.status = 'failed')"
            f" AND {mem_scope}"
        ),
        per_tenant=per_tenant,
    )


def seeded_count(conn: psycopg.Connection, tenant: str, source: str) -> int:
    row = conn.execute("select count(*) from memories where tenant = %s and source = %s", (tenant, source)).fetchone()
    return int(row[0]) if row else 0


def insert_seed(conn: psycopg.Connection, rows: Sequence[SeedRow], source: str, with_token_count: bool) -> None:
    """Seeded memories with their index rows and processed ('done') outbox events, in one transaction."""
    with conn.transaction():
        ids = [row[0] for row in conn.execute(
            "insert into memories (tenant, scope, text, created_at, source) "
            "select t, s, x, c, %s from unnest(%s::text[], %s::text[], %s::text[], %s::timestamptz[]) as u(t, s, x, c) "
            "returning id",
            (source, [r.tenant for r in rows], [r.scope for r in rows], [r.text for r in rows],
             [r.created_at for r in rows]),
        ).fetchall()]
        columns = "memory_id, tenant, scope, tokens, indexed_at" + (", token_count" if with_token_count else "")
        with conn.cursor().copy(f"copy memory_index ({columns}) from stdin") as copy:
            for memory_id, row in zip(ids, rows):
                tokens = tokenize(row.text)
                copy.write_row((memory_id, row.tenant, row.scope, tokens, row.created_at, len(tokens))
                               if with_token_count else (memory_id, row.tenant, row.scope, tokens, row.created_at))
        with conn.cursor().copy("copy outbox (memory_id, tenant, event_type, payload, status, attempts, "
                                "next_attempt_at, created_at, processed_at) from stdin") as copy:
            for memory_id, row in zip(ids, rows):
                copy.write_row((memory_id, row.tenant, EVENT_MEMORY_WRITTEN,
                                Jsonb({"memory_id": memory_id, "tenant": row.tenant, "scope": row.scope}),
                                "done", 1, row.created_at, row.created_at, row.created_at))
