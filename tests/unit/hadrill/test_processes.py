from __future__ import annotations

import os
import subprocess
import sys
import time

from hadrill import processes
from hadrill.runner import PRIVATE_DIR_PREFIX, remove_leftover_private_dirs


def exited_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    return child.pid


def test_a_running_process_is_alive_and_an_exited_one_is_not():
    assert processes.alive(os.getpid())
    assert not processes.alive(exited_pid())


def test_a_zombie_counts_as_gone():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    # Not reaped yet: the child stays a zombie until wait().
    while processes.alive(child.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not processes.alive(child.pid)
    child.wait(timeout=30)


def test_command_line_and_parent_of_a_process():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "marker-arg"])
    try:
        deadline = time.monotonic() + 30
        # Between fork and exec the child still shows this interpreter's command line.
        while "marker-arg" not in processes.cmdline(child.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "marker-arg" in processes.cmdline(child.pid)
        assert processes.parent_pid(child.pid) == os.getpid()
    finally:
        child.kill()
        child.wait(timeout=30)
    assert processes.cmdline(child.pid) == ""
    assert processes.parent_pid(child.pid) is None


def test_only_the_runner_directories_of_dead_controllers_are_removed(tmp_path):
    dead = tmp_path / f"{PRIVATE_DIR_PREFIX}{exited_pid()}-abc"
    (dead / "artifacts").mkdir(parents=True)
    (dead / "artifacts" / "stdout").write_text("raw task output")
    running = tmp_path / f"{PRIVATE_DIR_PREFIX}{os.getpid()}-def"
    running.mkdir()
    unnamed = tmp_path / f"{PRIVATE_DIR_PREFIX}xyz"  # no controller pid in the name: not ours to judge
    unnamed.mkdir()
    assert remove_leftover_private_dirs(tmp_path) == [dead]
    assert not dead.exists() and running.is_dir() and unnamed.is_dir()
