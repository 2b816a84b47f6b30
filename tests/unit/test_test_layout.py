"""pytest's importlib mode registers a test package (a tests/ directory with __init__.py) under
its own short name: one named like an installed module (``packaging`` was) replaces that module
for every test collected after it (``No module named 'packaging.version'`` in unrelated tests)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent


def test_no_test_package_shadows_an_installed_module():
    shadowing = []
    for marker in TESTS.rglob("__init__.py"):
        name = marker.parent.name
        spec = importlib.util.find_spec(name) if name.isidentifier() else None
        origin = Path(spec.origin).resolve() if spec is not None and spec.origin else None
        if origin is not None and origin != marker.resolve():
            shadowing.append(f"{marker.parent.relative_to(REPO)} shadows {name} ({origin})")
    assert not shadowing, shadowing
