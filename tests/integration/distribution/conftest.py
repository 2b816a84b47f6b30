"""What a user installs, built once for the packaging tests: scripts/build-dist's wheel and
collection tarball, in a temporary directory that every user can read (the sandbox inventory runs
modules as the postgres user with the controller's Python, which must be reachable)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import hadrill

REPO = Path(__file__).resolve().parents[3]
VERSION = hadrill.__version__


@pytest.fixture(scope="session")
def packaging_root() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="hadrill-packaging-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def dist(packaging_root: Path) -> dict[str, Path]:
    """{'wheel': ..., 'tarball': ...} built from the working tree by scripts/build-dist."""
    out = packaging_root / "dist"
    build = subprocess.run([str(REPO / "scripts" / "build-dist"), str(out)], cwd=REPO, env=dict(os.environ),
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    built = {"wheel": out / f"hadrill-{VERSION}-py3-none-any.whl", "tarball": out / f"hadrill-drills-{VERSION}.tar.gz"}
    assert sorted(path.name for path in out.iterdir()) == sorted(path.name for path in built.values())
    return built
