"""Host-side safety rules: the one path rule (the sandbox role's filter, not a second rule) and ports a drill may bind."""

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


def test_a_port_in_the_ephemeral_range_is_named_with_the_range():
    source = Path(__file__).resolve().parents[3] / "collection/plugins/module_utils/process_command.py"
    spec_pc = importlib.util.spec_from_file_location("hadrill_process_command_under_test", source)
    pc = importlib.util.module_from_spec(spec_pc)
    spec_pc.loader.exec_module(pc)
    assert "ephemeral port range 32768-60999" in pc.ephemeral_problem(55433, "32768\t60999\n")
    assert pc.ephemeral_problem(15433, "32768\t60999\n") is None
    assert pc.ephemeral_problem(15433, "garbage") is None
