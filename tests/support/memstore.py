"""Run memstore the way a deployment does: a release directory holding a copy of the package
and a release.json, processes started with cwd and PYTHONPATH set to that directory.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.support import http

REPO_ROOT = Path(__file__).resolve().parents[2]
MEMSTORE_SRC = REPO_ROOT / "python" / "memstore"


def install_release(releases_root: Path, version: str, manifest: Mapping[str, Any] | None) -> Path:
    """Install `<releases_root>/<version>/{memstore/,release.json}`; returns the release dir.

    manifest None installs no release.json (the process then runs as the "dev" release).
    """
    release_dir = releases_root / version
    if release_dir.exists():
        shutil.rmtree(release_dir)
    release_dir.mkdir(parents=True)
    shutil.copytree(MEMSTORE_SRC, release_dir / "memstore", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if manifest is not None:
        (release_dir / "release.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return release_dir


def memstore_env(
    release_dir: Path,
    database_url: str,
    api_keys: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The process environment: the caller's, minus any MEMSTORE_* leaking in, plus ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMSTORE_") and k != "PYTHONPATH"}
    env.update({
        "PYTHONPATH": str(release_dir),
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MEMSTORE_DATABASE_URL": database_url,
    })
    if api_keys is not None:
        env["MEMSTORE_API_KEYS"] = json.dumps(dict(api_keys))
    env.update(extra or {})
    return env


def run_memstore(
    release_dir: Path, args: Sequence[str], env: Mapping[str, str], *, timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    """Run a short-lived memstore command (migrate, gate) to completion."""
    return subprocess.run(
        [sys.executable, "-m", "memstore", *args],
        cwd=release_dir, env=dict(env), capture_output=True, text=True, timeout=timeout,
    )


class MemstoreProcess:
    """A long-running memstore command (api, worker); stderr goes to `log_path`.

    As a context manager it guarantees the process is gone afterwards (SIGKILL as last resort).
    """

    def __init__(self, release_dir: Path, args: Sequence[str], env: Mapping[str, str], log_path: Path) -> None:
        self.release_dir = release_dir
        self.args = list(args)
        self.env = dict(env)
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> MemstoreProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "memstore", *self.args],
                cwd=self.release_dir, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        return self

    def __enter__(self) -> MemstoreProcess:
        return self.start() if self.proc is None else self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.kill()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        """Send `sig` and wait (bounded) for the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_events(self) -> list[dict[str, Any]]:
        """The JSON log lines (non-JSON lines skipped)."""
        events = []
        for line in self.log_text().splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
        return events


def wait_http(base_url: str, process: MemstoreProcess | None = None, timeout: float = 15.0) -> http.HttpResult:
    """Wait until GET /health answers at all (any status); fail at once if the process died."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and not process.running():
            code = process.proc.returncode if process.proc else None
            raise AssertionError(f"memstore exited with {code} before serving:\n{process.log_text()}")
        try:
            return http.request("GET", base_url + "/health", timeout=1.0)
        except OSError:
            pass
        if time.monotonic() >= deadline:
            raise AssertionError(f"{base_url}/health did not answer within {timeout}s")
        time.sleep(0.05)
