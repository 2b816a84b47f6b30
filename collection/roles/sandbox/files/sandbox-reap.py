#!/usr/bin/env python3
# Copyright: hadrill maintainers. GNU General Public License v3.0+ (see LICENSE).
"""Stop every process that belongs to a sandbox root, then report what is left.

A process belongs to the sandbox when its command line mentions ROOT as a path (ROOT itself or a
path below it: /var/lib/hadrill-sandbox never matches /var/lib/hadrill-sandbox-alt, a sandbox
running beside it) or its working directory is inside ROOT (PostgreSQL backends run in their
data directory, the app programs in their release directory). The caller and its ancestors are never touched. Processes get SIGTERM
(PostgreSQL postmasters SIGINT, a fast shutdown), then SIGKILL once TIMEOUT seconds have passed.
Prints one JSON object: {"signalled": [...], "killed": [...], "left": [...]}.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time


def ancestors() -> set[int]:
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
                pid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids


def names(root: str):
    """Matches ROOT in a command line where it is a whole path or a directory of one."""
    return re.compile(re.escape(root) + r"(?=/|$|[\s'\"=:;,])")


def members(root: str, spare: set[int]) -> dict[int, str]:
    found = {}
    mentions = names(root)
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in spare:
            continue
        pid = int(entry)
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if not cmdline:
            continue  # kernel thread or zombie
        try:
            cwd = os.path.realpath(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:
            cwd = ""
        if mentions.search(cmdline) or cwd == root or cwd.startswith(root + "/"):
            found[pid] = cmdline
    return found


def signal_all(pids, sig) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: sandbox-reap ROOT TIMEOUT", file=sys.stderr)
        return 2
    root = os.path.realpath(sys.argv[1])
    timeout = float(sys.argv[2])
    if root.count("/") < 2:
        print(f"refusing to reap processes under {root}", file=sys.stderr)
        return 2
    spare = ancestors()
    first = members(root, spare)
    report = {"signalled": [f"{pid} {cmd}" for pid, cmd in sorted(first.items())], "killed": [], "left": []}
    for pid, cmd in first.items():
        # PostgreSQL: SIGINT to a postmaster is a fast shutdown; backends follow their postmaster.
        signal_all([pid], signal.SIGINT if " -D " in f" {cmd} " and "postgres" in cmd.split()[0] else signal.SIGTERM)
    deadline = time.monotonic() + timeout
    remaining = members(root, spare)
    while remaining and time.monotonic() < deadline:
        time.sleep(0.2)
        remaining = members(root, spare)
    if remaining:
        report["killed"] = [f"{pid} {cmd}" for pid, cmd in sorted(remaining.items())]
        signal_all(remaining, signal.SIGKILL)
        end = time.monotonic() + 10
        while remaining and time.monotonic() < end:
            time.sleep(0.2)
            remaining = members(root, spare)
    report["left"] = [f"{pid} {cmd}" for pid, cmd in sorted(remaining.items())]
    print(json.dumps(report))
    return 1 if remaining else 0


if __name__ == "__main__":
    sys.exit(main())
