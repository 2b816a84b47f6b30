"""Drive the drill playbook through ansible-runner (as AWX does) and show live progress."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from hadrill.extravars import ExtraVars
from hadrill.processes import alive
from hadrill.project import Project
from hadrill.scenarios import scenario_for_role

# ansible-runner's private data directory: its artifacts hold raw task output, so it never goes into
# the evidence bundle and is removed when the run ends. The controller's pid in the name lets
# remove_leftover_private_dirs find those of a killed controller.
PRIVATE_DIR_PREFIX = "hadrill-runner-"
# Set for the drill's ansible-playbook: `hadrill recover` of one environment stops only the orphaned
# playbooks of that environment (read from /proc/<pid>/environ), never another environment's.
DRILL_ENVIRONMENT_VARIABLE = "HADRILL_DRILL_ENVIRONMENT"
# How long an interrupt of `hadrill run` may wait before ansible-runner kills the controller.
CANCEL_CHECK_SECONDS = 0.25


@dataclass
class RunOutcome:
    status: str
    rc: int | None
    evidence_dir: Path | None
    cancelled: bool
    failure: str | None = None


@dataclass
class Progress:
    """Turns runner events into one line per task, marker and figure."""

    out: TextIO
    started: float = field(default_factory=time.monotonic)
    evidence_dir: Path | None = None
    failure: str | None = None
    config_errors: list[str] = field(default_factory=list)
    heartbeat_seconds: float = 15.0
    _task: str = ""
    _task_where: tuple[str | None, str | None] = (None, None)
    _task_started: float = 0.0
    _last_output: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _line(self, scenario: str | None, phase: str | None, text: str) -> None:
        with self._lock:
            now = time.monotonic()
            where = f"{scenario or 'drill'}/{phase or '-'}"
            print(f"[{now - self.started:7.1f}s] {where:<28} {text}", file=self.out, flush=True)
            self._last_output = now

    def heartbeat(self) -> None:
        """Called periodically: say which long step is still running."""
        now = time.monotonic()
        if self._task and now - self._last_output >= self.heartbeat_seconds:
            self._line(*self._task_where, f"… {self._task} (running for {now - self._task_started:.0f}s)")

    def handle(self, event: Mapping[str, Any]) -> bool:
        kind = event.get("event")
        data = event.get("event_data") or {}
        role = data.get("role")
        scenario = scenario_for_role(role) or (role if role else None)
        phase = None
        task_path = data.get("task_path") or ""
        if role and task_path:
            phase = Path(task_path.rsplit(":", 1)[0]).stem
        if kind == "playbook_on_task_start":
            self._task = data.get("task") or ""
            self._task_where = (scenario, phase)
            self._task_started = time.monotonic()
        elif kind in {"runner_on_ok", "runner_on_failed"}:
            result = data.get("res") or {}
            name = data.get("task") or ""
            if kind == "runner_on_ok" and name and not name.startswith("Validating arguments"):
                took = data.get("duration")
                self._line(scenario, phase, f"✓ {name}" + (f" ({took:.1f}s)" if isinstance(took, (int, float)) and took >= 1 else ""))
            if result.get("hadrill_evidence_dir") and self.evidence_dir is None:
                self.evidence_dir = Path(result["hadrill_evidence_dir"])
                self._line(None, None, f"evidence: {self.evidence_dir}")
            marker = result.get("hadrill_marker")
            if isinstance(marker, dict) and not marker.get("name", "").startswith("sampler_"):
                figures = {key: value for key, value in (marker.get("data") or {}).items()
                           if isinstance(value, (int, float)) and not isinstance(value, bool)}
                extra = "  " + ", ".join(f"{key}={value:g}" for key, value in figures.items()) if figures else ""
                self._line(marker.get("scenario") or scenario, phase, f"● {marker.get('name')} at {marker.get('ts')}{extra}")
            if kind == "runner_on_failed" and not data.get("ignore_errors"):
                if result.get("hadrill_config_errors"):
                    self.config_errors = list(result["hadrill_config_errors"])
                message = str(result.get("msg") or "task failed").splitlines()[0]
                self.failure = self.failure or f"{data.get('task')}: {message}"
                self._line(scenario, phase, f"✗ {data.get('task')} on {data.get('host')}: {message[:300]}")
        return True


def _error_line(runner: Any) -> str | None:
    """The first error ansible-playbook printed (a parse error never becomes an event)."""
    try:
        text = runner.stdout.read()
    except (OSError, ValueError, AttributeError):
        return None
    for line in text.splitlines():
        if "ERROR" in line:
            return re.sub(r"\x1b\[[0-9;]*m", "", line).strip()[:500]
    return None


def run_drill(
    *,
    project: Project,
    inventory: Path,
    extra_vars: ExtraVars,
    progress: Progress,
    vault_password_file: Path | None = None,
    evidence_root: Path | None = None,
    on_cancel: Callable[[], None] | None = None,
    environment: str | None = None,
) -> RunOutcome:
    import ansible_runner

    cancel = threading.Event()

    def on_sigint(signum: int, frame: Any) -> None:
        if not cancel.is_set():
            print("\ninterrupt: stopping the drill; cleanup follows (interrupt again to leave it to `hadrill recover`)",
                  file=progress.out, flush=True)
            cancel.set()
            if on_cancel:
                on_cancel()
        else:
            raise KeyboardInterrupt

    ticking = threading.Event()

    def tick() -> None:
        while not ticking.wait(1.0):
            progress.heartbeat()

    ticker = threading.Thread(target=tick, name="hadrill-progress", daemon=True)
    ticker.start()
    previous_int = signal.signal(signal.SIGINT, on_sigint)
    previous_term = signal.signal(signal.SIGTERM, on_sigint)
    # Named by the controller's pid and the drill's environment: recovery of one environment
    # removes only its own killed controllers' directories.
    private = Path(tempfile.mkdtemp(prefix=f"{PRIVATE_DIR_PREFIX}{os.getpid()}-" + (f"{environment}-" if environment else "")))
    env_bin = str(Path(sys.executable).parent)
    envvars = {
        **project.environment(),
        "PATH": env_bin + os.pathsep + os.environ.get("PATH", ""),
        "ANSIBLE_FORCE_COLOR": "0",
        # The drill lock names this process: when it is killed, the drill is over (see drill_start).
        "HADRILL_CONTROLLER_PID": str(os.getpid()),
    }
    if environment:
        envvars[DRILL_ENVIRONMENT_VARIABLE] = environment
    if evidence_root is not None:
        envvars["HADRILL_EVIDENCE_ROOT"] = str(evidence_root)
    # Files first, inline values last (they win), exactly as ansible-playbook -e would get them.
    arguments = extra_vars.cli_args()
    if vault_password_file:
        arguments += ["--vault-password-file", str(vault_password_file)]
    cmdline = shlex.join(arguments) if arguments else None
    try:
        runner = ansible_runner.run(
            private_data_dir=str(private),
            project_dir=str(project.root),
            playbook=project.drill_playbook,
            inventory=str(inventory.resolve()),
            envvars=envvars,
            cmdline=cmdline,
            quiet=True,
            event_handler=progress.handle,
            cancel_callback=cancel.is_set,
            # ansible-runner looks at the cancellation each time it stops waiting for the playbook's
            # output, every pexpect_timeout seconds (5 by default): the drill went on for up to that
            # long after an interrupt, from a wait into its next step (the incident, the restore).
            settings={"pexpect_timeout": CANCEL_CHECK_SECONDS},
            ident="drill",
        )
        failure = progress.failure
        if runner.status == "failed" and failure is None:
            failure = _error_line(runner)
        return RunOutcome(status=runner.status, rc=runner.rc, evidence_dir=progress.evidence_dir,
                          cancelled=cancel.is_set(), failure=failure)
    finally:
        ticking.set()
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)
        shutil.rmtree(private, ignore_errors=True)


def remove_leftover_private_dirs(parent: Path | None = None, environment: str | None = None) -> list[Path]:
    """Remove the private data directories of controllers that were killed before cleaning up.

    A killed controller cannot remove its own directory, and ansible-runner's artifacts in it keep
    raw task output (which the evidence bundle redacts). Directories of running controllers stay.
    With ``environment``, only the directories of that environment's drills are removed.
    """
    parent = parent or Path(tempfile.gettempdir())
    removed = []
    for path in parent.glob(f"{PRIVATE_DIR_PREFIX}*-*"):
        pid, _, rest = path.name[len(PRIVATE_DIR_PREFIX):].partition("-")
        if not pid.isdigit() or not path.is_dir() or path.is_symlink() or alive(int(pid)):
            continue
        if environment is not None and not rest.startswith(f"{environment}-"):
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(path)
    return removed
