"""hadrill recover stops what a killed controller left running: a real process tree shaped like an
orphaned ansible-playbook (several threads, a worker in its own session, the command it runs)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

from hadrill import processes
from hadrill.recover import stop_orphans

# The fake playbook: threads (as ansible-playbook has), then a forked worker that calls setsid()
# and runs a command, as ansible's WorkerProcess does. It writes the pids it made.
FAKE_PLAYBOOK = r"""
import os, subprocess, sys, threading, time
for _ in range(3):
    threading.Thread(target=time.sleep, args=(120,), daemon=True).start()
worker = os.fork()
if worker == 0:
    os.setsid()
    command = subprocess.Popen(["sleep", "120"])
    with open(sys.argv[1] + ".worker", "w") as handle:
        handle.write(f"{os.getpid()} {command.pid}")
    command.wait()
    os._exit(0)
with open(sys.argv[1] + ".playbook", "w") as handle:
    handle.write(str(os.getpid()))
time.sleep(120)
"""


def wait_for(path: Path) -> str:
    deadline = time.monotonic() + 30
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline, f"{path} never written"
        time.sleep(0.02)
    return path.read_text()


def test_the_orphaned_playbook_its_worker_and_the_worker_command_are_all_stopped(tmp_path):
    marker = f"hadrill-test-{uuid.uuid4().hex}"
    stem = tmp_path / "pids"
    # The shell exits at once: the fake playbook is orphaned (ppid 1), as after a SIGKILL of its controller.
    subprocess.run(["sh", "-c", f'"{sys.executable}" -c "$1" "{stem}" {marker} & exit 0', "sh", FAKE_PLAYBOOK],
                   check=True, timeout=30)
    playbook = int(wait_for(Path(f"{stem}.playbook")))
    worker, command = (int(pid) for pid in wait_for(Path(f"{stem}.worker")).split())
    try:
        assert processes.parent_pid(playbook) == 1 and processes.parent_pid(worker) == playbook
        stopped = stop_orphans(timeout=20, is_drill=lambda pid: marker in processes.cmdline(pid))
        assert sorted(stopped) == sorted([playbook, worker, command])
        assert not any(processes.alive(pid) for pid in (playbook, worker, command))
    finally:
        for pid in (playbook, worker, command):
            subprocess.run(["kill", "-9", str(pid)], capture_output=True)


def test_nothing_is_stopped_when_no_drill_is_orphaned():
    assert stop_orphans(timeout=2, is_drill=lambda pid: False) == []
