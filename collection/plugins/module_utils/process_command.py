# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The verification processes a drill starts: their command line, their identity, their ports.

Worked out the same way by the module that starts and stops them on the target host and by
the action plugin that journals them before they start.

A process is identified by what nothing can mask or reuse: its pid together with its start
time (field 22 of ``/proc/<pid>/stat``, clock ticks since boot: a reused pid has another one),
and a random token in its environment (``HADRILL_PROCESS_TOKEN``, inherited by everything it
starts). Both are in the identity file written the moment the process is forked, and the token
is journaled before the start. Nothing here reads a command line: Ansible masks every
occurrence of a ``no_log`` value (the process's environment) in a module's result, so a
recorded command line may not match the running one.
"""

from __future__ import annotations

import json
import os
import shlex
import string

TOKEN_VARIABLE = "HADRILL_PROCESS_TOKEN"
DRILL_ID_VARIABLE = "HADRILL_DRILL_ID"
# Written by hadrill into every log directory it creates: the only directories it removes.
LOG_DIR_MARKER = ".hadrill-process-logs"
# /proc/net/tcp state of a listening socket.
TCP_LISTEN = "0A"


def fill(text, values):
    return string.Template(text).safe_substitute({key: str(value) for key, value in values.items()})


def command_argv(command, placeholders):
    return shlex.split(fill(command or "", placeholders or {}))


def pid_file(log_dir, name):
    """The identity file (JSON: pid, start_time, token), written the moment the process is forked."""
    return os.path.join(log_dir, "%s.pid" % name)


# -- what /proc says ----------------------------------------------------------------------------


def _stat_fields(pid):
    """Fields of /proc/<pid>/stat after the command name (field 3, the state, is index 0)."""
    try:
        with open("/proc/%d/stat" % int(pid), encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError, ValueError):
        return None


def start_time(pid):
    """Start time of ``pid`` in clock ticks since boot (None when it is gone)."""
    fields = _stat_fields(pid)
    try:
        return int(fields[19]) if fields else None
    except (IndexError, ValueError):
        return None


def session_id(pid):
    fields = _stat_fields(pid)
    try:
        return int(fields[3]) if fields else None
    except (IndexError, ValueError):
        return None


def alive(pid):
    """True while ``pid`` runs; a zombie (exited, not yet reaped) counts as gone."""
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] != "Z"


def environ(pid):
    """The environment of ``pid`` (None when it cannot be read: gone, or another user's without root)."""
    try:
        with open("/proc/%d/environ" % int(pid), "rb") as handle:
            raw = handle.read()
    except (OSError, ValueError):
        return None
    found = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            found[key.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
    return found


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % int(pid), "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", errors="replace").strip()
    except (OSError, ValueError):
        return ""


def pids():
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def carrying_token(token):
    """Every live process whose environment carries ``token``: what the drill started and what
    that started in turn (an environment is inherited), whatever it calls itself."""
    if not token:
        return []
    found = []
    for pid in pids():
        env = environ(pid)
        if env and env.get(TOKEN_VARIABLE) == token and alive(pid):
            found.append(pid)
    return found


def read_identity(path):
    """The identity file of a started process: {"pid", "start_time", "token"} (None when unreadable)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("pid"), int):
        return None
    return value


def write_identity(path, pid, token):
    """Record ``pid`` and its start time, read while the forked child cannot have exited
    (it waits for exec), next to the token it carries."""
    identity = {"pid": pid, "start_time": start_time(pid), "token": token}
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(identity) + "\n")
    return identity


def is_ours(identity, token):
    """Whether the process ``identity`` names still runs and is the one the drill started.

    Same pid and same start time: the very process (even after an ``exec`` that dropped its
    environment). Without a recorded start time, its environment must carry the drill's token.
    """
    if not identity or not alive(identity["pid"]):
        return False
    recorded = identity.get("start_time")
    if recorded is not None:
        return start_time(identity["pid"]) == recorded
    env = environ(identity["pid"])
    return bool(env) and env.get(TOKEN_VARIABLE) == token


# -- ports --------------------------------------------------------------------------------------


EPHEMERAL_RANGE = "/proc/sys/net/ipv4/ip_local_port_range"


def ephemeral_problem(port, range_text=None):
    """Why ``port`` is unsafe to bind: it lies in the host's ephemeral port range, from which the
    kernel picks the local port of every outgoing connection (so one may take it between a check
    and the start); None when it does not. ``range_text`` is the content of ``EPHEMERAL_RANGE``
    (read here when not given)."""
    if range_text is None:
        try:
            with open(EPHEMERAL_RANGE, encoding="ascii") as handle:
                range_text = handle.read()
        except OSError:
            return None
    try:
        low, high = (int(item) for item in range_text.split()[:2])
    except ValueError:
        return None
    if low <= int(port) <= high:
        return ("port %d lies in this host's ephemeral port range %d-%d (net.ipv4.ip_local_port_range), from which "
                "outgoing connections take their local ports: choose a port below %d" % (int(port), low, high, low))
    return None


SOCKET_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")


def listening_inodes(port):
    """Socket inodes listening on TCP ``port`` (any address, IPv4 or IPv6) on this host."""
    found = set()
    for table in SOCKET_TABLES:
        try:
            with open(table, encoding="ascii") as handle:
                found |= listening_inodes_in(handle.read(), port)
        except OSError:
            continue
    return found


def listening_inodes_in(table_text, port):
    """Socket inodes listening on TCP ``port`` in the text of socket tables (``SOCKET_TABLES``,
    one or several concatenated: their header lines are skipped)."""
    found = set()
    for line in table_text.splitlines():
        fields = line.split()
        if len(fields) < 10 or fields[3] != TCP_LISTEN or ":" not in fields[1]:
            continue
        try:
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
        except ValueError:
            continue
        if local_port == int(port) and fields[9] != "0":
            found.add(fields[9])
    return found


def socket_owners(inodes):
    """Pids holding one of the socket ``inodes`` open (needs root for other users' processes)."""
    wanted = {"socket:[%s]" % inode for inode in inodes}
    owners = []
    if not wanted:
        return owners
    for pid in pids():
        folder = "/proc/%d/fd" % pid
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            try:
                if os.readlink(os.path.join(folder, name)) in wanted:
                    owners.append(pid)
                    break
            except OSError:
                continue
    return owners
