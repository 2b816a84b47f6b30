"""The two shapes memstore can take, chosen by the release manifest's ``shape``.

hadrill must work for any service of this kind from inventory variables alone, so the rehearsal
target comes in two shapes that differ in every convention a drill could wrongly assume:

| convention | ``classic`` (the default) | ``alt`` |
| --- | --- | --- |
| health | ``GET /health`` ``{"status": "ok", "release": ...}`` | ``GET /healthz`` ``{"ok": true, ...}``, no release |
| metrics | ``GET /metrics``, ``memstore_outbox_pending`` / ``_failed`` | ``GET /internal/metrics``, ``memstore_events_unpublished`` / ``_failed``, no release |
| API key | ``Authorization: Bearer`` or ``X-API-Key`` | ``X-Api-Key`` only; an ``Authorization`` header is refused |
| write | ``POST /v1/memory/write`` ``{tenant, scope, text}`` -> 200 ``{"id": 42}`` | ``POST /api/v2/memories`` ``{scope, content}`` -> 201 ``{"data": {"memory": {"key": "mem_..."}}}`` |
| recall | ``POST /v1/memory/recall_text`` -> ``{"results": [{id, text, score}]}`` | ``POST /api/v2/memories/search`` ``{scope, q, top_k}`` -> ``{"query": ..., "data": {"hits": [{"memory": {key, content}, "score"}]}}`` (always echoes the query) |
| cleanup | ``POST /v1/memory/forget`` | ``POST /api/v2/scopes/purge`` |
| errors | ``{"error": ...}`` | ``{"errors": [{"status": ..., "detail": ...}]}`` |
| tenancy | a ``tenant`` column and body field | the scope's prefix, ``<tenant>/...``; no tenant column |
| ids | ``bigserial`` | text keys ``mem_<16 hex>`` |
| outbox | ``outbox.status`` pending/done/failed | ``events.published_at`` / ``failed_at`` timestamps |
| schema history | ``schema_migrations.version`` (integer) | ``schema_revisions.revision`` (text ``'0002'``) |
| startup contract failure | ``STARTUP CONTRACT FAILURE: ...`` | ``fatal: schema revision N is not supported ...`` |
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

MIGRATIONS_ROOT = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class Shape:
    name: str
    migrations_dir: Path
    history_table: str  # where applied migrations are recorded
    history_column: str
    history_as_text: bool  # the column holds '0002' (text), not 2 (integer)
    health_path: str
    metrics_path: str
    pending_metric: str
    failed_metric: str
    index_schema: int  # the derived index exists from this schema version on
    token_count_schema: int | None  # the index's token_count column exists from this version on
    seed_schema: int  # seeding needs this schema version

    def store(self) -> ModuleType:
        """The module holding this shape's SQL (same function names in both)."""
        if self.name == ALT.name:
            from memstore import store_alt

            return store_alt
        from memstore import store

        return store

    def history_value(self, version: int) -> int | str:
        return f"{version:04d}" if self.history_as_text else version

    def health_ok(self, body: Any) -> bool:
        """A healthy /health answer of this shape."""
        if not isinstance(body, dict):
            return False
        return body.get("ok") is True if self.name == ALT.name else body.get("status") == "ok"


CLASSIC = Shape(
    name="classic",
    migrations_dir=MIGRATIONS_ROOT,
    history_table="schema_migrations",
    history_column="version",
    history_as_text=False,
    health_path="/health",
    metrics_path="/metrics",
    pending_metric="memstore_outbox_pending",
    failed_metric="memstore_outbox_failed",
    index_schema=2,
    token_count_schema=4,
    seed_schema=3,
)

ALT = Shape(
    name="alt",
    migrations_dir=MIGRATIONS_ROOT / "alt",
    history_table="schema_revisions",
    history_column="revision",
    history_as_text=True,
    health_path="/healthz",
    metrics_path="/internal/metrics",
    pending_metric="memstore_events_unpublished",
    failed_metric="memstore_events_failed",
    index_schema=2,
    token_count_schema=None,
    seed_schema=2,
)

SHAPES = {shape.name: shape for shape in (CLASSIC, ALT)}


def by_name(name: str) -> Shape:
    try:
        return SHAPES[name]
    except KeyError:
        raise ValueError(f"unknown shape {name!r}; known: {sorted(SHAPES)}") from None
