#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: restore_process
short_description: Start or stop a detached process of a drill's verification environment
version_added: "0.1.0"
description:
  - O(state=started) starts O(command) (split like a shell command line, not run through a
    shell) detached from Ansible, in its own session, with a clean environment (C(PATH),
    C(LANG), C(HOME)) plus O(environment), optionally as O(user), with standard output and
    error in a log file. It fails when the process exits within O(startup_grace_seconds), with
    the end of its log. Returns the pid and the process's command line.
  - O(state=stopped) stops the process O(pid) if its command line still contains
    O(cmdline_contains) (a reused pid is never signalled); SIGTERM to its process group, SIGKILL
    after O(timeout_seconds); returns the end of its log and removes the log directory.
  - The pid is written to C(<log_dir>/<name>.pid) as soon as the process is forked.
  - Through its action plugin on the controller, a start is journaled (kind C(process), found
    through that pid file) before the process is started, so that C(hadrill recover) stops it
    even after a crash in the middle of the start; a stop closes the entry and keeps the log.
  - C(${name}) placeholders of O(placeholders) are replaced in O(command), O(chdir) and the
    values of O(environment).
author:
  - hadrill maintainers (!UNKNOWN)
options:
  name:
    description: Name of the process in the drill (for example C(api)).
    type: str
    required: true
  state:
    description: Start or stop.
    type: str
    choices: [started, stopped]
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
    description: Directory for the log file; default a new private directory under the temporary directory.
    type: str
  startup_grace_seconds:
    description: The start fails when the process exits within this time.
    type: float
    default: 0.5
  pid:
    description: Process to stop (state=stopped).
    type: int
  cmdline_contains:
    description: Text the process's command line must contain to be stopped.
    type: str
  log_path:
    description: Log file of the process (state=stopped); its directory is removed.
    type: str
  timeout_seconds:
    description: How long to wait after SIGTERM before SIGKILL.
    type: float
    default: 15.0
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
    environment:
      DATABASE_URL: postgresql://app:secret@${db_host}:${db_port}/app
    placeholders:
      db_host: 127.0.0.1
      db_port: 5433
  register: api_process

- name: Stop it
  hadrill.drills.restore_process:
    name: api
    state: stopped
    pid: "{{ api_process.pid }}"
    cmdline_contains: "{{ api_process.cmdline }}"
    log_path: "{{ api_process.log_path }}"
"""

RETURN = r"""
pid:
  description: Process id (state=started).
  returned: state=started
  type: int
cmdline:
  description: The process's command line, arguments joined by spaces (state=started).
  returned: state=started
  type: str
log_path:
  description: Log file of the process.
  returned: success
  type: str
stopped:
  description: How the process ended (C(terminated), C(killed), C(already_gone), C(not_ours)).
  returned: state=stopped
  type: str
log_tail:
  description: The end of the process's log.
  returned: always
  type: str
"""

import os
import pwd
import signal
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hadrill.drills.plugins.module_utils.process_command import command_argv, fill, pid_file

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


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", errors="replace").strip()
    except OSError:
        return None


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def demote(user):
    entry = pwd.getpwnam(user)

    def apply():
        os.setgid(entry.pw_gid)
        os.initgroups(user, entry.pw_gid)
        os.setuid(entry.pw_uid)

    return apply, entry.pw_dir


def spawn(argv, chdir, env, log_path, preexec, pid_path):
    """Start argv in its own session with output to log_path and return its pid once it is exec'd.

    Not module.run_command: the process must outlive this module. An exec failure comes back
    through a close-on-exec pipe, so /proc/<pid>/cmdline is the program's own when this returns.
    """
    # Opened here, before the child gives up root: the log directory is root's.
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
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
    # the process, before starting it.
    with open(pid_path, "w", encoding="ascii") as handle:
        handle.write("%d\n" % pid)
    with os.fdopen(read_end, "rb") as reader:
        failure = reader.read()
    if failure:
        os.waitpid(pid, 0)
        raise OSError(failure.decode("utf-8", "replace"))
    return pid


def exit_code(pid):
    """The child's exit code if it has exited, else None."""
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        return None
    return os.waitstatus_to_exitcode(status)


def start(module):
    params = module.params
    values = params["placeholders"]
    argv = command_argv(params["command"], values)
    if not argv:
        module.fail_json(msg=f"process {params['name']}: empty command")
    chdir = fill(params["chdir"], values) if params["chdir"] else None
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
    env.update({key: fill(str(value), values) for key, value in params["environment"].items()})
    log_dir = params["log_dir"] or tempfile.mkdtemp(prefix=f"hadrill-restore-{params['name']}-")
    os.makedirs(log_dir, mode=0o700, exist_ok=True)
    log_path = os.path.join(log_dir, f"{params['name']}.log")
    try:
        pid = spawn(argv, chdir, env, log_path, preexec, pid_file(log_dir, params["name"]))
    except OSError as exc:
        module.fail_json(msg=f"process {params['name']} could not start: {exc}", log_path=log_path, log_tail="")
    deadline = time.monotonic() + params["startup_grace_seconds"]
    while time.monotonic() < deadline:
        code = exit_code(pid)
        if code is not None:
            module.fail_json(msg=f"process {params['name']} exited at start with code {code}",
                             log_path=log_path, log_tail=tail(log_path), rc=code)
        time.sleep(0.05)
    module.exit_json(changed=True, pid=pid, cmdline=" ".join(argv), log_path=log_path,
                     log_tail=tail(log_path))


def stop(module):
    params = module.params
    pid, marker = params["pid"], params["cmdline_contains"]
    if not pid or not marker:
        module.fail_json(msg="state=stopped needs pid and cmdline_contains")
    line = cmdline(pid)
    if line is None or not alive(pid):
        outcome = "already_gone"
    elif marker not in line:
        outcome = "not_ours"
    else:
        outcome = "terminated"
        try:
            os.killpg(pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + params["timeout_seconds"]
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if alive(pid):
            outcome = "killed"
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
            kill_deadline = time.monotonic() + 5
            while alive(pid) and time.monotonic() < kill_deadline:
                time.sleep(0.05)
    log_tail = tail(params["log_path"]) if params["log_path"] else ""
    if params["log_path"]:
        # The log and its directory are the drill's whoever holds the pid now; a directory that
        # holds anything else is left alone.
        log_dir = os.path.dirname(params["log_path"])
        for remove, path in ((os.remove, params["log_path"]), (os.remove, pid_file(log_dir, params["name"])),
                             (os.rmdir, log_dir)):
            try:
                remove(path)
            except OSError:
                pass
    module.exit_json(changed=outcome in ("terminated", "killed"), stopped=outcome, gone=not alive(pid) or outcome == "not_ours",
                     log_path=params["log_path"], log_tail=log_tail)


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["started", "stopped"], "default": "started"},
            "command": {"type": "str"},
            "chdir": {"type": "str"},
            "environment": {"type": "dict", "default": {}, "no_log": True},
            "placeholders": {"type": "dict", "default": {}},
            "user": {"type": "str"},
            "log_dir": {"type": "str"},
            "startup_grace_seconds": {"type": "float", "default": 0.5},
            "pid": {"type": "int"},
            "cmdline_contains": {"type": "str"},
            "log_path": {"type": "str"},
            "timeout_seconds": {"type": "float", "default": 15.0},
            "evidence_dir": {"type": "path"},
        },
        required_if=[("state", "started", ("command",)), ("state", "stopped", ("pid", "cmdline_contains"))],
        supports_check_mode=False,
    )
    if module.params["state"] == "started":
        start(module)
    else:
        stop(module)


if __name__ == "__main__":
    main()
