"""The CLI as a deployment runs it: `python -m memstore` from a release directory."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.support.memstore import memstore_env, run_memstore


def test_help_from_release_dir(releases: Callable[..., Path]) -> None:
    release = releases("v0.1.8", 2, 3)
    env = memstore_env(release, "postgresql://x@127.0.0.1:1/x")
    result = run_memstore(release, ["--help"], env)
    assert result.returncode == 0 and "migrate" in result.stdout
    assert run_memstore(release, ["frobnicate"], env).returncode == 2


def test_release_file_found_beside_package(releases: Callable[..., Path]) -> None:
    """Run from a release dir, the manifest beside the package names the release."""
    release = releases("v0.1.8", 2, 3)
    env = memstore_env(release, "postgresql://x@127.0.0.1:1/x")
    result = subprocess.run(
        [sys.executable, "-c", "import memstore, os; from memstore.config import load_settings;"
         " print(memstore.__file__); print(load_settings(os.environ).release)"],
        cwd=release, env=env, capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 0, result.stderr
    package_file, release_repr = result.stdout.splitlines()
    assert package_file == str(release / "memstore" / "__init__.py")  # the copy, not the repo
    assert "version='v0.1.8'" in release_repr and "schema_max=3" in release_repr
