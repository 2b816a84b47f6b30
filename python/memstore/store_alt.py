"""The alt shape's SQL (memstore.shapes): text keys, tenancy by scope prefix, an outbox whose state
is ``published_at`` / ``failed_at``. The functions the worker, the gates and the seeder call have
the names and signatures of ``memstore.store``'s."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from memstore.store import ClaimedEvent, ConsistencyFigures, PoisonEvent, SeedRow, claim_due
from memstore.tokens import overlap_score, tokenize

EVENT_MEMORY_CREATED = "memory.created"
UNPUBLISHED = "published_at IS NULL AND failed_at IS NULL"


@dataclass(frozen=True)
class SearchHit:
    key: str
    content: str
    score: float


def seed_key(tenant: str, index: int) -> str:
    return f"seed_{tenant}_{index:07d}"


def write_memory(conn: psycopg.Connection, scope: str, content: str) -> str:
    """Insert the memory and its event atomically; returns the new key."""
    key = "mem_" + secrets.token_hex(8)
    with conn.transaction():
        conn.execute("INSERT INTO memories (key, scope, content) VALUES (%s, %s, %s)", (key, scope, content))
        conn.execute(
            "INSERT INTO events (memory_key, kind, payload) VALUES (%s, %s, %s)",
            (key, EVENT_MEMORY_CREATED, Jsonb({"key": key, "scope": scope})),
        )
    return key


def search(conn: psycopg.Connection, scope: str, query_tokens: list[str], top_k: int) -> list[SearchHit]:
    """Indexed memories of one scope ranked by how many query tokens they contain, newest first."""
    if not query_tokens:
        return []
    rows = conn.execute(
        """
        SELECT m.key, m.content,
               cardinality(ARRAY(SELECT unnest(i.tokens) INTERSECT SELECT unnest(%(q)s::text[]))) AS matched
          FROM search_index i
          JOIN memories m ON m.key = i.memory_key
         WHERE i.scope = %(scope)s AND m.scope = %(scope)s
           AND i.tokens && %(q)s::text[]
         ORDER BY matched DESC, m.created_at DESC
         LIMIT %(limit)s
        """,
        {"q": query_tokens, "scope": scope, "limit": top_k},
    ).fetchall()
    size = len(query_tokens)
    return [SearchHit(str(r[0]), str(r[1]), overlap_score(int(r[2]), size)) for r in rows]


def purge_scope(conn: psycopg.Connection, scope: str) -> int:
    """Delete a scope's memories, their events and (by cascade) index rows; the count."""
    with conn.transaction():
        keys = [str(row[0]) for row in conn.execute(
            "DELETE FROM memories WHERE scope = %s RETURNING key", (scope,)).fetchall()]
        if keys:
            conn.execute("DELETE FROM events WHERE memory_key = ANY(%s)", (keys,))
    return len(keys)


def outbox_counts(conn: psycopg.Connection) -> tuple[int, int]:
    """(unpublished, failed) event counts; each uses its partial index."""
    pending = conn.execute(f"SELECT count(*) FROM events WHERE {UNPUBLISHED}").fetchone()
    failed = conn.execute("SELECT count(*) FROM events WHERE failed_at IS NOT NULL").fetchone()
    return int(pending[0]) if pending else 0, int(failed[0]) if failed else 0


def oldest_pending_age_seconds(conn: psycopg.Connection) -> float | None:
    row = conn.execute(
        f"SELECT extract(epoch FROM clock_timestamp() - min(created_at)) FROM events WHERE {UNPUBLISHED}"
    ).fetchone()
    return float(row[0]) if row and row[0] is not None else None


def claim_events(conn: psycopg.Connection, batch: int) -> list[ClaimedEvent]:
    """Lock up to `batch` due unpublished events; must run inside a transaction."""
    return claim_due(conn, batch, "events", "kind", UNPUBLISHED)


def memory_key_of(payload: Any) -> str:
    if not isinstance(payload, dict) or not isinstance(payload.get("key"), str) or not payload["key"].strip():
        raise PoisonEvent("payload has no key")
    return payload["key"].strip()


def index_event(conn: psycopg.Connection, event: ClaimedEvent, with_token_count: bool) -> None:
    """Index the memory of one claimed event and publish the event; PoisonEvent if it cannot be.

    ``with_token_count`` is part of the common signature; this shape's index has no such column.
    """
    del with_token_count
    if event.event_type != EVENT_MEMORY_CREATED:
        raise PoisonEvent(f"unknown event kind {event.event_type!r}")
    key = memory_key_of(event.payload)
    row = conn.execute("SELECT scope, content FROM memories WHERE key = %s", (key,)).fetchone()
    if row is None:
        raise PoisonEvent(f"memory {key} does not exist")
    scope, content = str(row[0]), str(row[1])
    conn.execute(
        """
        INSERT INTO search_index (memory_key, scope, tokens, indexed_at)
        VALUES (%s, %s, %s, clock_timestamp())
        ON CONFLICT (memory_key) DO UPDATE
           SET scope = EXCLUDED.scope, tokens = EXCLUDED.tokens, indexed_at = EXCLUDED.indexed_at
        """,
        (key, scope, tokenize(content)),
    )
    conn.execute(
        "UPDATE events SET published_at = clock_timestamp(), attempts = attempts + 1, last_error = NULL"
        " WHERE id = %s",
        (event.id,),
    )


def mark_failed_attempt(
    conn: psycopg.Connection, event_id: int, error: str, max_attempts: int, backoff_seconds: float
) -> tuple[str, int]:
    """Record a failed attempt; dead-letter (failed_at) once max_attempts is reached.

    Returns ('failed' or 'pending', attempts), as the classic store does.
    """
    row = conn.execute(
        """
        UPDATE events
           SET attempts = attempts + 1,
               last_error = %(error)s,
               failed_at = CASE WHEN attempts + 1 >= %(max)s THEN clock_timestamp() END,
               next_attempt_at = clock_timestamp() + make_interval(secs => %(backoff)s)
         WHERE id = %(id)s
        RETURNING failed_at IS NOT NULL, attempts
        """,
        {"error": error[:2000], "max": max_attempts, "backoff": backoff_seconds, "id": event_id},
    ).fetchone()
    assert row is not None
    return ("failed" if row[0] else "pending"), int(row[1])


_TENANT = "split_part({}, '/', 1)"


def consistency_figures(conn: psycopg.Connection, scope: str | None) -> ConsistencyFigures:
    """The consistency gate's counts, all scopes when ``scope`` is None. A tenant is a scope prefix."""
    params = {"scope": scope}
    mem_scope = "(%(scope)s::text IS NULL OR m.scope = %(scope)s)"
    idx_scope = "(%(scope)s::text IS NULL OR i.scope = %(scope)s OR m.scope = %(scope)s)"
    index_tenant, memory_tenant = _TENANT.format("i.scope"), _TENANT.format("m.scope")

    def count(sql: str) -> int:
        row = conn.execute(sql.encode(), params).fetchone()  # type: ignore[arg-type]
        return int(row[0]) if row else 0

    cross = conn.execute(
        (
            f"SELECT i.memory_key, {index_tenant}, {memory_tenant} FROM search_index i"
            f" JOIN memories m ON m.key = i.memory_key WHERE {index_tenant} <> {memory_tenant} AND {idx_scope}"
            " ORDER BY i.memory_key"
        ).encode(),
        params,
    ).fetchall()
    per_tenant: dict[str, dict[str, int]] = {}
    for tenant, memories, indexed in conn.execute(
        (
            f"SELECT {memory_tenant}, count(*), count(i.memory_key) FROM memories m"
            " LEFT JOIN search_index i ON i.memory_key = m.key"
            f" WHERE {mem_scope} GROUP BY 1 ORDER BY 1"
        ).encode(),
        params,
    ):
        per_tenant[str(tenant)] = {"memories": int(memories), "indexed": int(indexed)}
    return ConsistencyFigures(
        orphan_index_rows=count(
            "SELECT count(*) FROM search_index i LEFT JOIN memories m ON m.key = i.memory_key"
            " WHERE m.key IS NULL AND (%(scope)s::text IS NULL OR i.scope = %(scope)s)"
        ),
        mismatched_index_rows=count(
            "SELECT count(*) FROM search_index i JOIN memories m ON m.key = i.memory_key"
            f" WHERE i.scope <> m.scope AND {idx_scope}"
        ),
        cross_tenant_rows=[(str(r[0]), str(r[1]), str(r[2])) for r in cross],
        unindexed_done_events=count(
            f"SELECT count(*) FROM events e WHERE e.published_at IS NOT NULL AND e.kind = '{EVENT_MEMORY_CREATED}'"
            " AND (%(scope)s::text IS NULL OR e.payload->>'scope' = %(scope)s)"
            " AND NOT EXISTS (SELECT 1 FROM search_index i"
            "                 WHERE i.memory_key = coalesce(e.memory_key, e.payload->>'key'))"
        ),
        lost_memories=count(
            "SELECT count(*) FROM memories m WHERE NOT EXISTS (SELECT 1 FROM search_index i WHERE i.memory_key = m.key)"
            " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.memory_key = m.key AND e.published_at IS NULL)"
            f" AND {mem_scope}"
        ),
        dead_lettered_memories=count(
            "SELECT count(*) FROM memories m WHERE NOT EXISTS (SELECT 1 FROM search_index i WHERE i.memory_key = m.key)"
            " AND EXISTS (SELECT 1 FROM events e WHERE e.memory_key = m.key AND e.failed_at IS NOT NULL)"
            f" AND {mem_scope}"
        ),
        per_tenant=per_tenant,
    )


def seeded_count(conn: psycopg.Connection, tenant: str, source: str) -> int:
    row = conn.execute(
        "select count(*) from memories where starts_with(scope, %s) and origin = %s", (tenant + "/", source)
    ).fetchone()
    return int(row[0]) if row else 0


def insert_seed(conn: psycopg.Connection, rows: Sequence[SeedRow], source: str, with_token_count: bool) -> None:
    """Seeded memories (scope '<tenant>/<scope>') with their index rows and published events."""
    del with_token_count
    keys = [seed_key(r.tenant, r.index) for r in rows]
    scopes = [f"{r.tenant}/{r.scope}" for r in rows]
    with conn.transaction():
        conn.execute(
            "insert into memories (key, scope, content, created_at, origin) "
            "select k, s, x, c, %s from unnest(%s::text[], %s::text[], %s::text[], %s::timestamptz[]) as u(k, s, x, c)",
            (source, keys, scopes, [r.text for r in rows], [r.created_at for r in rows]),
        )
        with conn.cursor().copy("copy search_index (memory_key, scope, tokens, indexed_at) from stdin") as copy:
            for key, scope, row in zip(keys, scopes, rows):
                copy.write_row((key, scope, tokenize(row.text), row.created_at))
        with conn.cursor().copy("copy events (memory_key, kind, payload, attempts, next_attempt_at, created_at, "
                                "published_at) from stdin") as copy:
            for key, scope, row in zip(keys, scopes, rows):
                copy.write_row((key, EVENT_MEMORY_CREATED, Jsonb({"key": key, "scope": scope}), 1,
                                row.created_at, row.created_at, row.created_at))
