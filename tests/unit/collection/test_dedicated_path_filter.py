"""The sandbox role's root check is hadrill's one path rule (the filter, not a second rule)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[3] / "collection/plugins/filter/dedicated_path.py"
spec = importlib.util.spec_from_file_location("hadrill_dedicated_path_under_test", SOURCE)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
dedicated_path = module.FilterModule().filters()["dedicated_path"]


@pytest.mark.parametrize("path", ["/", "/var/lib", "/etc/hadrill", "/tmp", "var/lib/x", "/var/lib/../etc", "/home/alice"])
def test_system_and_malformed_paths_are_refused(path):
    assert dedicated_path(path) != ""


def test_a_dedicated_directory_passes_and_the_database_directories_are_protected():
    assert dedicated_path("/var/lib/hadrill-sandbox") == ""
    assert "data" in dedicated_path("/srv/pg/data/x", {"the data directory": "/srv/pg/data"})
