"""Benchmark: the restore drill's restore phase against the same pgBackRest restore run by hand.

On a ~1 GB database (pgbench scale 64 in a throw-away cluster archiving into its own pgBackRest
repository), each round runs

- the restore drill (`hadrill run --scenario restore`, time target, pgbackrest method) pointed at
  that cluster; its restore phase is `promoted` - `restore_started` from events.jsonl
  (restore, instance start, WAL replay, promotion), and
- the same restore by hand: `pgbackrest restore --type=time --target=... --target-action=promote
  --archive-mode=off`, the same settings appended, `pg_ctl start`, polling `pg_is_in_recovery()`;

alternately, and prints both times and the ratio of the medians (target: at most 1.15).
A benchmark, not a test of speed: it asserts only that both restores reached promotion.
The sandbox must be up (its API replicas and load balancer are the drill's preconditions).
Everything it creates (cluster, repository, restored copies) is removed at the end.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import timezone
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from hadrill.events import read_lines
from tests.integration.conftest import REPO, VENV_BIN, Sandbox, ansible_env, bring_up, load_inventory_facts
from tests.support.memstore import memstore_env, run_memstore
from tests.support.postgres import TempPostgres, find_free_port

SCALE = 64  # pgbench scale factor: ~1 GB
ROUNDS = int(os.environ.get("HADRILL_BENCH_RESTORE_ROUNDS", "3"))  # alternating drill/direct pairs
STANZA = "bench"
TARGET_RATIO = 1.15
INSTANCE_SETTINGS = {"shared_buffers": "'32MB'"}  # what the sandbox inventory gives the drill's instance


def as_postgres(*argv: str, timeout: float = 1800, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", "postgres", "--", *argv], capture_output=True, text=True,
                          timeout=timeout, check=check, cwd="/")


def postgres_owned_dir(parent: Path | str, prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    account = pwd.getpwnam("postgres")
    os.chown(path, account.pw_uid, account.pw_gid)
    os.chmod(path, 0o700)
    return path


class BenchCluster:
    """A throw-away primary with its own pgBackRest stanza, shaped like the sandbox's database."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        db = sandbox.facts["db"]
        app = urlsplit(sandbox.facts["app_environment"]["MEMSTORE_DATABASE_URL"])
        self.admin_user, self.admin_password = db["user"], db["password"]
        self.owner, self.owner_password, self.dbname = app.username, app.password, app.path.lstrip("/")
        self.work = postgres_owned_dir("/var/tmp", "hadrill-bench-restore-")
        self.repo = self.work / "repo"
        self.config = self.work / "pgbackrest.conf"
        self.pg: TempPostgres | None = None

    def pgbackrest(self, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
        return as_postgres("pgbackrest", f"--config={self.config}", f"--stanza={STANZA}", *args, timeout=timeout)

    def __enter__(self) -> "BenchCluster":
        command = f"'pgbackrest --config={self.config} --stanza={STANZA} archive-push %p'"
        self.pg = TempPostgres(dbname=self.dbname, user=self.owner, password=self.owner_password,
                               superuser=self.admin_user, superuser_password=self.admin_password, fast=False,
                               settings={"wal_level": "replica", "archive_mode": "on", "archive_command": command,
                                         "archive_timeout": 10, "max_wal_size": "'2GB'", "timezone": "'UTC'"})
        for name in ("log", "lock"):
            (self.work / name).mkdir()
            shutil.chown(self.work / name, "postgres", "postgres")
        self.config.write_text("\n".join([
            "[global]", f"repo1-path={self.repo}", "repo1-retention-full=2", "start-fast=y", "process-max=2",
            "compress-type=lz4", f"log-path={self.work / 'log'}", f"lock-path={self.work / 'lock'}",
            "log-level-console=warn", "", f"[{STANZA}]", "pg1-path=@DATA@", "pg1-port=@PORT@",
            "pg1-socket-path=@SOCK@", f"pg1-user={self.admin_user}", "",
        ]))
        shutil.chown(self.config, "postgres", "postgres")
        try:
            self.pg.start()
            text = self.config.read_text().replace("@DATA@", str(self.pg.data_dir)).replace(
                "@PORT@", str(self.pg.port)).replace("@SOCK@", str(self.pg.socket_dir))
            self.config.write_text(text)
            self.pgbackrest("stanza-create")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pg is not None:
            self.pg.cleanup()
        shutil.rmtree(self.work, ignore_errors=True)

    @property
    def admin_dsn(self) -> str:
        assert self.pg is not None
        return self.pg.dsn_for(self.dbname, user=self.admin_user)

    def prepare(self) -> float:
        """The application schema, ~1 GB of pgbench data in its own database, one full backup."""
        assert self.pg is not None
        release = self.sandbox.release_dir(self.sandbox.facts["current_release"])
        migrated = run_memstore(release, ["migrate"], memstore_env(release, self.pg.dsn), timeout=120)
        assert migrated.returncode == 0, migrated.stderr
        self.pg.create_database("bench", owner=self.admin_user)
        env = {**os.environ, **self.pg.libpq_env(admin=True), "PGDATABASE": "bench"}
        subprocess.run([str(self.pg.bindir / "pgbench"), "-i", "-q", "-s", str(SCALE)], env=env, check=True,
                       capture_output=True, timeout=3600)
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            size = conn.execute("select sum(pg_database_size(datname)) from pg_database").fetchone()[0]
            conn.execute("create table direct_marks (seq int primary key, written_at timestamptz not null "
                         "default clock_timestamp())")
        self.pgbackrest("check", timeout=600)
        self.pgbackrest("--type=full", "backup", timeout=3600)
        return float(size) / 1e9

    def drill_restore_phase(self, evidence_root: Path) -> tuple[float, dict]:
        """The drill against this cluster; its restore phase from events.jsonl."""
        assert self.pg is not None
        overrides = {
            "db_port": self.pg.port, "db_name": self.dbname, "db_user": self.admin_user, "db_password": self.admin_password,
            "pgbackrest_config": str(self.config), "pgbackrest_stanza": STANZA,
            "db_restore_method": "pgbackrest", "db_restore_target": "time",
            "db_restore_work_root": str(self.work / "verify"), "db_restore_pgbackrest_repo_path": str(self.repo),
            "db_restore_canary_warmup_seconds": 3, "validation_gates_commands": [],
        }
        env = {**ansible_env(), "HADRILL_EVIDENCE_ROOT": str(evidence_root)}
        proc = subprocess.run([str(VENV_BIN / "hadrill"), "run", *self.sandbox.inventory_args, "--scenario", "restore",
                               "-e", json.dumps(overrides)], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=1800)
        bundle = next(evidence_root.glob("ha_drill_*"))
        markers = {item["name"]: item for item in read_lines(bundle / "events.jsonl")
                   if item.get("event") == "marker" and item.get("scenario") == "restore"}
        assert "promoted" in markers, proc.stdout[-3000:]
        summary = json.loads((bundle / "summary.json").read_text())["scenarios"]["restore"]
        figures = {item["name"]: item["value"] for item in summary["figures"]}
        return markers["promoted"]["mono"] - markers["restore_started"]["mono"], figures

    def _recent_time_target(self) -> str:
        """Rows written after a target, the segment switched and archived: as the drill does it."""
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute("truncate direct_marks")
            for seq in range(20):
                conn.execute("insert into direct_marks (seq) values (%s)", (seq,))
                time.sleep(0.1)
            before, after = conn.execute(
                "select (select written_at from direct_marks where seq = 9), "
                "(select written_at from direct_marks where seq = 10)").fetchone()
            segment = conn.execute("select pg_walfile_name(pg_switch_wal())").fetchone()[0]
            deadline = time.monotonic() + 120
            while (conn.execute("select last_archived_wal from pg_stat_archiver").fetchone()[0] or "")[:24] < segment:
                assert time.monotonic() < deadline, "the switched segment was not archived"
                time.sleep(0.1)
        target = before + (after - before) / 2
        return target.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f") + "+00"

    def direct_restore_phase(self) -> float:
        """The same restore and promotion by hand: pgBackRest, the same settings, pg_ctl, polling."""
        assert self.pg is not None
        target = self._recent_time_target()
        place = postgres_owned_dir(self.work, "direct-")
        data, port = place / "data", find_free_port()
        settings = {"port": port, "archive_mode": "'off'", "unix_socket_directories": "''", **INSTANCE_SETTINGS}
        started = time.monotonic()
        try:
            self.pgbackrest(f"--pg1-path={data}", "--type=time", f"--target={target}", "--target-action=promote",
                            "--archive-mode=off", "restore")
            with open(data / "postgresql.auto.conf", "a", encoding="utf-8") as handle:
                handle.write("".join(f"{name} = {value}\n" for name, value in settings.items()))
            as_postgres(str(self.pg.bindir / "pg_ctl"), "start", "-W", "-D", str(data), "-l", str(place / "log"))
            dsn = self.pg.dsn_for(self.dbname, user=self.admin_user).replace(f":{self.pg.port}/", f":{port}/")
            deadline = time.monotonic() + 600
            while True:
                assert time.monotonic() < deadline, "the hand-made restore was not promoted"
                try:
                    with psycopg.connect(dsn, autocommit=True, connect_timeout=1) as conn:
                        while conn.execute("select pg_is_in_recovery()").fetchone()[0]:
                            time.sleep(0.05)
                        break
                except psycopg.OperationalError:
                    time.sleep(0.05)
            return time.monotonic() - started
        finally:
            as_postgres(str(self.pg.bindir / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate", check=False)
            shutil.rmtree(place, ignore_errors=True)


@pytest.mark.benchmark
def test_restore_phase_of_the_drill_against_a_direct_pgbackrest_restore(tmp_path):
    sandbox = Sandbox(load_inventory_facts())
    if not sandbox.healthy():
        bring_up(sandbox)
    drill, direct, detail = [], [], []
    with BenchCluster(sandbox) as bench:
        started = time.monotonic()
        size_gb = bench.prepare()
        print(f"\n[bench] cluster: {size_gb:.2f} GB (pgbench scale {SCALE}), loaded and backed up in "
              f"{time.monotonic() - started:.0f}s")
        for index in range(ROUNDS):
            # Every restore replays the WAL written since the backup, which grows over the run:
            # alternate which of the two goes first so that neither always gets the longer replay.
            if index % 2:
                direct.append(bench.direct_restore_phase())
            phase, figures = bench.drill_restore_phase(tmp_path / f"evidence-{index}")
            drill.append(phase)
            detail.append(figures)
            if not index % 2:
                direct.append(bench.direct_restore_phase())
            print(f"[bench] round {index + 1}: drill restore phase {drill[-1]:.2f}s "
                  f"(restore {figures['restore_seconds']:.2f}s + start/replay/promote {figures['promote_seconds']:.2f}s), "
                  f"direct pgBackRest restore+promote {direct[-1]:.2f}s")
    assert all(item["rto_seconds"] is not None for item in detail), detail
    ratio = statistics.median(drill) / statistics.median(direct)
    print(f"[bench] drill restore phase (restore_started -> promoted): median {statistics.median(drill):.2f}s "
          f"runs {[round(item, 2) for item in drill]}")
    print(f"[bench] direct pgBackRest restore + promote:              median {statistics.median(direct):.2f}s "
          f"runs {[round(item, 2) for item in direct]}")
    print(f"[bench] ratio drill/direct: {ratio:.3f} (target <= {TARGET_RATIO}) -> "
          f"{'OK' if ratio <= TARGET_RATIO else 'ABOVE TARGET'}")
