"""The identity of a verification process (module_utils/process_command.py) on real processes:
pid and start time, the token in its environment, the listener of a port. Nothing here reads a
command line: Ansible masks environment values wherever they occur in a module's result."""

from __future__ import annotations

import importlib.util
import os
import signal
import uuid
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[3] / "collection/plugins/module_utils/process_command.py"
spec = importlib.util.spec_from_file_location("hadrill_process_command_under_test", SOURCE)
pc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pc)


# How long a started process may take to exec (each loop ends as soon as it has): on a loaded machine
# (make test's parallel checks) an exec chain once took more than 10 s to finish.
START_SECONDS = 60


@pytest.fixture
def started(tmp_path):
    """Start real processes with a token in their environment; stop whatever is left afterwards."""
    procs = []

    def start(argv, token, **env):
        proc = subprocess.Popen(argv, env={"PATH": os.environ["PATH"], pc.TOKEN_VARIABLE: token, **env},
                                start_new_session=True)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the process and what it started (its own session)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def test_the_started_process_is_ours_by_pid_and_start_time(started, tmp_path):
    proc = started(["sleep", "30"], "tok-a", SECRET="sleep")  # an environment value that is also the command
    deadline = time.monotonic() + START_SECONDS
    while not (pc.environ(proc.pid) or {}).get(pc.TOKEN_VARIABLE) and time.monotonic() < deadline:
        time.sleep(0.02)
    identity = pc.write_identity(str(tmp_path / "api.pid"), proc.pid, "tok-a")
    assert pc.read_identity(str(tmp_path / "api.pid")) == identity
    assert identity["start_time"] == int(Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    assert pc.is_ours(identity, "tok-a")
    assert pc.carrying_token("tok-a") == [proc.pid]
    assert pc.environ(proc.pid)[pc.TOKEN_VARIABLE] == "tok-a"
    # The same pid with another start time is another process (a reused pid): never ours.
    assert not pc.is_ours({**identity, "start_time": identity["start_time"] + 1}, "tok-a")
    proc.kill()
    proc.wait(timeout=10)
    assert not pc.is_ours(identity, "tok-a")
    assert pc.carrying_token("tok-a") == []


def test_without_a_start_time_the_token_in_the_environment_decides(started):
    proc = started(["sleep", "30"], "tok-b")
    deadline = time.monotonic() + START_SECONDS
    while not (pc.environ(proc.pid) or {}).get(pc.TOKEN_VARIABLE) and time.monotonic() < deadline:
        time.sleep(0.02)  # Popen may return before the exec'd environment is readable
    assert pc.is_ours({"pid": proc.pid, "start_time": None}, "tok-b")
    assert not pc.is_ours({"pid": proc.pid, "start_time": None}, "another-token")


def test_an_exec_that_drops_the_environment_keeps_the_identity(started, tmp_path):
    proc = started(["sh", "-c", "exec env -i sleep 30"], "tok-c")
    identity = pc.write_identity(str(tmp_path / "w.pid"), proc.pid, "tok-c")
    deadline = time.monotonic() + START_SECONDS
    while pc.environ(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.02)  # until the exec replaced the environment
    assert pc.environ(proc.pid) == {}
    assert pc.is_ours(identity, "tok-c")


def test_children_carry_the_token_whatever_they_call_themselves(started):
    token = "tok-d-" + uuid.uuid4().hex
    proc = started(["sh", "-c", "sleep 30 & sleep 30; wait"], token)
    deadline = time.monotonic() + START_SECONDS
    while len(pc.carrying_token(token)) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    found = pc.carrying_token(token)
    assert proc.pid in found and len(found) == 3


def test_the_listener_of_a_port_and_its_owner(started):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = ("import socket, time; s = socket.socket(); s.bind(('127.0.0.1', %d)); s.listen(); "
            "print('ready', flush=True); time.sleep(30)" % port)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env={"PATH": os.environ["PATH"], pc.TOKEN_VARIABLE: "tok-e"})
    try:
        assert proc.stdout.readline().strip() == "ready"
        inodes = pc.listening_inodes(port)
        assert len(inodes) == 1
        assert pc.socket_owners(inodes) == [proc.pid]
        # A connected client socket on another port is not a listener.
        with socket.create_connection(("127.0.0.1", port)) as client:
            assert pc.listening_inodes(client.getsockname()[1]) == set()
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert pc.listening_inodes(port) == set()


def test_the_socket_tables_read_as_text_give_the_same_listener():
    """What the action plugin reads with one shell command (both tables concatenated, headers and
    all) finds the same listener as the module's own read, and nothing once it is gone."""
    with socket.socket(socket.AF_INET6) as listener:
        listener.bind(("::1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        tables = "".join(Path(table).read_text(encoding="ascii") for table in pc.SOCKET_TABLES)
        assert pc.listening_inodes_in(tables, port) == pc.listening_inodes(port) != set()
    tables = "".join(Path(table).read_text(encoding="ascii") for table in pc.SOCKET_TABLES)
    assert pc.listening_inodes_in(tables, port) == set()
    assert pc.listening_inodes_in("not a socket table\n@@marker@@\n32768 60999\n", port) == set()
