"""Realistic data for rehearsals: several tenants, thousands of memories (about 1 GB with
``--size large``), as if written through the API and processed by the worker.

Each memory comes with its processed outbox event (``done``) and its index row, built with the
worker's own tokenizer, so the consistency gate and recall agree with the seeded rows and the
backlog stays empty. Rows are marked ``source = 'seed'`` and spread over the past 30 days.
Idempotent: only the rows a tenant is missing are added (deterministic text per row).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import psycopg
from psycopg.types.json import Jsonb

from memstore import migrations
from memstore.store import EVENT_MEMORY_WRITTEN
from memstore.tokens import tokenize

SOURCE = "seed"
SCOPES = ("notes", "meetings", "tickets", "docs", "chat")
SPREAD = timedelta(days=30)
BATCH = 2000
TOKEN_COUNT_SCHEMA = 4
SOURCE_SCHEMA = 3
WORDS = (
    "invoice customer order refund shipment warehouse ticket escalation deploy rollback backup restore "
    "replica latency throughput outage incident postmortem alert pager dashboard metric tenant account "
    "billing contract renewal quota limit migration schema index query cache session token login audit "
    "report review meeting agenda action owner deadline roadmap feature bug regression release canary "
    "kafka queue worker backlog retry timeout network gateway balancer certificate rotation secret vault"
).split()


@dataclass(frozen=True)
class SeedSize:
    per_tenant: int
    text_words: int


SIZES = {
    # Thousands of memories: what every sandbox gets, so its checks compare something.
    "small": SeedSize(per_tenant=2000, text_words=30),
    # About 1 GB of memories, index and outbox for three tenants.
    "large": SeedSize(per_tenant=250_000, text_words=150),
}


def memory_text(tenant: str, index: int, words: int) -> str:
    rng = random.Random(f"{tenant}:{index}")
    return f"{tenant} seed {index}: " + " ".join(rng.choice(WORDS) for _ in range(words))


def seed(conn: psycopg.Connection, tenants: Sequence[str], size: SeedSize) -> dict[str, int]:
    """Add what each tenant is missing; returns the rows added per tenant."""
    version = migrations.schema_version(conn)
    if version < SOURCE_SCHEMA:
        raise RuntimeError(f"schema version {version}: seeding needs schema {SOURCE_SCHEMA} or later (run migrate)")
    token_count = version >= TOKEN_COUNT_SCHEMA
    added: dict[str, int] = {}
    now = conn.execute("select clock_timestamp()").fetchone()[0]
    for tenant in tenants:
        have = conn.execute("select count(*) from memories where tenant = %s and source = %s",
                            (tenant, SOURCE)).fetchone()[0]
        added[tenant] = 0
        for start in range(have, size.per_tenant, BATCH):
            stop = min(start + BATCH, size.per_tenant)
            _insert(conn, tenant, range(start, stop), size, now, token_count)
            added[tenant] += stop - start
    return added


def _insert(conn: psycopg.Connection, tenant: str, indexes: range, size: SeedSize, now, token_count: bool) -> None:
    rows = []
    for index in indexes:
        # Oldest first, evenly over the spread: ids grow with created_at, as with real writes.
        created = now - SPREAD + SPREAD * (index / max(size.per_tenant, 1)) - timedelta(seconds=3600)
        rows.append((tenant, SCOPES[index % len(SCOPES)], memory_text(tenant, index, size.text_words), created))
    with conn.transaction():
        ids = [row[0] for row in conn.execute(
            "insert into memories (tenant, scope, text, created_at, source) "
            "select t, s, x, c, %s from unnest(%s::text[], %s::text[], %s::text[], %s::timestamptz[]) as u(t, s, x, c) "
            "returning id",
            (SOURCE, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]),
        ).fetchall()]
        columns = "memory_id, tenant, scope, tokens, indexed_at" + (", token_count" if token_count else "")
        with conn.cursor().copy(f"copy memory_index ({columns}) from stdin") as copy:
            for memory_id, (row_tenant, scope, text, created) in zip(ids, rows):
                tokens = tokenize(text)
                copy.write_row((memory_id, row_tenant, scope, tokens, created, len(tokens))
                               if token_count else (memory_id, row_tenant, scope, tokens, created))
        with conn.cursor().copy("copy outbox (memory_id, tenant, event_type, payload, status, attempts, "
                                "next_attempt_at, created_at, processed_at) from stdin") as copy:
            for memory_id, (row_tenant, scope, _, created) in zip(ids, rows):
                copy.write_row((memory_id, row_tenant, EVENT_MEMORY_WRITTEN,
                                Jsonb({"memory_id": memory_id, "tenant": row_tenant, "scope": scope}),
                                "done", 1, created, created, created))
