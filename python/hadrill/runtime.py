"""Controller-side runtime files of a running drill, kept outside the evidence bundle.

The secret list lives here (mode 0600) so the timer callback and action plugins can redact
without the secrets ever touching the bundle; the drill's finalize step removes it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hadrill.redact import Redactor

RUNTIME_DIR = ".runtime"


def runtime_dir(evidence_dir: Path) -> Path:
    return evidence_dir.parent / RUNTIME_DIR


def secrets_file(evidence_dir: Path) -> Path:
    return runtime_dir(evidence_dir) / f"{evidence_dir.name}.secrets.json"


def write_secrets(evidence_dir: Path, secrets: set[str]) -> None:
    path = secrets_file(evidence_dir)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(sorted(secrets), handle)


def load_redactor(evidence_dir: Path) -> Redactor:
    path = secrets_file(evidence_dir)
    try:
        return Redactor(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return Redactor()


def remove_secrets(evidence_dir: Path) -> None:
    try:
        secrets_file(evidence_dir).unlink()
    except FileNotFoundError:
        pass


def remove_drill_files(evidence_dir: Path) -> None:
    """Drop the drill's private runtime files (secret list, sampler specs holding DSNs)."""
    import shutil

    remove_secrets(evidence_dir)
    shutil.rmtree(runtime_dir(evidence_dir) / evidence_dir.name, ignore_errors=True)
