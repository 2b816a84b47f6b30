"""Throw-away PostgreSQL clusters for tests.

Usage::

    from tests.support.postgres import TempPostgres, find_free_port

    with TempPostgres(port=find_free_port()) as pg:
        conn = psycopg.connect(pg.dsn)            # the app role, owner of database pg.dbname
        admin = psycopg.connect(pg.admin_dsn)     # superuser, same database
        other_dsn = pg.create_database("scratch") # a further database owned by the app role
        pg.restart_server()                       # e.g. to test reconnects

What it does: `initdb` in a fresh directory under /var/tmp (mode 0700, owned by the postgres OS
user; /var/tmp because postgres must be able to traverse every parent directory, which rules
out root's private temp dirs), listens on 127.0.0.1:<port> only, keeps its unix socket inside
that directory (so it never collides with a system cluster's /var/run/postgresql), creates a
login role with a password and a database it owns, and on exit stops the server and removes
the directory, also when startup failed half-way.

PostgreSQL refuses to run as root: when the tests run as root, every server command runs as
`os_user` (default postgres) through `runuser`; as any other user, commands run as that user.
The binaries come from `bindir`, $HADRILL_PG_BINDIR, or the newest /usr/lib/postgresql/*/bin.
"""

from __future__ import annotations

import os
import pwd
import random
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql

DEFAULT_PORT_RANGE = (56000, 56999)
_handed_out: set[int] = set()
_handed_out_lock = threading.Lock()


def find_free_port(start: int = DEFAULT_PORT_RANGE[0], end: int = DEFAULT_PORT_RANGE[1], host: str = "127.0.0.1") -> int:
    """A TCP port in [start, end] that nothing listens on right now.

    Ports are tried in random order (parallel test runs rarely collide) and never handed out
    twice by one process (two fixtures asking before either binds get different ports).
    Still racy against other processes by nature: bind soon after asking.
    """
    candidates = list(range(start, end + 1))
    random.shuffle(candidates)
    for port in candidates:
        with _handed_out_lock:
            if port in _handed_out:
                continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                # No SO_REUSEADDR: a port in TIME_WAIT would fail the server's own bind as well.
                sock.bind((host, port))
            except OSError:
                continue
        with _handed_out_lock:
            _handed_out.add(port)
        return port
    raise RuntimeError(f"no free TCP port in [{start}, {end}] on {host}")


def default_bindir() -> Path:
    env = os.environ.get("HADRILL_PG_BINDIR")
    if env:
        return Path(env)
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not found:
        raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin; set HADRILL_PG_BINDIR")
    return found[-1].parent


class TempPostgres:
    """A private PostgreSQL cluster that lives as long as the `with` block (see module doc).

    Attributes after start: `port`, `host`, `data_dir`, `base_dir`, `log_file`, `dsn` (app role,
    database `dbname`), `admin_dsn` (superuser, database `dbname`), `user`, `password`,
    `superuser`, `superuser_password`, `dbname`.
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        dbname: str = "app",
        user: str = "app",
        password: str | None = None,
        superuser: str = "postgres",
        superuser_password: str | None = None,
        settings: Mapping[str, str | int] | None = None,
        fast: bool = True,
        bindir: str | Path | None = None,
        parent_dir: str | Path = "/var/tmp",
        os_user: str = "postgres",
        timeout: float = 60.0,
    ) -> None:
        """
        port: TCP port on 127.0.0.1 (default: find_free_port()).
        settings: extra postgresql.conf settings, e.g. {"wal_level": "replica"}; values are
            written verbatim, so quote strings yourself: {"archive_command": "'cp %p /x/%f'"}.
        fast: fsync/synchronous_commit/full_page_writes off. Safe for throw-away data (nothing
            survives an OS crash anyway) and several times faster; pass False to measure
            durable behaviour.
        timeout: seconds allowed for each pg_ctl start/stop.
        """
        self.port = port if port is not None else find_free_port()
        self.host = "127.0.0.1"
        self.dbname = dbname
        self.user = user
        self.password = password or secrets.token_hex(12)
        self.superuser = superuser
        self.superuser_password = superuser_password or secrets.token_hex(12)
        self.settings = dict(settings or {})
        self.fast = fast
        self.bindir = Path(bindir) if bindir else default_bindir()
        self.parent_dir = Path(parent_dir)
        self.os_user = os_user
        self.timeout = timeout
        self.base_dir: Path | None = None
        self.started = False

    # ---- paths and connection strings -------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self._base() / "data"

    @property
    def socket_dir(self) -> Path:
        return self._base() / "sock"

    @property
    def log_file(self) -> Path:
        return self._base() / "postgres.log"

    def _base(self) -> Path:
        if self.base_dir is None:
            raise RuntimeError("TempPostgres is not started")
        return self.base_dir

    def dsn_for(self, dbname: str | None = None, *, user: str | None = None, password: str | None = None) -> str:
        """A postgresql:// URL for `dbname` (default: the app database) as `user` (default: app role)."""
        user = user or self.user
        if password is None:
            password = self.superuser_password if user == self.superuser else self.password
        return f"postgresql://{user}:{password}@{self.host}:{self.port}/{dbname or self.dbname}"

    @property
    def dsn(self) -> str:
        return self.dsn_for()

    @property
    def admin_dsn(self) -> str:
        return self.dsn_for(user=self.superuser)

    def libpq_env(self, *, admin: bool = False) -> dict[str, str]:
        """PG* variables for psql/pg_dump/pgbench subprocesses (merge into os.environ)."""
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.superuser if admin else self.user,
            "PGPASSWORD": self.superuser_password if admin else self.password,
            "PGDATABASE": self.dbname,
        }

    # ---- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> TempPostgres:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cleanup()

    def start(self) -> None:
        """initdb, configure, start, create role and database. Cleans up itself on failure."""
        if self.base_dir is not None:
            raise RuntimeError("TempPostgres already started")
        try:
            self._prepare_dirs()
            self._initdb()
            self._configure()
            self.start_server()
            self._create_role_and_db()
        except BaseException:
            log = self.log_tail()
            self.cleanup()
            if log:
                warnings.warn(f"TempPostgres failed to start; server log tail:\n{log}", stacklevel=2)
            raise

    def cleanup(self) -> None:
        """Stop the server (fast, then immediate) and delete the directory. Idempotent."""
        if self.base_dir is None:
            return
        try:
            if self.is_running():
                try:
                    self.stop_server("fast")
                except Exception:  # noqa: BLE001 - fall through to immediate
                    self.stop_server("immediate")
        except Exception as exc:  # noqa: BLE001 - cleanup must go on and remove the directory
            warnings.warn(f"TempPostgres: could not stop server in {self.base_dir}: {exc}", stacklevel=2)
        shutil.rmtree(self.base_dir, ignore_errors=True)
        self.base_dir = None
        self.started = False

    def start_server(self) -> None:
        """Start the (stopped) server and wait until it accepts connections."""
        self._pg_ctl("start", "-l", str(self.log_file), "-t", str(int(self.timeout)))
        self.started = True

    def stop_server(self, mode: str = "fast") -> None:
        """Stop the server; mode is pg_ctl's: smart, fast or immediate. The data dir stays."""
        self._pg_ctl("stop", "-m", mode, "-t", str(int(self.timeout)))
        self.started = False

    def restart_server(self, mode: str = "fast") -> None:
        self.stop_server(mode)
        self.start_server()

    def is_running(self) -> bool:
        if self.base_dir is None or not self.data_dir.exists():
            return False
        result = self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "status"], check=False)
        return result.returncode == 0

    # ---- databases ---------------------------------------------------------------------------

    def admin_connect(self, dbname: str | None = None) -> psycopg.Connection:
        """An autocommit superuser connection (caller closes it)."""
        return psycopg.connect(self.dsn_for(dbname, user=self.superuser), autocommit=True, connect_timeout=5)

    def create_database(self, name: str, *, owner: str | None = None, template: str | None = None) -> str:
        """Create database `name` owned by `owner` (default: the app role); returns the app-role DSN.

        template: copy an existing database (much faster than re-running migrations per test);
        it must have no open connections while being copied.
        """
        query = sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(owner or self.user))
        if template:
            query = query + sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self.admin_connect("postgres") as conn:
            conn.execute(query)
        return self.dsn_for(name)

    def drop_database(self, name: str) -> None:
        with self.admin_connect("postgres") as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except (OSError, RuntimeError):
            return ""

    # ---- internals ---------------------------------------------------------------------------

    def _as_root(self) -> bool:
        return os.geteuid() == 0

    def _run(self, cmd: Sequence[str], *, check: bool = True, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
        argv = list(cmd)
        if self._as_root():
            argv = ["runuser", "-u", self.os_user, "--", *argv]
        result = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout or self.timeout + 10,
            cwd="/",  # the OS user may not be allowed into the caller's cwd
            env={**os.environ, "LC_ALL": "C.UTF-8"},
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(cmd)} failed with exit code {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def _pg_ctl(self, *args: str) -> None:
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-w", *args])

    def _prepare_dirs(self) -> None:
        self.parent_dir.mkdir(parents=True, exist_ok=True)
        self.base_dir = Path(tempfile.mkdtemp(prefix="temp-pg-", dir=self.parent_dir))
        self.socket_dir.mkdir(mode=0o700)
        if self._as_root():
            pw = pwd.getpwnam(self.os_user)
            for path in (self.base_dir, self.socket_dir):
                os.chown(path, pw.pw_uid, pw.pw_gid)
        os.chmod(self.base_dir, 0o700)

    def _initdb(self) -> None:
        pwfile = self._base() / "pwfile"
        pwfile.write_text(self.superuser_password + "\n")
        if self._as_root():
            pw = pwd.getpwnam(self.os_user)
            os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        os.chmod(pwfile, 0o600)
        try:
            self._run([
                str(self.bindir / "initdb"),
                "-D", str(self.data_dir),
                "-U", self.superuser,
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                # The socket lives in a 0700 dir of the OS user, so only it (and root) can reach it.
                "--auth-local=trust",
                "-E", "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ])
        finally:
            pwfile.unlink(missing_ok=True)

    def _configure(self) -> None:
        conf: dict[str, str | int] = {
            "listen_addresses": "'127.0.0.1'",
            "port": self.port,
            "unix_socket_directories": f"'{self.socket_dir}'",
            "max_connections": 100,
            "log_min_messages": "warning",
        }
        if self.fast:
            conf.update({"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"})
        conf.update(self.settings)
        lines = "".join(f"{key} = {value}\n" for key, value in conf.items())
        # Appending keeps the file's owner (the OS user) even when we write as root.
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write("\n# TempPostgres\n" + lines)

    def _create_role_and_db(self) -> None:
        with self.admin_connect("postgres") as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(self.user), sql.Literal(self.password))
            )
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(self.dbname), sql.Identifier(self.user))
            )

    def __repr__(self) -> str:
        return f"TempPostgres(port={self.port}, data_dir={self.base_dir and self.data_dir}, running={self.started})"
