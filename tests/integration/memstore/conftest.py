"""Fixtures: one throw-away PostgreSQL cluster per session, a fresh database per test, release
directories like a deployment's, and memstore processes that are always reaped."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.memstore import MemstoreProcess, install_release, memstore_env, run_memstore, wait_http
from tests.support.postgres import TempPostgres, find_free_port



def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # pytestmark in a conftest marks nothing; tag this directory's tests for `-m integration`.
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)

API_KEYS = {"key-acme": "acme", "key-globex": "globex"}
FAST_WORKER = ["--poll-interval", "0.05", "--retry-backoff", "0.05"]


@pytest.fixture(scope="session")
def pg() -> Iterator[TempPostgres]:
    with TempPostgres(port=find_free_port(56000, 56499), dbname="memstore", user="memstore") as cluster:
        yield cluster


@pytest.fixture
def db(pg: TempPostgres) -> str:
    """DSN of a fresh, empty database (schema version 0)."""
    return pg.create_database(f"ms_{uuid.uuid4().hex[:10]}")


@pytest.fixture(scope="session")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """release(version, schema_min, schema_max, fault=None) -> release dir (installed once)."""
    root = tmp_path_factory.mktemp("releases")
    installed: dict[str, Path] = {}

    def release(version: str, schema_min: int | None = None, schema_max: int | None = None,
                fault: dict[str, Any] | None = None) -> Path:
        if version not in installed:
            manifest: dict[str, Any] | None = None
            if version != "dev":
                manifest = {"version": version, "schema_min": schema_min, "schema_max": schema_max}
                if fault is not None:
                    manifest["fault"] = fault
            installed[version] = install_release(root, version, manifest)
        return installed[version]

    return release


@pytest.fixture
def migrate(releases: Callable[..., Path]) -> Callable[..., dict[str, Any]]:
    """migrate(dsn, to=N) using the dev release; returns the parsed JSON line."""
    import json

    def run(dsn: str, to: int | None = None) -> dict[str, Any]:
        args = ["migrate"] + ([] if to is None else ["--to", str(to)])
        result = run_memstore(releases("dev"), args, memstore_env(releases("dev"), dsn))
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    return run


@pytest.fixture(scope="session")
def schema3_template(pg: TempPostgres, releases: Callable[..., Path]) -> str:
    """A database migrated to schema 3 once per session, copied for each test that needs one."""
    import json

    name = "tpl_schema3"
    dsn = pg.create_database(name)
    result = run_memstore(releases("dev"), ["migrate", "--to", "3"], memstore_env(releases("dev"), dsn))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["applied"] == [1, 2, 3]
    return name


@pytest.fixture
def db3(pg: TempPostgres, schema3_template: str) -> str:
    """A fresh database at schema version 3 (what the current releases target)."""
    return pg.create_database(f"ms_{uuid.uuid4().hex[:10]}", template=schema3_template)


class Processes:
    """Starts memstore processes for one test and reaps every one of them afterwards."""

    def __init__(self, releases: Callable[..., Path], logs: Path) -> None:
        self._releases = releases
        self._logs = logs
        self._started: list[MemstoreProcess] = []

    def env(self, release_dir: Path, dsn: str, **extra: str) -> dict[str, str]:
        return memstore_env(release_dir, dsn, API_KEYS, extra)

    def start(self, release_dir: Path, args: list[str], dsn: str, name: str, **extra: str) -> MemstoreProcess:
        proc = MemstoreProcess(release_dir, args, self.env(release_dir, dsn, **extra), self._logs / f"{name}.log")
        self._started.append(proc.start())
        return proc

    def api(self, release_dir: Path, dsn: str, name: str = "api", wait: bool = True, **extra: str) -> tuple[MemstoreProcess, str]:
        port = find_free_port(56500, 56999)
        proc = self.start(release_dir, ["api", "--listen", f"127.0.0.1:{port}"], dsn, name, **extra)
        base_url = f"http://127.0.0.1:{port}"
        if wait:
            wait_http(base_url, proc)
        return proc, base_url

    def worker(self, release_dir: Path, dsn: str, name: str = "worker", args: list[str] | None = None, **extra: str) -> MemstoreProcess:
        return self.start(release_dir, ["worker", *FAST_WORKER, *(args or [])], dsn, name, **extra)

    def reap(self) -> None:
        for proc in self._started:
            proc.kill()


@pytest.fixture
def procs(releases: Callable[..., Path], tmp_path: Path) -> Iterator[Processes]:
    processes = Processes(releases, tmp_path / "logs")
    try:
        yield processes
    finally:
        processes.reap()
