"""Undo what an interrupted drill left open, from its journal (``hadrill recover``, the recover playbook).

The open entries are read from the journal on the target side (``hadrill.target_journal``), so
recovery needs only the inventory: whatever evidence root the drill used, and whether or not its
controller (an AWX job's container) still exists. A bundle found on this controller is read too
and re-sealed; one that is not here is named with what the journal recorded about it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hadrill import journal, lock
from hadrill.extravars import ExtraVars
from hadrill.journal import JournalEntry
from hadrill.layout import Bundle, is_bundle
from hadrill.processes import alive, children, cmdline, descendants, environ, state
from hadrill.project import COLLECTION, Project
from hadrill.runner import DRILL_ENVIRONMENT_VARIABLE
from hadrill.target_journal import JournalUnavailable, TargetJournal


class RecoveryRefused(RuntimeError):
    pass


@dataclass
class DrillToRecover:
    """One interrupted drill: its open entries (each with ``drill_id``) and where its bundle is."""

    drill_id: str
    entries: list[JournalEntry]
    # The bundle on this controller (None: not here; recovery then says where it was recorded).
    bundle: Path | None = None
    recorded: dict[str, Any] = field(default_factory=dict)  # the drill's row in the target journal
    # Entries closed in the bundle whose close the target missed: closed there, not undone again.
    closed_in_bundle: list[str] = field(default_factory=list)

    def describe_bundle(self) -> str:
        if self.bundle is not None:
            return f"bundle {self.bundle}"
        detail = self.recorded.get("detail") or {}
        where = detail.get("evidence_dir") or "an unrecorded place"
        controller = detail.get("controller") or "an unknown controller"
        seal = detail.get("seal") or {}
        upload = detail.get("upload") or {}
        text = f"bundle not on this controller (it was at {where} on {controller}"
        if seal.get("manifest_sha256"):
            text += f"; sealed, MANIFEST sha256 {seal['manifest_sha256']}"
        else:
            text += "; never sealed: its evidence is lost unless that controller still has it"
        if upload.get("ok"):
            text += f"; uploaded to {upload.get('location')}"
        return text + ")"


@dataclass
class RecoveryRun:
    returncode: int | None
    output_tail: str = ""


def target_journal_of(config: Any) -> TargetJournal:
    """The environment's journal on the target side, from its validated configuration."""
    name, database = config.db_primary
    return TargetJournal(conninfo=database.conninfo(), table=config.settings.drill_journal_table,
                         environment=config.settings.drill_environment, database=name)


def local_bundles(evidence_root: Path, environment: str) -> list[Path]:
    """This environment's bundles under ``evidence_root`` that have open journal entries."""
    found = []
    for path in sorted(evidence_root.glob("ha_drill_*")):
        if is_bundle(path) and _environment_of(path) == environment and journal.open_entries(path):
            found.append(path)
    return found


def _environment_of(bundle: Path) -> str | None:
    try:
        drill = json.loads(Bundle(bundle).drill.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return drill.get("environment") if isinstance(drill, dict) else None


def _bundle_here(path: Any, drill_id: str, environment: str) -> Path | None:
    """The drill's bundle at ``path`` when it is on this controller (and is that drill's)."""
    if not path:
        return None
    bundle = Path(str(path))
    if bundle.name == drill_id and is_bundle(bundle) and _environment_of(bundle) == environment:
        return bundle
    return None


def plan(target: TargetJournal, evidence_dirs: Iterable[Path] = ()) -> tuple[list[DrillToRecover], list[str]]:
    """What recovery must undo, newest drill first: the open entries of the environment's drills in
    the journal on the target side, and those of the given local bundles (entries journaled by an
    older hadrill, or when the target cannot be read). Read-only. Returns (drills, warnings)."""
    environment = target.environment
    warnings: list[str] = []
    bundles = {path.name: path for path in (Path(item) for item in evidence_dirs)
               if _bundle_here(path, path.name, environment) is not None}
    rows: dict[str, dict[str, Any]] = {}
    remote: dict[str, list[dict[str, Any]]] = {}
    try:
        for row in target.open_entries():
            remote.setdefault(str(row["drill_id"]), []).append(row)
        rows = target.drills(sorted(set(remote) | set(bundles)))
    except JournalUnavailable as exc:
        if not bundles:
            raise
        warnings.append(f"{exc}; recovering from the bundles on this controller only")
    drills = []
    for drill_id in sorted(set(remote) | set(bundles), reverse=True):
        recorded = rows.get(drill_id, {})
        bundle = bundles.get(drill_id) or _bundle_here((recorded.get("detail") or {}).get("evidence_dir"), drill_id,
                                                         environment)
        item = DrillToRecover(drill_id=drill_id, entries=[], bundle=bundle, recorded=recorded)
        local = {entry.id: entry for entry in journal.entries(bundle)} if bundle is not None else {}
        for row in remote.get(drill_id, []):
            mine = local.get(str(row["id"]))
            if mine is not None and mine.closed_at is not None:
                item.closed_in_bundle.append(str(row["id"]))
                continue
            item.entries.append(JournalEntry.model_validate({
                "id": str(row["id"]), "action": row["action"], "scenario": row.get("scenario"), "host": row.get("host"),
                "undo": row.get("undo") or {}, "opened_at": str(row["opened_at"]), "drill_id": drill_id}))
        known = {entry.id for entry in item.entries} | set(item.closed_in_bundle)
        for entry in local.values():
            if entry.closed_at is None and entry.id not in known:
                item.entries.append(entry.model_copy(update={"drill_id": drill_id}))
        item.entries.sort(key=lambda entry: entry.opened_at)
        if item.entries or item.closed_in_bundle:
            drills.append(item)
    return drills, warnings


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


def run_recovery(project: Project, inventory: Path, *, evidence_dirs: Iterable[Path] = (),
                 vault_password_file: Path | None = None, timeout: float = 1800,
                 extra_vars: ExtraVars | None = None) -> RecoveryRun:
    """Run the recover playbook with the drill's inventory (and extra vars): it reads the open
    entries from the journal on the target side, undoes them and re-seals the bundles it finds
    here. ``evidence_dirs``: bundles of this controller with open entries, read as well."""
    variables = {"recover_evidence_dirs": [str(path) for path in evidence_dirs]}
    fd, extra = tempfile.mkstemp(suffix=".json", prefix="hadrill-recover-")
    with os.fdopen(fd, "w") as handle:
        json.dump(variables, handle)
    env = {**os.environ, **project.environment(), "ANSIBLE_NOCOLOR": "1"}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), project.recover_playbook, "-i", str(inventory.resolve()),
               *(extra_vars or ExtraVars()).cli_args(), "-e", f"@{extra}"]
    if vault_password_file:
        command += ["--vault-password-file", str(vault_password_file)]
    try:
        process = subprocess.run(command, cwd=project.root, env=env, capture_output=True, text=True, timeout=timeout)
    finally:
        os.unlink(extra)
    return RecoveryRun(returncode=process.returncode,
                       output_tail="\n".join((process.stdout + process.stderr).splitlines()[-25:]))


def refuse_if_running(evidence_root: Path, environment: str) -> None:
    holder = lock.read_lock(evidence_root, environment)
    if holder and holder.get("pid") and alive(int(holder["pid"])):
        raise RecoveryRefused(
            f"drill {holder.get('drill_id')} is still running on {environment!r} (pid {holder['pid']}); "
            "interrupt it first (Ctrl-C on hadrill run cleans up by itself)"
        )
