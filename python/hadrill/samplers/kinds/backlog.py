"""The backlog of a queue and its failed (dead-lettered) count, read at a fixed interval.

Optionally a third reading, ``processed``: a number that rises whenever the worker processes
work (a count of processed events, a counter, the time of the newest processed event), from
which the drill tells when the worker really stopped and resumed processing.

Sources, as the inventory configures them:

- ``sql``: queries on the database from the controller (``dsn``, filled by the sampler action
  from the db_primary host), each returning one number in the first column of its first row;
  the session is read-only, so a query can never write.
- ``prometheus``: one scrape of a metrics URL per sample, gauge or counter selectors
  (``name`` or ``name{label="value"}``, matching series summed).
- ``command``: commands run on the controller; the last line of each one's output is the
  number.

One record per sample: ``backlog`` and ``failed`` (and ``processed`` when configured; None when
unreadable), ``ok``, ``error``, ``latency_ms`` and ``started_mono`` (controller monotonic time
the reading started; ``mono`` is when it completed).
"""

from __future__ import annotations

import decimal
import subprocess
import threading
import time
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, PositiveFloat, model_validator

from hadrill.httpspec import HttpRequestSpec, send
from hadrill.prometheus import Selector, parse_selector, value_of
from hadrill.samplers.base import register
from hadrill.samplers.spec import SamplerSpec


class BacklogConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: Literal["sql", "prometheus", "command"]
    timeout_seconds: PositiveFloat = 5.0
    # libpq conninfo; the sampler action fills it from the db_primary host (``database:``).
    dsn: str | None = None
    backlog_query: str | None = None
    failed_query: str | None = None
    processed_query: str | None = None
    metrics_url: str | None = None
    headers: dict[str, str] = {}
    backlog_metric: str | None = None
    failed_metric: str | None = None
    processed_metric: str | None = None
    backlog_command: str | None = None
    failed_command: str | None = None
    processed_command: str | None = None

    @model_validator(mode="after")
    def _source_settings(self) -> "BacklogConfig":
        needed = {
            "sql": ("dsn", "backlog_query", "failed_query"),
            "prometheus": ("metrics_url", "backlog_metric", "failed_metric"),
            "command": ("backlog_command", "failed_command"),
        }[self.source]
        missing = [name for name in needed if not getattr(self, name)]
        if missing:
            raise ValueError(f"source {self.source!r} needs {', '.join(missing)}")
        return self

    @property
    def readings(self) -> tuple[str, ...]:
        """The readings of each sample: backlog and failed, and processed when configured."""
        processed = {"sql": self.processed_query, "prometheus": self.processed_metric,
                     "command": self.processed_command}[self.source]
        return ("backlog", "failed", "processed") if processed else ("backlog", "failed")


class ReadError(RuntimeError):
    pass


def as_number(value: Any, what: str) -> float:
    """A reading as a float; anything that is not a number is an error naming the reading."""
    if isinstance(value, bool):
        raise ReadError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, (int, float, decimal.Decimal)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ReadError(f"{what}: expected a number, got {str(value)[:80]!r}")


class SqlSource:
    def __init__(self, config: BacklogConfig, values: dict[str, str]):
        from hadrill import sqltemplate

        self._conninfo = config.dsn or ""
        self._timeout_ms = int(config.timeout_seconds * 1000)
        # The drill's placeholders (${drill_id}, ${scenario}, ${run}) as literals, as in every query.
        self._queries = {name: sqltemplate.fill(query or "", values) for name, query in
                         (("backlog", config.backlog_query), ("failed", config.failed_query),
                          ("processed", config.processed_query))}
        # One connection per sampler thread, reopened after any error.
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def _connection(self) -> Any:
        from hadrill.db import connect

        connection = getattr(self._local, "connection", None)
        if connection is None or connection.closed or connection.broken:
            connection = connect(self._conninfo)
            connection.execute(f"SET statement_timeout = {self._timeout_ms}")
            connection.execute("SET default_transaction_read_only = on")
            self._local.connection = connection
            with self._lock:
                self._all.append(connection)
        return connection

    def read(self, name: str) -> float:
        import psycopg

        try:
            row = self._connection().execute(self._queries[name]).fetchone()
        except psycopg.Error as exc:
            self._drop()
            raise ReadError(f"{name} query failed: {type(exc).__name__}: {str(exc).strip().splitlines()[0]}") from None
        if not row:
            raise ReadError(f"{name} query returned no row")
        return as_number(next(iter(row.values())), f"{name} query")

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - already broken; nothing to keep
                pass

    def close(self) -> None:
        with self._lock:
            for connection in self._all:
                try:
                    connection.close()
                except Exception:  # noqa: BLE001
                    pass


class PrometheusSource:
    def __init__(self, config: BacklogConfig):
        parts = urlsplit(config.metrics_url or "")
        self._base = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        path = parts.path or "/"
        self._request = HttpRequestSpec(
            name="metrics", method="GET", path=path + (f"?{parts.query}" if parts.query else ""),
            timeout_seconds=config.timeout_seconds,
        )
        self._headers = dict(config.headers)
        self._selectors: dict[str, Selector] = {
            "backlog": parse_selector(config.backlog_metric or ""),
            "failed": parse_selector(config.failed_metric or ""),
        }
        if config.processed_metric:
            self._selectors["processed"] = parse_selector(config.processed_metric)
        self._scrape: dict[int, str] = {}

    def scrape(self) -> str:
        result = send(self._base, self._request, default_headers=self._headers)
        if not result.ok:
            raise ReadError(f"metrics scrape failed: {result.error}")
        return result.body if isinstance(result.body, str) else str(result.body)

    def read_from(self, text: str, name: str) -> float:
        value = value_of(text, self._selectors[name])
        if value is None:
            raise ReadError(f"{name} metric {self._selectors[name]} is not in the metrics")
        return value

    def close(self) -> None:
        return None


class CommandSource:
    def __init__(self, config: BacklogConfig):
        self._commands = {"backlog": config.backlog_command or "", "failed": config.failed_command or "",
                          "processed": config.processed_command or ""}
        self._timeout = config.timeout_seconds

    def read(self, name: str) -> float:
        try:
            done = subprocess.run(
                self._commands[name], shell=True, capture_output=True, text=True, timeout=self._timeout,  # noqa: S602
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise ReadError(f"{name} command timed out after {self._timeout:g}s") from None
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
            raise ReadError(f"{name} command exited {done.returncode}: {tail[0][:200]}")
        lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
        if not lines:
            raise ReadError(f"{name} command printed nothing")
        return as_number(lines[-1], f"{name} command output")

    def close(self) -> None:
        return None


class BacklogSampler:
    def __init__(self, spec: SamplerSpec):
        self.config = BacklogConfig.model_validate(spec.config)
        source = self.config.source
        if source == "sql":
            from hadrill.httpspec import drill_values

            self._source: Any = SqlSource(self.config, drill_values(spec.evidence_dir, spec.scenario))
        elif source == "prometheus":
            self._source = PrometheusSource(self.config)
        else:
            self._source = CommandSource(self.config)

    def _readings(self) -> dict[str, float | str]:
        """Every number, or the error text in place of one that could not be read."""
        readings: dict[str, float | str] = {}
        names = self.config.readings
        if isinstance(self._source, PrometheusSource):
            try:
                text = self._source.scrape()
            except ReadError as exc:
                return {name: str(exc) for name in names}
            readers = {name: (lambda name=name: self._source.read_from(text, name)) for name in names}
        else:
            readers = {name: (lambda name=name: self._source.read(name)) for name in names}
        for name, reader in readers.items():
            try:
                readings[name] = reader()
            except ReadError as exc:
                readings[name] = str(exc)
        return readings

    def sample(self, seq: int) -> dict[str, Any]:
        started = time.monotonic()
        readings = self._readings()
        record: dict[str, Any] = {
            "seq": seq,
            "source": self.config.source,
            "latency_ms": round((time.monotonic() - started) * 1000.0, 3),
            "started_mono": started,
        }
        errors = []
        for name in self.config.readings:
            value = readings[name]
            if isinstance(value, float):
                record[name] = value
            else:
                record[name] = None
                if value not in errors:
                    errors.append(value)
        record["ok"] = not errors
        if errors:
            record["error"] = "; ".join(errors)
        return record

    def close(self) -> None:
        self._source.close()


register("backlog")(BacklogSampler)
