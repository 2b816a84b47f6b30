"""Undo what an interrupted drill left open, from its journal (``hadrill recover``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from hadrill import journal, lock
from hadrill.extravars import ExtraVars
from hadrill.finalize import finalize
from hadrill.journal import JournalEntry
from hadrill.layout import Bundle, is_bundle
from hadrill.processes import alive, cmdline, parent_pid

RECOVER_PLAYBOOK = "playbooks/recover.yml"


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


def orphaned_drill_workers() -> list[int]:
    """Ansible workers of a dead drill: they called setsid(), so killing the controller's
    process group leaves them running a half-finished task. Their parent is gone (ppid 1)."""
    orphans = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        command = cmdline(int(entry.name))
        if "ansible-playbook" in command and "drill.yml" in command and parent_pid(int(entry.name)) == 1:
            orphans.append(int(entry.name))
    return orphans


def stop_orphans(timeout: float = 10.0) -> list[int]:
    """Kill orphaned drill processes, in waves: once an orphaned ansible-playbook is gone, its own
    workers are orphans in turn."""
    stopped: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        victims = [pid for pid in orphaned_drill_workers() if pid not in stopped]
        if not victims:
            break
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        stopped += victims
        while time.monotonic() < deadline and any(alive(pid) for pid in victims):
            time.sleep(0.05)
    return stopped


def recover_bundle(project: Path, inventory: Path, bundle: Path, entries: list[JournalEntry],
                   vault_password_file: Path | None = None, timeout: float = 1800,
                   extra_vars: ExtraVars | None = None) -> BundleRecovery:
    """Run the recovery playbook over the bundle's open entries, then re-seal the bundle."""
    # The same extra vars as the drill (an overlay inventory may be part of them), then the entries.
    variables = {"drill_evidence_dir": str(bundle), "recover_entries": [entry.model_dump() for entry in entries]}
    fd, extra = tempfile.mkstemp(suffix=".json", prefix="hadrill-recover-")
    with os.fdopen(fd, "w") as handle:
        json.dump(variables, handle, default=str)
    env = {**os.environ, "ANSIBLE_CONFIG": str(project / "ansible.cfg"), "HADRILL_EVIDENCE_DIR": str(bundle),
           "ANSIBLE_NOCOLOR": "1"}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), RECOVER_PLAYBOOK, "-i", str(inventory.resolve()),
               *(extra_vars or ExtraVars()).cli_args(), "-e", f"@{extra}"]
    if vault_password_file:
        command += ["--vault-password-file", str(vault_password_file)]
    # The bundle is re-sealed below: drop the old manifest first so nothing reads it as current.
    Bundle(bundle).manifest.unlink(missing_ok=True)
    try:
        process = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=timeout)
    finally:
        os.unlink(extra)
    result = BundleRecovery(bundle=bundle, attempted=entries, playbook_rc=process.returncode,
                            output_tail="\n".join((process.stdout + process.stderr).splitlines()[-25:]))
    result.still_open = journal.open_entries(bundle)
    finalize(bundle)
    return result


def refuse_if_running(evidence_root: Path, environment: str) -> None:
    holder = lock.read_lock(evidence_root, environment)
    if holder and holder.get("pid") and alive(int(holder["pid"])):
        raise RecoveryRefused(
            f"drill {holder.get('drill_id')} is still running on {environment!r} (pid {holder['pid']}); "
            "interrupt it first (Ctrl-C on hadrill run cleans up by itself)"
        )
