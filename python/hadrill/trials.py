"""Preconditions that try, harmlessly, what the selected scenarios will do on the primary.

A precondition that only reads configuration passes a drill user who lacks a privilege, and the
drill then fails seconds into the scenario (a user granted ``pg_switch_wal()`` in another database
passed, and the restore failed 20 s later). So before the first fault every statement the drill
will run on the primary is planned with ``EXPLAIN`` inside a read-only transaction (the server
checks the statement and every privilege it needs; nothing is executed, even for a ``DELETE``),
and the privileges that no statement shows are asked of the server in the drill's own database
(``has_function_privilege``, ``has_schema_privilege``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, cast

from hadrill import sqltemplate


@dataclass(frozen=True)
class Trial:
    """One thing tried: ``explain`` plans ``sql`` with ``params``; ``privilege`` runs ``sql``,
    which answers one boolean."""

    name: str
    label: str
    kind: str
    sql: str
    params: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class TrialResult:
    name: str
    label: str
    passed: bool
    detail: str = ""


@dataclass
class ScenarioQueries:
    """What a selected scenario will run on the primary (None: it runs nothing there)."""

    explain: list[tuple[str, str, str, Mapping[str, Any] | None]] = field(default_factory=list)
    functions: list[tuple[str, str, str]] = field(default_factory=list)
    create_in: list[tuple[str, str, str]] = field(default_factory=list)


def _schema_of(table: str) -> str | None:
    return table.rsplit(".", 1)[0] if "." in table else None


def restore_queries(settings: Any, values: Mapping[str, str]) -> ScenarioQueries:
    """The restore scenario on the primary: the canary table it creates, the WAL switch it forces
    before a time target, the snapshot's schema-version and tenant-sample queries."""
    found = ScenarioQueries()
    found.create_in.append(("restore:canary", "Create the canary table " + settings.db_restore_canary_table,
                            settings.db_restore_canary_table))
    if settings.db_restore_target == "time" and settings.db_restore_force_wal_switch:
        found.functions.append(("restore:pg_switch_wal", "Force a WAL switch before the time target",
                                "pg_switch_wal()"))
    found.explain.append(("restore:schema_version", "Schema version query",
                          sqltemplate.fill(settings.db_restore_schema_version_query, values), None))
    tenant = (settings.db_restore_sample_tenants or [""])[0]
    for item in settings.db_restore_sample_queries:
        found.explain.append((f"restore:sample:{item.name}", f"Tenant sample query {item.name}",
                              sqltemplate.fill(item.query, values),
                              {"tenant": tenant, "cutoff": datetime.now(timezone.utc)}))
    return found


def replay_queries(settings: Any, values: Mapping[str, str]) -> ScenarioQueries:
    """The replay scenario on the primary: its SQL backlog readings and its SQL proof."""
    found = ScenarioQueries()
    if settings.worker_replay_backlog_source == "sql":
        for reading in ("backlog", "failed", "processed"):
            query = getattr(settings, f"worker_replay_{reading}_query")
            if query:
                found.explain.append((f"replay:{reading}", f"Backlog reading {reading}", sqltemplate.fill(query, values), None))
    if settings.worker_replay_proof_method == "sql" and settings.worker_replay_proof_query:
        found.explain.append(("replay:proof", "Replay proof query",
                              sqltemplate.fill(settings.worker_replay_proof_query, values), {"ids": []}))
    return found


def cleanup_queries(scenario: str, cleanup: Any, values: Mapping[str, str]) -> ScenarioQueries:
    """A scenario's SQL cleanup statement (it deletes: EXPLAIN proves the privilege, runs nothing)."""
    found = ScenarioQueries()
    if cleanup is not None and getattr(cleanup, "query", None):
        found.explain.append((f"{scenario}:cleanup", f"Cleanup statement of {scenario}",
                              sqltemplate.fill(cleanup.query, values), None))
    return found


def journal_queries(table: str) -> ScenarioQueries:
    """The drill journal on the target side (hadrill.target_journal), which every drill writes:
    drill_start has created it if need be and inserted the drill's row; what is left to try is
    opening an entry, closing one, and reading the open ones (``table`` is a validated identifier)."""
    found = ScenarioQueries()
    found.explain.append(("journal:open", f"Open an entry of the drill journal {table}",
                          f"INSERT INTO {table} (environment, drill_id, kind, entry_id, action, opened_at) "
                          "VALUES ('-', '-', 'entry', '-', '-', now())", None))
    found.explain.append(("journal:close", f"Close an entry of the drill journal {table}",
                          f"UPDATE {table} SET closed_at = now(), closed_by = 'drill' "
                          "WHERE drill_id = '-' AND kind = 'entry' AND entry_id = '-' AND closed_at IS NULL", None))
    found.explain.append(("journal:read", f"Read the open entries of the drill journal {table}",
                          f"SELECT drill_id, entry_id, undo FROM {table} WHERE environment = '-' AND closed_at IS NULL", None))
    return found


def trials(selected: Sequence[ScenarioQueries]) -> list[Trial]:
    """Every trial of the selected scenarios, in order."""
    found: list[Trial] = []
    for queries in selected:
        for name, label, sql, params in queries.explain:
            found.append(Trial(name=name, label=label, kind="explain", sql=f"EXPLAIN {sql}", params=params))
        for name, label, function in queries.functions:
            found.append(Trial(name=name, label=label, kind="privilege",
                               sql="SELECT has_function_privilege(current_user, %(function)s, 'EXECUTE')",
                               params={"function": function}))
        for name, label, table in queries.create_in:
            schema = _schema_of(table)
            found.append(Trial(name=name, label=label, kind="privilege",
                               sql="SELECT has_schema_privilege(current_user, coalesce(%(schema)s, current_schema()), 'CREATE')",
                               params={"schema": schema}))
    return found


def run_trials(conninfo: str, selected: Sequence[Trial]) -> list[TrialResult]:
    """Each trial in its own read-only transaction on one connection, as the drill user."""
    import psycopg

    from hadrill.db import connect

    results: list[TrialResult] = []
    if not selected:
        return results
    with connect(conninfo, autocommit=False) as connection:
        for trial in selected:
            try:
                connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                rows = connection.execute(trial.sql, trial.params).fetchall()  # type: ignore[arg-type]
                if trial.kind == "privilege":
                    # connect() returns rows as dictionaries (dict_row)
                    granted = bool(rows and next(iter(cast(Mapping[str, Any], rows[0]).values())))
                    results.append(TrialResult(trial.name, trial.label, granted,
                                               "" if granted else "the drill user lacks this privilege in the drill's database"))
                else:
                    results.append(TrialResult(trial.name, trial.label, True))
            except psycopg.Error as exc:
                message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                results.append(TrialResult(trial.name, trial.label, False, f"{type(exc).__name__}: {message}"))
            finally:
                connection.rollback()
    return results
