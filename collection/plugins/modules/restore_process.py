#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: restore_process
short_description: Start, check or stop a detached process of a drill's verification environment
version_added: "0.1.0"
description:
  - O(state=started) starts O(command) (split like a shell command line, not run through a
    shell) detached from Ansible, in its own session, with a clean environment (C(PATH),
    C(LANG), C(HOME)) plus O(environment), optionally as O(user), with standard output and
    error in a log file. With O(port), it refuses to start while anything listens on that TCP
    port of the host. It fails when the process exits within O(startup_grace_seconds), with the
    end of its log.
  - Every process started carries C(HADRILL_PROCESS_TOKEN=)O(token) and C(HADRILL_DRILL_ID)
    in its environment. Its identity (pid, start time from C(/proc/<pid>/stat), token) is
    written as JSON to C(<log_dir>/<name>.pid) the moment it is forked. Nothing identifies it
    by its command line, which Ansible masks in this module's result wherever a value of
    O(environment) occurs in it.
  - The log directory is always a new directory made by the module (refused if it exists),
    private (0700), holding a marker file; only such a directory is ever removed.
  - O(state=stopped) stops the process named by the identity file O(pid_file) (or O(pid) and
    O(start_time)) if it is still the one started (same pid and start time, or the token in its
    environment when the start time is unknown), SIGTERM to its process group and to every
    process carrying O(token), SIGKILL after O(timeout_seconds). C(gone) is true only when
    none of them runs any more; then the marked O(log_dir) is removed.
  - O(state=serving) waits (at most O(wait_seconds)) until something listens on O(port) and
    succeeds only when that listener is one of O(processes) or a process they started; it fails
    at once when one of them is no longer running or another process holds the port.
  - O(state=port_free) fails when anything listens on O(port), naming the process, or when O(port)
    lies in the host's ephemeral port range. Its action plugin first reads the host's socket tables
    with one shell command and no privilege escalation; only a port that is taken or unsafe (or a
    host without those tables) runs the module, which names the listener.
  - Through its action plugin on the controller, a start is journaled (kind C(process), with the
    identity file, the token and the log directory) before the process is started, so that
    C(hadrill recover) stops it even after a crash in the middle of the start; a stop closes
    the entry only when the process is gone, and keeps the log.
  - C(${name}) placeholders of O(placeholders) are replaced in O(command), O(chdir) and the
    values of O(environment).
author:
  - hadrill maintainers (!UNKNOWN)
attributes:
  check_mode:
    support: none
    description: Starts and stops real processes; refuses check mode.
  diff_mode:
    support: none
    description: Nothing to diff.
options:
  name:
    description: Name of the process in the drill (for example C(api)).
    type: str
    required: true
  state:
    description: Start, stop, check that the started processes serve O(port), or check that O(port) is free.
    type: str
    choices: [started, stopped, serving, port_free]
    default: started
  command:
    description: Command line to run (state=started).
    type: str
  chdir:
    description: Working directory.
    type: str
  environment:
    description: Extra environment variables (values are hidden from logs).
    type: dict
    default: {}
  placeholders:
    description: Values for C(${name}) placeholders.
    type: dict
    default: {}
  user:
    description: OS user to run as (needs root, for example C(become=true)).
    type: str
  log_dir:
    description:
      - Directory for the log and identity files (state=started); it must not exist yet. Default
        a new private directory under the temporary directory.
      - The log directory to remove once the process is gone (state=stopped), if hadrill made it.
    type: str
  startup_grace_seconds:
    description: The start fails when the process exits within this time.
    type: float
    default: 0.5
  token:
    description:
      - Identity token put into the process's environment (state=started; default a new random one)
        and looked for when stopping it (state=stopped).
    type: str
  drill_id:
    description: Drill id put into the process's environment as C(HADRILL_DRILL_ID).
    type: str
  port:
    description:
      - TCP port that must be free before the start (state=started, optional).
      - The port to check (state=serving and state=port_free).
    type: int
  pid_file:
    description: Identity file written at the start (state=stopped).
    type: path
  pid:
    description: Process to stop when its identity file is gone (state=stopped).
    type: int
  start_time:
    description: Start time (clock ticks since boot) of O(pid) (state=stopped).
    type: int
  processes:
    description: The started processes that may serve O(port) (state=serving), each C({name, pid_file, token}).
    type: list
    elements: dict
    default: []
  wait_seconds:
    description: How long to wait for a listener on O(port) (state=serving).
    type: float
    default: 60.0
  timeout_seconds:
    description: How long to wait after SIGTERM before SIGKILL.
    type: float
    default: 15.0
  undo:
    description:
      - The C(undo) of the process's journal entry (state=stopped), for C(hadrill recover); by
        default the action plugin reads it from the drill's journal (entry C(restore-process-<name>)).
    type: dict
  record:
    description:
      - Record the stop in the drill's bundle (a check, the journal entry closed, the log kept).
      - C(false) for C(hadrill recover), which closes the entry itself.
    type: bool
    default: true
extends_documentation_fragment:
  - hadrill.drills.drill
"""

EXAMPLES = r"""
- name: Start the verification API on the restored database
  hadrill.drills.restore_process:
    name: api
    command: /srv/app/venv/bin/python -m app api --listen 127.0.0.1:18100
    chdir: /srv/app/releases/v1.2.3
    user: app
    port: 18100
    environment:
      DATABASE_URL: postgresql://app:secret@${db_host}:${db_port}/app
    placeholders:
      db_host: 127.0.0.1
      db_port: 5433

- name: Check that the API the drill started is what listens on its port
  hadrill.drills.restore_process:
    name: api
    state: serving
    port: 18100

- name: Stop it (found through the drill's journal)
  hadrill.drills.restore_process:
    name: api
    state: stopped
"""

RETURN = r"""
pid:
  description: Process id (state=started; the action plugin reads it from the identity file).
  returned: state=started
  type: int
start_time:
  description: Start time of the process in clock ticks since boot (state=started).
  returned: state=started
  type: int
log_path:
  description: Log file of the process.
  returned: state=started
  type: str
stopped:
  description: How the process ended (C(terminated), C(killed), C(already_gone)) or C(still_running).
  returned: state=stopped
  type: str
gone:
  description: Whether no process of this start runs any more (state=stopped).
  returned: state=stopped
  type: bool
listener:
  description: Pid holding the port (state=serving, state=port_free).
  returned: state=serving
  type: int
checked_with:
  description: C(socket tables) when the action plugin saw the port free without running the module.
  returned: state=port_free and the port is free
  type: str
log_tail:
  description: The end of the process's log.
  returned: always
  type: str
"""

import os
import pwd
import secrets
import signal
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hadrill.drills.plugins.module_utils import process_command as pc

LOG_TAIL_BYTES = 8000
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def tail(path):
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(size - LOG_TAIL_BYTES, 0))
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def demote(user):
    entry = pwd.getpwnam(user)

    def apply():
        os.setgid(entry.pw_gid)
        os.initgroups(user, entry.pw_gid)
        os.setuid(entry.pw_uid)

    return apply, entry.pw_dir


def spawn(argv, chdir, env, log_path, preexec, identity_path, token):
    """Start argv in its own session with output to log_path and return its identity once it is exec'd.

    Not module.run_command: the process must outlive this module. An exec failure comes back
    through a close-on-exec pipe, so the process runs the program when this returns.
    """
    # Opened here, before the child gives up root: the log directory is root's.
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    read_end, write_end = os.pipe()
    os.set_inheritable(write_end, False)
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.dup2(devnull, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.closerange(3, write_end)
            os.closerange(write_end + 1, 65536)
            os.setsid()
            if chdir:
                os.chdir(chdir)
            if preexec is not None:
                preexec()
            os.execvpe(argv[0], argv, env)
        except BaseException as exc:  # pylint: disable=broad-except
            os.write(write_end, f"{type(exc).__name__}: {exc}".encode("utf-8", "replace"))
        finally:
            os._exit(127)
    os.close(log)
    os.close(devnull)
    os.close(write_end)
    # Written before anything else can fail: the drill journaled this file as the way to find
    # the process, before starting it. The child has not been reaped, so its start time is readable.
    identity = pc.write_identity(identity_path, pid, token)
    with os.fdopen(read_end, "rb") as reader:
        failure = reader.read()
    if failure:
        os.waitpid(pid, 0)
        raise OSError(failure.decode("utf-8", "replace"))
    return identity


def exit_code(pid):
    """The child's exit code if it has exited, else None."""
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        return None
    return os.waitstatus_to_exitcode(status)


def describe(pid):
    line = pc.cmdline(pid)
    return "pid %d (%s)" % (pid, line.splitlines()[0][:200]) if line else "pid %d" % pid


def listeners_text(port):
    owners = pc.socket_owners(pc.listening_inodes(port))
    return ", ".join(describe(pid) for pid in owners) or "a process this user cannot see"


def make_log_dir(module, params):
    """A new directory of hadrill's own, marked as such; an existing one is refused."""
    if params["log_dir"]:
        log_dir = params["log_dir"]
        try:
            os.mkdir(log_dir, 0o700)
        except FileExistsError:
            module.fail_json(msg=f"process {params['name']}: log directory {log_dir} already exists; "
                                 "hadrill only uses a log directory it creates")
        except OSError as exc:
            module.fail_json(msg=f"process {params['name']}: cannot create the log directory {log_dir}: {exc}")
    else:
        log_dir = tempfile.mkdtemp(prefix=f"hadrill-restore-{params['name']}-")
    with open(os.path.join(log_dir, pc.LOG_DIR_MARKER), "x", encoding="utf-8") as handle:
        handle.write("made by hadrill for verification process %s of drill %s\n" % (params["name"], params["drill_id"] or "?"))
    return log_dir


def start(module):
    params = module.params
    values = params["placeholders"]
    argv = pc.command_argv(params["command"], values)
    if not argv:
        module.fail_json(msg=f"process {params['name']}: empty command")
    if params["port"] and pc.listening_inodes(params["port"]):
        module.fail_json(msg=f"process {params['name']}: port {params['port']} is already in use by "
                             f"{listeners_text(params['port'])}; the verification API needs a free port",
                         log_tail="")
    if params["port"] and pc.ephemeral_problem(params["port"]):
        module.fail_json(msg=f"process {params['name']}: {pc.ephemeral_problem(params['port'])} (db_restore_api_port)",
                         log_tail="")
    chdir = pc.fill(params["chdir"], values) if params["chdir"] else None
    env = {"PATH": BASE_PATH, "LANG": "C.UTF-8"}
    preexec = None
    if params["user"]:
        if os.geteuid() != 0:
            module.fail_json(msg=f"process {params['name']}: running as {params['user']} needs root (become: true)")
        try:
            preexec, home = demote(params["user"])
        except KeyError:
            module.fail_json(msg=f"process {params['name']}: unknown user {params['user']!r}")
        env["HOME"] = home or "/"
    else:
        env["HOME"] = os.environ.get("HOME", "/")
    env.update({key: pc.fill(str(value), values) for key, value in params["environment"].items()})
    token = params["token"] or secrets.token_hex(16)
    env[pc.TOKEN_VARIABLE] = token
    if params["drill_id"]:
        env[pc.DRILL_ID_VARIABLE] = params["drill_id"]
    log_dir = make_log_dir(module, params)
    log_path = os.path.join(log_dir, f"{params['name']}.log")
    try:
        identity = spawn(argv, chdir, env, log_path, preexec, pc.pid_file(log_dir, params["name"]), token)
    except OSError as exc:
        module.fail_json(msg=f"process {params['name']} could not start: {exc}", log_path=log_path, log_tail="")
    pid = identity["pid"]
    deadline = time.monotonic() + params["startup_grace_seconds"]
    while time.monotonic() < deadline:
        code = exit_code(pid)
        if code is not None:
            module.fail_json(msg=f"process {params['name']} exited at start with code {code}",
                             log_path=log_path, log_tail=tail(log_path), rc=code)
        time.sleep(0.05)
    module.exit_json(changed=True, pid=pid, start_time=identity["start_time"], log_path=log_path,
                     log_tail=tail(log_path))


def _signal_all(leader, others, number):
    if leader is not None:
        try:
            os.killpg(leader, number)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(leader, number)
            except (ProcessLookupError, PermissionError):
                pass
    for pid in others:
        try:
            os.kill(pid, number)
        except (ProcessLookupError, PermissionError):
            pass


def stop(module):
    params = module.params
    token = params["token"]
    identity = pc.read_identity(params["pid_file"]) if params["pid_file"] else None
    if identity is None and params["pid"]:
        identity = {"pid": params["pid"], "start_time": params["start_time"]}
    if identity is None and not token:
        module.fail_json(msg="state=stopped needs pid_file, pid or token")

    def remaining():
        leader = identity["pid"] if pc.is_ours(identity, token) else None
        others = [pid for pid in pc.carrying_token(token) if pid != leader]
        return leader, others

    leader, others = remaining()
    if leader is None and not others:
        outcome = "already_gone"
    else:
        outcome = "terminated"
        _signal_all(leader, others, signal.SIGTERM)
        deadline = time.monotonic() + params["timeout_seconds"]
        while any(remaining()) and time.monotonic() < deadline:
            time.sleep(0.05)
        leader, others = remaining()
        if leader is not None or others:
            outcome = "killed"
            _signal_all(leader, others, signal.SIGKILL)
            kill_deadline = time.monotonic() + 5
            while any(remaining()) and time.monotonic() < kill_deadline:
                time.sleep(0.05)
    leader, others = remaining()
    gone = leader is None and not others
    if not gone:
        outcome = "still_running"
    log_dir = params["log_dir"] or (os.path.dirname(params["pid_file"]) if params["pid_file"] else None)
    log_path = os.path.join(log_dir, f"{params['name']}.log") if log_dir else None
    log_tail = tail(log_path) if log_path else ""
    left = None
    if gone and log_dir and os.path.isfile(os.path.join(log_dir, pc.LOG_DIR_MARKER)) and not os.path.islink(log_dir):
        # Only hadrill's own files in its own marked directory; anything else keeps the directory.
        for path in (log_path, pc.pid_file(log_dir, params["name"]), os.path.join(log_dir, pc.LOG_DIR_MARKER)):
            try:
                os.remove(path)
            except OSError:
                pass
        try:
            os.rmdir(log_dir)
        except FileNotFoundError:
            pass
        except OSError as exc:
            left = f"log directory {log_dir} not removed: {exc}"
    module.exit_json(changed=outcome in ("terminated", "killed"), stopped=outcome, gone=gone,
                     still_running=([leader] if leader else []) + others, log_dir_left=left,
                     msg="" if gone else "still running: " + ", ".join(describe(pid) for pid in ([leader] if leader else []) + others),
                     log_tail=log_tail)


def serving(module):
    params = module.params
    port = params["port"]
    processes = params["processes"]
    if not port or not processes:
        module.fail_json(msg="state=serving needs port and processes")
    deadline = time.monotonic() + params["wait_seconds"]
    tokens = {item.get("token") for item in processes if item.get("token")}
    while True:
        leaders = {}
        for item in processes:
            identity = pc.read_identity(item.get("pid_file") or "")
            if not pc.is_ours(identity, item.get("token")):
                log_path = os.path.join(os.path.dirname(item.get("pid_file") or ""), f"{item['name']}.log")
                module.fail_json(msg=f"verification process {item['name']} is no longer running",
                                 process=item["name"], log_tail=tail(log_path))
            leaders[identity["pid"]] = item["name"]
        inodes = pc.listening_inodes(port)
        owners = pc.socket_owners(inodes)
        for owner in owners:
            env = pc.environ(owner) or {}
            if env.get(pc.TOKEN_VARIABLE) in tokens or pc.session_id(owner) in leaders or owner in leaders:
                name = leaders.get(owner) or leaders.get(pc.session_id(owner)) or "a process they started"
                module.exit_json(changed=False, listener=owner, process=name, log_tail="")
        if owners:
            module.fail_json(msg=f"port {port} is served by {', '.join(describe(pid) for pid in owners)}, "
                                 "not by a verification process this drill started", listener=owners[0], log_tail="")
        if time.monotonic() >= deadline:
            seen = "a process this user cannot see listens on it" if inodes else "nothing listens on it"
            module.fail_json(msg=f"port {port}: {seen} {params['wait_seconds']:g}s after the verification "
                                 "processes started", log_tail="")
        time.sleep(0.1)


def port_free(module):
    port = module.params["port"]
    if not port:
        module.fail_json(msg="state=port_free needs port")
    if pc.listening_inodes(port):
        module.fail_json(msg=f"port {port} is already in use by {listeners_text(port)}; the verification "
                             "API needs a free port (db_restore_api_port)", log_tail="")
    if pc.ephemeral_problem(port):
        module.fail_json(msg=f"{pc.ephemeral_problem(port)} (db_restore_api_port)", log_tail="")
    module.exit_json(changed=False, log_tail="")


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["started", "stopped", "serving", "port_free"], "default": "started"},
            "command": {"type": "str"},
            "chdir": {"type": "str"},
            "environment": {"type": "dict", "default": {}, "no_log": True},
            "placeholders": {"type": "dict", "default": {}},
            "user": {"type": "str"},
            "log_dir": {"type": "str"},
            "startup_grace_seconds": {"type": "float", "default": 0.5},
            "token": {"type": "str", "no_log": False},
            "drill_id": {"type": "str"},
            "port": {"type": "int"},
            "pid_file": {"type": "path"},
            "pid": {"type": "int"},
            "start_time": {"type": "int"},
            "processes": {"type": "list", "elements": "dict", "default": []},
            "wait_seconds": {"type": "float", "default": 60.0},
            "timeout_seconds": {"type": "float", "default": 15.0},
            "undo": {"type": "dict"},
            "record": {"type": "bool", "default": True},
            "evidence_dir": {"type": "path"},
        },
        required_if=[("state", "started", ("command",))],
        supports_check_mode=False,
    )
    {"started": start, "stopped": stop, "serving": serving, "port_free": port_free}[module.params["state"]](module)


if __name__ == "__main__":
    main()
