"""Shared test helpers (throw-away PostgreSQL clusters, memstore processes, HTTP)."""
