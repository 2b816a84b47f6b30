"""Realistic data for rehearsals: several tenants, thousands of memories (about 1 GB with
``--size large``), as if written through the API and processed by the worker.

Each memory comes with its processed outbox event (``done``) and its index row, built with the
worker's own tokenizer, so the consistency gate and recall agree with the seeded rows and the
backlog stays empty. Rows are marked ``source = 'seed'`` (alt shape: ``origin``, scopes
``<tenant>/<scope>``, published events) and spread over the past 30 days.
Idempotent: only the rows a tenant is missing are added (deterministic text per row).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from memstore import migrations
from memstore.shapes import CLASSIC, Shape
from memstore.store import SeedRow

SOURCE = "seed"
SCOPES = ("notes", "meetings", "tickets", "docs", "chat")
SPREAD = timedelta(days=30)
BATCH = 2000
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
    # About 1 GB of memories, index and outbox for three tenants (measured: 2.9 KB a row, 0.2 ms a row).
    "large": SeedSize(per_tenant=120_000, text_words=150),
}


def memory_text(tenant: str, index: int, words: int) -> str:
    rng = random.Random(f"{tenant}:{index}")
    return f"{tenant} seed {index}: " + " ".join(rng.choice(WORDS) for _ in range(words))


def seed(conn: psycopg.Connection, tenants: Sequence[str], size: SeedSize, shape: Shape = CLASSIC) -> dict[str, int]:
    """Add what each tenant is missing; returns the rows added per tenant."""
    version = migrations.schema_version(conn, shape)
    if version < shape.seed_schema:
        raise RuntimeError(f"schema version {version}: seeding needs schema {shape.seed_schema} or later (run migrate)")
    store = shape.store()
    token_count = shape.token_count_schema is not None and version >= shape.token_count_schema
    added: dict[str, int] = {}
    row = conn.execute("select clock_timestamp()").fetchone()
    assert row is not None
    now = row[0]
    for tenant in tenants:
        have = store.seeded_count(conn, tenant, SOURCE)
        added[tenant] = 0
        for start in range(have, size.per_tenant, BATCH):
            stop = min(start + BATCH, size.per_tenant)
            store.insert_seed(conn, _rows(tenant, range(start, stop), size, now), SOURCE, token_count)
            added[tenant] += stop - start
    return added


def _rows(tenant: str, indexes: range, size: SeedSize, now: datetime) -> list[SeedRow]:
    # Oldest first, evenly over the spread: ids grow with created_at, as with real writes.
    return [
        SeedRow(tenant, index, SCOPES[index % len(SCOPES)], memory_text(tenant, index, size.text_words),
                now - SPREAD + SPREAD * (index / max(size.per_tenant, 1)) - timedelta(seconds=3600))
        for index in indexes
    ]
