"""The service's SQL: writes, recall, indexing and backlog figures. No HTTP or process logic here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from memstore.tokens import overlap_score

EVENT_MEMORY_WRITTEN = "memory.written"


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


def claim_events(conn: psycopg.Connection, batch: int) -> list[ClaimedEvent]:
    """Lock up to `batch` due events; must run inside a transaction.

    SKIP LOCKED lets several workers share the outbox without blocking each other.
    """
    rows = conn.execute(
        """
        SELECT id, event_type, payload, attempts
          FROM outbox
         WHERE status = 'pending' AND next_attempt_at <= now()
         ORDER BY id
         LIMIT %s
           FOR UPDATE SKIP LOCKED
        """,
        (batch,),
    ).fetchall()
    return [ClaimedEvent(int(r[0]), str(r[1]), r[2], int(r[3])) for r in rows]


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
