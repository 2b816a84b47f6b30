"""Releases installed by the sandbox against the sandbox's current schema: an old release outside
its schema range refuses to start (exit 78 + STARTUP CONTRACT FAILURE), one inside it serves."""

from __future__ import annotations

import socket
import subprocess

import pytest

from tests.support.http import request
from tests.support.wait import wait_until

pytestmark = pytest.mark.integration

EXIT_CONTRACT = 78


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_api(sandbox, version: str, port: int) -> subprocess.Popen:
    """A one-off API of `version`, as the app user, from its release directory."""
    release = sandbox.release_dir(version)
    assert (release / "release.json").is_file(), f"release {version} is not installed at {release}"
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", **sandbox.facts["app_environment"],
           "PYTHONPATH": str(release)}
    cmd = ["runuser", "-u", sandbox.facts["app_user"], "--",
           f"{sandbox.facts['sandbox_venv']}/bin/python", "-m", "memstore", "api",
           "--listen", f"127.0.0.1:{port}"]
    return subprocess.Popen(cmd, cwd=release, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def test_release_outside_its_schema_range_fails_the_startup_contract(sandbox):
    proc = start_api(sandbox, "v0.1.5", spare_port())
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        stop(proc)
    assert proc.returncode == EXIT_CONTRACT, (proc.returncode, out, err)
    lines = [line for line in err.splitlines() if line.startswith("STARTUP CONTRACT FAILURE:")]
    assert lines, err


def test_release_inside_its_schema_range_serves(sandbox):
    port = spare_port()
    proc = start_api(sandbox, "v0.1.8", port)
    try:
        health = wait_until(
            lambda: proc.poll() is None and request("GET", f"http://127.0.0.1:{port}{sandbox.facts['api_health_path']}",
                                                    timeout=2),
            timeout=30, interval=0.2, what="v0.1.8 to answer /health")
        assert health.status == 200, health
        assert health.body["release"] == "v0.1.8"
    finally:
        stop(proc)
    assert proc.returncode != EXIT_CONTRACT
