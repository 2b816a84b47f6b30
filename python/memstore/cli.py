"""Command line: `python -m memstore {api,worker,migrate,seed,gate}`.

Exit codes: 0 ok / gate pass, 1 failure / gate fail, 2 usage or configuration error,
78 startup contract failure (database schema outside the release's supported range).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence

import psycopg

from memstore import __version__, migrations, signals
from memstore.config import ConfigError, Settings, env_number, load_settings, mask_dsn, parse_listen
from memstore.db import connect, first_line
from memstore.worker import WorkerOptions

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

WORKER_ENV = {
    "poll_interval": ("MEMSTORE_WORKER_POLL_INTERVAL", 0.2, 0.01),
    "batch": ("MEMSTORE_WORKER_BATCH", 50, 1),
    "max_attempts": ("MEMSTORE_WORKER_MAX_ATTEMPTS", 3, 1),
    "retry_backoff": ("MEMSTORE_WORKER_RETRY_BACKOFF", 0.5, 0.0),
}

ENV_HELP = """environment:
  MEMSTORE_DATABASE_URL       libpq conninfo or URL (required by every command)
  MEMSTORE_API_KEYS           JSON object {"<api key>": "<tenant>"} (api)
  MEMSTORE_RELEASE_FILE       release manifest (default: release.json beside the memstore package;
                              without one the release is "dev" and supports every known schema)
  MEMSTORE_FAULT_ERROR_RATE   override the manifest's fault.error_rate (api)
  MEMSTORE_FAULT_LATENCY_MS   override the manifest's fault.latency_ms (api)
  MEMSTORE_WORKER_POLL_INTERVAL, MEMSTORE_WORKER_BATCH, MEMSTORE_WORKER_MAX_ATTEMPTS,
  MEMSTORE_WORKER_RETRY_BACKOFF  worker defaults (flags win)
  MEMSTORE_WORKER_FAULT_FILE  JSON file of worker faults for rehearsals, re-read while it runs
                              (event_delay_seconds, start_delay_seconds, stop_delay_seconds)

exit codes: 0 ok/pass, 1 failure/gate fail, 2 usage or configuration error,
  78 startup contract failure (schema outside the release's range)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m memstore",
        description="memstore: the rehearsal target service of hadrill (API, outbox worker, migrations, gates).",
        epilog=ENV_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"memstore {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    api = commands.add_parser("api", help="serve the HTTP API")
    api.add_argument("--listen", required=True, metavar="HOST:PORT", help="address to bind, e.g. 127.0.0.1:18081")

    worker = commands.add_parser("worker", help="run the outbox worker")
    worker.add_argument("--poll-interval", type=float, metavar="SECONDS", help="idle poll interval (default 0.2)")
    worker.add_argument("--batch", type=int, metavar="N", help="events claimed per transaction (default 50)")
    worker.add_argument("--max-attempts", type=int, metavar="N", help="attempts before dead-lettering (default 3)")
    worker.add_argument("--retry-backoff", type=float, metavar="SECONDS", help="first retry delay, doubling (default 0.5)")

    migrate = commands.add_parser("migrate", help="apply schema migrations")
    group = migrate.add_mutually_exclusive_group()
    group.add_argument("--to", type=int, metavar="N", help="target schema version (default: the release's schema_max)")
    group.add_argument("--status", action="store_true", help="print the current schema version and exit")

    seed = commands.add_parser("seed", help="add realistic data (tenants' memories, indexed and processed); idempotent")
    seed.add_argument("--tenants", required=True, metavar="T1,T2", help="comma-separated tenants to seed")
    seed.add_argument("--size", choices=["small", "large"], default="small",
                      help="small: 2000 memories per tenant; large: about 1 GB in all (default small)")

    gate = commands.add_parser("gate", help="run a validation gate (JSON verdict on stdout)")
    gates = gate.add_subparsers(dest="gate", metavar="GATE", required=True)
    health = gates.add_parser("health", help="API health, DB reachability, schema range, outbox backlog")
    health.add_argument("--base-url", metavar="URL", help="also check GET <URL>/health")
    health.add_argument("--max-pending", type=int, default=1000, metavar="N", help="warn above N pending events (default 1000)")
    health.add_argument(
        "--max-pending-age", type=float, default=120.0, metavar="SECONDS",
        help="warn when the oldest pending event is older (default 120)",
    )
    health.add_argument("--strict-warnings", action="store_true", help="fail on warnings too")
    consistency = gates.add_parser("consistency", help="derived index agrees with memories and outbox")
    consistency.add_argument("--cross-tenant", action="store_true", help="check that no index row crosses tenants")
    consistency.add_argument("--scope", metavar="SCOPE", help="only check this scope")
    consistency.add_argument("--strict-warnings", action="store_true", help="fail on warnings too")
    return parser


def _print_json(data: Mapping[str, object]) -> None:
    print(json.dumps(data, default=str), flush=True)


def _worker_options(args: argparse.Namespace, env: Mapping[str, str]) -> WorkerOptions:
    values: dict[str, float] = {}
    for field, (name, default, minimum) in WORKER_ENV.items():
        flag = getattr(args, field)
        if flag is not None:
            if flag < minimum:
                raise ConfigError(f"--{field.replace('_', '-')} must be >= {minimum}")
            values[field] = flag
        else:
            values[field] = env_number(env, name, float(default), float(minimum))
    return WorkerOptions(
        poll_interval=values["poll_interval"],
        batch=int(values["batch"]),
        max_attempts=int(values["max_attempts"]),
        retry_backoff=values["retry_backoff"],
        fault_file=env.get("MEMSTORE_WORKER_FAULT_FILE") or None,
    )


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    dsn = settings.require_database_url()
    release = settings.release
    shape = release.shape
    known = migrations.known_max(shape)
    target = release.schema_max if args.to is None else args.to
    if not 0 <= target <= known:
        raise ConfigError(f"target schema version {target} is not within [0, {known}]")
    try:
        with connect(dsn, application_name="memstore-migrate", connect_timeout=5) as conn:
            if args.status:
                version = migrations.schema_version(conn, shape)
                applied = migrations.applied_versions(conn, shape)
                _print_json({
                    "schema_version": version,
                    "known_max": known,
                    "pending": [v for v in range(1, target + 1) if v not in applied],
                    "release": release.version,
                    "schema_supported": release.supported,
                    "in_range": release.supports(version),
                })
                return EXIT_OK
            applied_now = migrations.migrate(conn, target, shape=shape)
            version = migrations.schema_version(conn, shape)
    except psycopg.Error as exc:
        print(f"memstore migrate: database error on {mask_dsn(dsn)}: {first_line(exc)}", file=sys.stderr)
        return EXIT_FAIL
    _print_json({"applied": applied_now, "schema_version": version, "target": target, "release": release.version})
    return EXIT_OK


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    from memstore import seed

    dsn = settings.require_database_url()
    tenants = [item.strip() for item in args.tenants.split(",") if item.strip()]
    if not tenants:
        raise ConfigError("--tenants names no tenant")
    try:
        with connect(dsn, application_name="memstore-seed", connect_timeout=5) as conn:
            added = seed.seed(conn, tenants, seed.SIZES[args.size], settings.release.shape)
    except (psycopg.Error, RuntimeError) as exc:
        print(f"memstore seed: {first_line(exc) if isinstance(exc, psycopg.Error) else exc}", file=sys.stderr)
        return EXIT_FAIL
    _print_json({"seeded": sum(added.values()), "per_tenant": added, "size": args.size})
    return EXIT_OK


def cmd_gate(args: argparse.Namespace, settings: Settings) -> int:
    from memstore import gates

    dsn = settings.require_database_url()
    if args.gate == "health":
        if args.max_pending < 0 or args.max_pending_age < 0:
            raise ConfigError("--max-pending and --max-pending-age must be >= 0")
        result = gates.health_gate(
            dsn, settings.release,
            base_url=args.base_url,
            max_pending=args.max_pending,
            max_pending_age=args.max_pending_age,
            strict_warnings=args.strict_warnings,
        )
    else:
        result = gates.consistency_gate(
            dsn, settings.release,
            cross_tenant=args.cross_tenant,
            scope=args.scope,
            strict_warnings=args.strict_warnings,
        )
    _print_json(result)
    return EXIT_OK if result["result"] == "pass" else EXIT_FAIL


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    settings = load_settings(env)
    if args.command == "api":
        from memstore.api import run_api

        host, port = parse_listen(args.listen)
        return run_api(settings, host, port)
    if args.command == "worker":
        from memstore.worker import run_worker

        options = _worker_options(args, env)
        return run_worker(settings.require_database_url(), settings.release, options)
    signals.restore_defaults()
    if args.command == "migrate":
        return cmd_migrate(args, settings)
    if args.command == "seed":
        return cmd_seed(args, settings)
    return cmd_gate(args, settings)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args, os.environ if env is None else env)
    except ConfigError as exc:
        print(f"memstore {args.command}: configuration error: {exc}", file=sys.stderr, flush=True)
        if args.command == "gate":
            # Gate consumers parse stdout; give them a verdict they can record.
            _print_json({"gate": args.gate, "result": "error", "error": str(exc)})
        return EXIT_USAGE
    except migrations.MigrationError as exc:
        print(f"memstore {args.command}: migration error: {exc}", file=sys.stderr, flush=True)
        return EXIT_FAIL
