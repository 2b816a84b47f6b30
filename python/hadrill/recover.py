"""Undo what an interrupted drill left open, from its journal (``hadrill recover``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hadrill import journal, lock
from hadrill.extravars import ExtraVars
from hadrill.finalize import finalize
from hadrill.journal import JournalEntry
from hadrill.layout import Bundle, is_bundle
from hadrill.processes import alive, children, cmdline, descendants, environ, state
from hadrill.project import COLLECTION, Project
from hadrill.runner import DRILL_ENVIRONMENT_VARIABLE


class RecoveryRefused(RuntimeError):
    pass


@dataclass
class BundleRecovery:
    bundle: Path
    attempted: list[JournalEntry]
    still_open: list[JournalEntry] = field(default_factory=list)
    playbook_rc: int | None = None
    output_tail: str = ""


def bundles_with_open_entries(evidence_root: Path, environment: str) -> list[tuple[Path, list[JournalEntry]]]:
    found = []
    for path in sorted(evidence_root.glob("ha_drill_*")):
        if not is_bundle(path):
            continue
        try:
            drill = json.loads(Bundle(path).drill.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if drill.get("environment") != environment:
            continue
        entries = journal.open_entries(path)
        if entries:
            found.append((path, entries))
    return found


def is_drill_playbook(pid: int) -> bool:
    command = cmdline(pid)
    # playbooks/drill.yml of a checkout, or the installed collection's playbook by name
    return "ansible-playbook" in command and ("drill.yml" in command or f"{COLLECTION}.drill" in command)


def drill_environment_of(pid: int) -> str | None:
    """The environment of the drill a playbook runs (``hadrill run`` sets it); None when unknown."""
    return (environ(pid) or {}).get(DRILL_ENVIRONMENT_VARIABLE) or None


def unattributed_orphans() -> list[int]:
    """Orphaned drill playbooks whose environment cannot be known (not started by ``hadrill run``):
    recovery leaves them alone and names them, whichever environment it recovers."""
    return [pid for pid in orphaned_drill_playbooks() if drill_environment_of(pid) is None]


def orphaned_drill_playbooks(is_drill: Callable[[int], bool] = is_drill_playbook) -> list[int]:
    """Drill playbooks whose controller is dead: under ansible-runner, ansible-playbook has its own
    session and ignores SIGHUP, so killing the controller's process group leaves it running the
    drill. Their parent is gone (ppid 1); so is that of a worker whose playbook died."""
    return [pid for pid in children().get(1, []) if pid != os.getpid() and is_drill(pid)]


def stop_orphans(environment: str | None = None, timeout: float = 10.0,
                 is_drill: Callable[[int], bool] | None = None) -> list[int]:
    """Kill the orphaned drill playbooks of ``environment`` and every process below them (their
    workers, each in its own session, and what those run). Another environment's orphans, and
    playbooks whose environment is unknown, are left alone (``is_drill`` replaces the choice).

    Everything is frozen (SIGSTOP) before it is killed, so that nothing forks meanwhile. Killing a
    playbook first and looking for its orphaned workers afterwards is not enough: a killed
    multi-threaded process keeps its children until its last thread is gone, and they are missed.
    """
    if is_drill is None:
        if not environment:
            raise ValueError("stop_orphans needs the environment whose orphans it stops")

        def is_drill(pid: int) -> bool:
            return is_drill_playbook(pid) and drill_environment_of(pid) == environment
    deadline = time.monotonic() + timeout
    roots = orphaned_drill_playbooks(is_drill)
    frozen: list[int] = []
    pending = list(roots)
    while pending and time.monotonic() < deadline:
        for pid in pending:
            _signal(pid, signal.SIGSTOP)
        frozen += pending
        while time.monotonic() < deadline and any(state(pid) not in {"T", "Z", None} for pid in pending):
            time.sleep(0.01)
        pending = [pid for pid in descendants(roots) if pid not in frozen]
    for pid in frozen:
        _signal(pid, signal.SIGKILL)
    while time.monotonic() < deadline and any(alive(pid) for pid in frozen):
        time.sleep(0.05)
    return frozen


def _signal(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass


def recover_bundle(project: Project, inventory: Path, bundle: Path, entries: list[JournalEntry],
                   vault_password_file: Path | None = None, timeout: float = 1800,
                   extra_vars: ExtraVars | None = None) -> BundleRecovery:
    """Run the recovery playbook over the bundle's open entries, then re-seal the bundle."""
    # The same extra vars as the drill (an overlay inventory may be part of them), then the entries.
    variables = {"drill_evidence_dir": str(bundle), "recover_entries": [entry.model_dump() for entry in entries]}
    fd, extra = tempfile.mkstemp(suffix=".json", prefix="hadrill-recover-")
    with os.fdopen(fd, "w") as handle:
        json.dump(variables, handle, default=str)
    env = {**os.environ, **project.environment(), "HADRILL_EVIDENCE_DIR": str(bundle),
           "ANSIBLE_NOCOLOR": "1"}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), project.recover_playbook, "-i", str(inventory.resolve()),
               *(extra_vars or ExtraVars()).cli_args(), "-e", f"@{extra}"]
    if vault_password_file:
        command += ["--vault-password-file", str(vault_password_file)]
    # The bundle is re-sealed below: drop the old manifest first so nothing reads it as current.
    Bundle(bundle).manifest.unlink(missing_ok=True)
    try:
        process = subprocess.run(command, cwd=project.root, env=env, capture_output=True, text=True, timeout=timeout)
    finally:
        os.unlink(extra)
    result = BundleRecovery(bundle=bundle, attempted=entries, playbook_rc=process.returncode,
                            output_tail="\n".join((process.stdout + process.stderr).splitlines()[-25:]))
    result.still_open = journal.open_entries(bundle)
    undone = len(entries) - len(result.still_open)
    finalize(bundle, sealed_by="hadrill recover", reason=f"recovery undid {undone} of {len(entries)} open action(s)")
    return result


def refuse_if_running(evidence_root: Path, environment: str) -> None:
    holder = lock.read_lock(evidence_root, environment)
    if holder and holder.get("pid") and alive(int(holder["pid"])):
        raise RecoveryRefused(
            f"drill {holder.get('drill_id')} is still running on {environment!r} (pid {holder['pid']}); "
            "interrupt it first (Ctrl-C on hadrill run cleans up by itself)"
        )
