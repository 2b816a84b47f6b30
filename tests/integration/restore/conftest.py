"""Helpers of the restore integration tests: the drill run, an independent observer of both
databases (the test's own ground truth), and the checks that nothing is left behind."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from hadrill.clock import parse_utc
from hadrill.events import read_lines
from tests.integration.conftest import REPO, VENV_BIN, ansible_env, run_playbook
from tests.support.background import BackgroundObserver
from tests.support.wait import wait_until

FACTS_PLAYBOOK = Path(__file__).resolve().parent / "restore_facts.yml"
DRILL_TIMEOUT = 600
# The observer stops by itself after this long even if its test never ends the `with` block.
OBSERVER_BUDGET_SECONDS = DRILL_TIMEOUT + 300
SUITE_STARTED = time.monotonic()


@pytest.fixture(scope="session")
def restore_facts(sandbox) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="restore-facts-") as tmp:
        out = Path(tmp) / "facts.json"
        run = run_playbook(FACTS_PLAYBOOK, "-e", f"facts_out={out}", timeout=120)
        assert run.returncode == 0, f"rendering the restore facts failed:\n{run.tail()}"
        return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="session", autouse=True)
def report_suite_duration():
    yield
    print(f"\n[restore] integration suite: {time.monotonic() - SUITE_STARTED:.1f}s")


@dataclass
class DrillRun:
    returncode: int
    output: str
    bundle: Path
    seconds: float

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads((self.bundle / "summary.json").read_text())

    @property
    def scenario(self) -> dict[str, Any]:
        return self.summary["scenarios"]["restore"]

    def figure(self, name: str) -> Any:
        return next(item for item in self.scenario["figures"] if item["name"] == name)

    def events(self) -> list[dict[str, Any]]:
        return list(read_lines(self.bundle / "events.jsonl"))

    def marker(self, name: str) -> dict[str, Any]:
        found = [item for item in self.events() if item.get("event") == "marker" and item.get("scenario") == "restore"
                 and item["name"] == name]
        assert found, f"no marker {name} in {self.bundle}"
        return found[0]

    def check(self, name: str) -> dict[str, Any]:
        found = [item for item in self.events() if item.get("event") == "check" and item["name"] == name]
        assert found, f"no check {name} in {self.bundle}"
        return found[0]


def run_drill(sandbox, evidence_root: Path, *extra_vars: str) -> DrillRun:
    env = {**ansible_env(), "HADRILL_EVIDENCE_ROOT": str(evidence_root)}
    # The drill-level validation commands are not part of this scenario: skipped to keep the suite short.
    args = [str(VENV_BIN / "hadrill"), "run", *sandbox.inventory_args, "--scenario", "restore",
            "--owner", "restore-it", "-e", '{"validation_gates_commands": []}']
    for item in extra_vars:
        args += ["-e", item]
    started = time.monotonic()
    proc = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=DRILL_TIMEOUT)
    bundles = sorted(path for path in evidence_root.glob("ha_drill_*") if path.is_dir())
    assert len(bundles) == 1, f"expected one bundle in {evidence_root}: {bundles}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    return DrillRun(proc.returncode, proc.stdout + proc.stderr, bundles[0], time.monotonic() - started)


@dataclass
class Row:
    seq: int
    written_at: datetime


@dataclass
class Observer(BackgroundObserver):
    """Watches the primary's canary table and the verification instance from the test process.

    Independent of the drill's own records: every committed canary row on the primary (read
    until the drill drops the table), and what the verification instance holds once promoted
    (read while the drill runs, before its teardown).
    """

    primary_dsn: str
    verification_dsn: str
    table: str
    interval: float = 0.02
    rows: dict[int, Row] = field(default_factory=dict)
    restored_newest: Row | None = None
    restored_rows: int | None = None
    restored_in_recovery: bool | None = None

    def observe(self, stop: threading.Event) -> None:
        primary = None
        deadline = time.monotonic() + OBSERVER_BUDGET_SECONDS
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                if primary is None or primary.closed:
                    primary = psycopg.connect(self.primary_dsn, autocommit=True, connect_timeout=2)
                last = max(self.rows) if self.rows else -1
                for seq, written_at in primary.execute(
                        f"select seq, written_at from {self.table} where seq > %s order by seq", (last,)).fetchall():
                    self.rows[seq] = Row(seq, written_at)
            except psycopg.Error:
                if primary is not None:
                    primary.close()
                primary = None
            if self.restored_newest is None:
                self._read_verification()
            stop.wait(self.interval)
        if primary is not None:
            primary.close()

    def _read_verification(self) -> None:
        try:
            with psycopg.connect(self.verification_dsn, autocommit=True, connect_timeout=1) as conn:
                if conn.execute("select pg_is_in_recovery()").fetchone()[0]:
                    return
                self.restored_in_recovery = False
                count, seq, written_at = conn.execute(
                    f"select count(*), max(seq), (select written_at from {self.table} order by seq desc limit 1) "
                    f"from {self.table}").fetchone()
                self.restored_rows = count
                if seq is not None:
                    self.restored_newest = Row(seq, written_at)
        except psycopg.Error:
            return

    def newest_written_before(self, moment: datetime) -> Row | None:
        before = [row for row in self.rows.values() if row.written_at < moment]
        return max(before, key=lambda row: row.seq) if before else None


def dsn(sandbox, port: int | None = None) -> str:
    db = sandbox.facts["db"]
    return (f"host={db['host']} port={port or db['port']} dbname={db['dbname']} user={db['user']} "
            f"password={db['password']}")


def leftovers(sandbox, facts: dict[str, Any], run: DrillRun) -> list[str]:
    """Everything the drill could have left behind; an empty list when it cleaned up."""
    import socket

    found = []
    for port in (facts["verification_port"], facts["api_port"]):
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex(("127.0.0.1", int(port))) == 0:
                found.append(f"port {port} still answers")
    work_dir = Path(facts["work_root"]) / run.bundle.name
    if work_dir.exists():
        found.append(f"{work_dir} still exists")
    # Only this drill's: its instance is named by its drill id, its processes carry it in their
    # environment, its API port is this sandbox's. Another environment's drill is not ours to judge.
    instance_name = f"hadrill_verify_{run.bundle.name}"
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if (instance_name in cmdline or str(work_dir) in cmdline or f":{facts['api_port']}" in cmdline
                    or f"HADRILL_DRILL_ID={run.bundle.name}".encode() in environ.split(b"\0")):
                found.append(f"process {entry.name} still runs: {cmdline[:120]}")
    with psycopg.connect(dsn(sandbox), autocommit=True) as conn:
        if conn.execute("select to_regclass(%s)", (facts["canary_table"],)).fetchone()[0] is not None:
            found.append(f"canary table {facts['canary_table']} still exists on the primary")
    journal = {}
    for line in read_lines(run.bundle / "journal.jsonl"):
        journal[line["id"]] = line["op"]
    found += [f"journal entry {key} still open" for key, op in journal.items() if op != "close"]
    # Only this drill's (named by its drill id): other drills on the machine are not ours.
    ours = list(Path(tempfile.gettempdir()).glob(f"hadrill-restore-{run.bundle.name}-*"))
    if ours:
        found.append(f"process log directories left in {tempfile.gettempdir()}: {[path.name for path in ours]}")
    return found


def secrets_in_bundle(sandbox, facts: dict[str, Any], bundle: Path) -> list[str]:
    secrets = [sandbox.facts["db"]["password"], facts["db_owner_password"], *facts["app_api_keys"].values()]
    hits = []
    for path in bundle.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode(errors="replace")
            hits += [f"{path.relative_to(bundle)} holds a secret" for secret in secrets if secret in text]
    return hits


def as_utc(text: str) -> datetime:
    return parse_utc(text)


@pytest.fixture(scope="module")
def tenant_data(sandbox, restore_facts) -> dict[str, int]:
    """Memories of every sample tenant on the primary, written through the API before the drills."""
    written = {}
    for tenant in ("default", "acme", "globex"):
        key = restore_facts["app_api_keys"][tenant]
        for index in range(3):
            result = sandbox.http("POST", f"{sandbox.lb_url}/v1/memory/write",
                                  {"tenant": tenant, "scope": "restore-it", "text": f"restore it {tenant} {index} {os.getpid()}"},
                                  headers={"Authorization": f"Bearer {key}"})
            assert result.status in (200, 201), result
        written[tenant] = 3
    # The sandbox's worker indexes them: wait until it is done, so the primary is quiet during the drills.
    with psycopg.connect(dsn(sandbox), autocommit=True) as conn:
        wait_until(lambda: conn.execute("select count(*) from outbox where status = 'pending'").fetchone()[0] == 0,
                   timeout=60, interval=0.2, what="the sandbox worker to index the test's memories")
    return written


@pytest.fixture(scope="module")
def fresh_backups(sandbox, restore_facts):
    """A new pgBackRest (incremental) backup and a new base backup, so that each drill replays
    seconds of WAL, not everything the sandbox archived since it was built. The base backup is
    the test's own and is removed afterwards; the incremental backup stays in the repository."""
    db = sandbox.facts["db"]
    subprocess.run(["runuser", "-u", "postgres", "--", "pgbackrest", f"--config={sandbox.facts['pgbackrest_config']}",
                    f"--stanza={sandbox.facts['pgbackrest_stanza']}", "--type=incr", "backup"],
                   check=True, capture_output=True, timeout=600, cwd="/")
    made = subprocess.run(
        ["runuser", "-u", "postgres", "--", "env", f"PGUSER={db['user']}", f"PGPASSWORD={db['password']}",
         "/usr/bin/python3", str(sandbox.root / "bin" / "sandbox-basebackup"), f"--bindir={restore_facts['pg_bindir']}",
         f"--host={db['host']}", f"--port={db['port']}", f"--root={restore_facts['basebackup_dir']}"],
        check=True, capture_output=True, text=True, timeout=600, cwd="/")
    backup = Path(json.loads(made.stdout.strip().splitlines()[-1])["path"])
    yield backup
    subprocess.run(["rm", "-rf", str(backup), f"{backup}.json"], check=True)

