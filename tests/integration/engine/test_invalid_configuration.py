"""Invalid configuration fails before any task touches a host, naming the variable."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from tests.support.drill import BIN, REPO, drill_env


pytestmark = pytest.mark.integration

CASES = {
    "wrong type": (["-e", '{"drill_thresholds": {"rto_seconds": "soon"}}'], "drill_thresholds.rto_seconds"),
    "unknown scenario": (["-e", "drill_scenarios=restore,chaos"], "drill_scenarios: unknown scenario(s) ['chaos']"),
    "negative threshold": (["-e", '{"drill_thresholds": {"rpo_seconds": -5}}'], "drill_thresholds.rpo_seconds"),
}


@pytest.fixture
def inventory_without_endpoint(tmp_path) -> Path:
    """A copy of the local inventory whose api group lost api_base_url."""
    copy = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "local", copy)
    api_vars = copy / "group_vars" / "api.yml"
    api_vars.write_text("".join(line for line in api_vars.read_text().splitlines(True) if not line.startswith("api_base_url")))
    return copy


def assert_nothing_ran(evidence_root: Path) -> None:
    assert not list(evidence_root.glob("ha_drill_*")), "an evidence bundle was created"


@pytest.mark.parametrize("case", sorted(CASES))
def test_hadrill_run_refuses_with_the_variable_named(tmp_path, case):
    extra, expected = CASES[case]
    result = subprocess.run([str(BIN / "hadrill"), "run", "-i", "inventories/local", *extra], cwd=REPO,
                            env=drill_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 3
    assert expected in result.stderr and "Nothing was run." in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert_nothing_ran(tmp_path)


def test_missing_endpoint_is_named_with_its_host(tmp_path, inventory_without_endpoint):
    result = subprocess.run([str(BIN / "hadrill"), "run", "-i", str(inventory_without_endpoint)], cwd=REPO,
                            env=drill_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 3
    assert "host api-1 (group api): api_base_url: required but not set" in result.stderr
    assert "host api-2 (group api): api_base_url: required but not set" in result.stderr
    assert_nothing_ran(tmp_path)


@pytest.mark.parametrize("case", sorted(CASES))
def test_ansible_playbook_stops_at_the_first_task(tmp_path, case):
    extra, expected = CASES[case]
    result = subprocess.run([str(BIN / "ansible-playbook"), "playbooks/drill.yml", "-i", "inventories/local", *extra],
                            cwd=REPO, env=drill_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert expected in result.stdout
    assert result.stdout.count("TASK [") == 1, result.stdout
    assert_nothing_ran(tmp_path)
