"""The sandbox playbook itself: idempotent, and state=absent leaves nothing behind.
Runs last in this package (file name); the absent test brings the sandbox back up."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def sandbox_processes(root: Path) -> list[str]:
    """Processes whose command line names the sandbox root or whose cwd is inside it."""
    root_s = str(root)
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.path.realpath(os.readlink(f"/proc/{entry}/cwd"))
        except OSError:
            continue
        if cmdline and (root_s in cmdline or cwd == root_s or cwd.startswith(root_s + "/")):
            found.append(f"{entry} {cmdline.strip()}")
    return found


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_second_run_of_the_sandbox_playbook_changes_nothing(sandbox):
    first = sandbox.run_playbook("present")
    assert first.returncode == 0, first.tail()
    second = sandbox.run_playbook("present")
    assert second.returncode == 0, second.tail()
    assert second.changed == 0, second.tail(120)
    print(f"sandbox.yml: first run {first.seconds:.1f}s changed={first.changed}, "
          f"second run {second.seconds:.1f}s changed={second.changed}")


def test_absent_leaves_no_process_port_or_data_dir_and_comes_back(sandbox):
    root = sandbox.root
    try:
        down = sandbox.run_playbook("absent")
        assert down.returncode == 0, down.tail()
        assert sandbox_processes(root) == []
        assert [port for port in sandbox.facts["ports"] if listening(port)] == []
        assert not Path(sandbox.facts["db"]["data_dir"]).exists()
        assert not root.exists()
        again = sandbox.run_playbook("absent")
        assert again.returncode == 0, again.tail()
        assert again.changed == 0, again.tail()
        print(f"sandbox.yml state=absent: {down.seconds:.1f}s, again on an absent sandbox: {again.seconds:.1f}s")
    finally:
        up = sandbox.bring_up()
        print(f"sandbox.yml bring-up from nothing: {up.seconds:.1f}s")
    assert sandbox.healthy()
