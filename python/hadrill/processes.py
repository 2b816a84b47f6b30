"""What /proc says about a process: whether it is alive, its command line, its environment, its parent."""

from __future__ import annotations

import os
from pathlib import Path


def state(pid: int) -> str | None:
    """The one-letter state of ``pid`` in /proc (R, S, T for stopped, Z for zombie...); None when gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            # The command name in parentheses may contain spaces: the state follows the last ")".
            return handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (exited, not yet reaped) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return state(pid) != "Z"


def cmdline(pid: int) -> str:
    """The command line of ``pid`` with spaces between arguments; empty when it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def environ(pid: int) -> dict[str, str] | None:
    """The environment ``pid`` was started with; None when gone or unreadable (another user's, without root)."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    found = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            found[key.decode(errors="replace")] = value.decode(errors="replace")
    return found


def parent_pid(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("PPid:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def children() -> dict[int, list[int]]:
    """Every process's children, from one pass over /proc."""
    found: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = parent_pid(int(entry.name))
            if parent is not None:
                found.setdefault(parent, []).append(int(entry.name))
    return found


def descendants(roots: list[int]) -> list[int]:
    """Every process below ``roots`` (children, their children...), roots excluded."""
    tree = children()
    found: list[int] = []
    todo = list(roots)
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found and child not in roots:
                found.append(child)
                todo.append(child)
    return found


def ancestors(pid: int) -> list[int]:
    """``pid``'s parent, its parent's parent... up to init (bounded: a pid cycle cannot loop)."""
    found: list[int] = []
    current = parent_pid(pid)
    while current and current not in found and len(found) < 256:
        found.append(current)
        current = parent_pid(current)
    return found
