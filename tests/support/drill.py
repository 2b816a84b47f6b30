"""Running hadrill and ansible-playbook from tests, the way an operator would."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"


def drill_env(evidence_root: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a drill run from the project: its ansible.cfg, the venv first on PATH,
    and (when given) a private evidence root so tests never write into artifacts/."""
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1", **extra}
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    if evidence_root is not None:
        env["HADRILL_EVIDENCE_ROOT"] = str(evidence_root)
    return env


def hadrill(*args: str, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "hadrill"), *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


def ansible_playbook(*args: str, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "ansible-playbook"), *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)
