"""Production guard and one drill at a time (controller lock and the target's advisory lock)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from hadrill.events import read_lines
from tests.support.drill import BIN, REPO, drill_env, hadrill


pytestmark = pytest.mark.integration


@pytest.fixture
def production_inventory(tmp_path, sandbox) -> Path:
    """The sandbox inventory, marked production."""
    copy = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "local", copy)
    drill = copy / "group_vars" / "all" / "drill.yml"
    drill.write_text(drill.read_text().replace("drill_environment_class: sandbox", "drill_environment_class: production"))
    return copy


def overlay_args(sandbox) -> list[str]:
    return sandbox.inventory_args[2:]


def test_production_refuses_fault_scenarios_without_opt_in(production_inventory, sandbox, tmp_path):
    env = drill_env(tmp_path)
    for scenario in ("restore", "rollback", "replay"):
        refused = hadrill("run", "-i", str(production_inventory), *overlay_args(sandbox), "--scenario", scenario, env=env)
        assert refused.returncode == 3, refused.stdout + refused.stderr
        assert "drill_allow_production: this inventory is production" in refused.stderr
        assert "--allow-production --drill-id ID --confirm-id ID" in refused.stderr
    unconfirmed = hadrill("run", "-i", str(production_inventory), *overlay_args(sandbox), "--scenario", "rollback",
                          "--allow-production", "--drill-id", "ha_drill_20261128_local_91", env=env)
    assert unconfirmed.returncode == 3 and "drill_confirm_id" in unconfirmed.stderr
    mistyped = hadrill("run", "-i", str(production_inventory), *overlay_args(sandbox), "--scenario", "rollback",
                       "--allow-production", "--drill-id", "ha_drill_20261128_local_91",
                       "--confirm-id", "ha_drill_20261128_local_19", env=env)
    assert mistyped.returncode == 3 and "drill_confirm_id" in mistyped.stderr
    assert not list(tmp_path.glob("ha_drill_*")), "a refused drill must not create a bundle"
    confirmed = hadrill("validate", "-i", str(production_inventory), *overlay_args(sandbox), "--scenario", "rollback",
                        "-e", "drill_allow_production=true", "-e", "drill_id=ha_drill_20261128_local_91",
                        "-e", "drill_confirm_id=ha_drill_20261128_local_91", env=env)
    assert confirmed.returncode == 0, confirmed.stderr


def test_production_refusal_through_ansible_playbook(production_inventory, sandbox, tmp_path):
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "playbooks/drill.yml", "-i", str(production_inventory), *overlay_args(sandbox),
         "-e", "drill_scenarios=replay"],
        cwd=REPO, env=drill_env(tmp_path), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode != 0
    assert "drill_allow_production" in result.stdout and result.stdout.count("TASK [") == 1
    assert not list(tmp_path.glob("ha_drill_*"))


def test_production_allows_a_drill_without_fault_injection(production_inventory, sandbox, tmp_path):
    result = hadrill("run", "-i", str(production_inventory), *overlay_args(sandbox), "--scenario", "none", env=drill_env(tmp_path))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr


def test_a_second_drill_on_the_same_controller_refuses_while_the_first_runs(sandbox, tmp_path):
    env = drill_env(tmp_path)
    first = subprocess.Popen([str(BIN / "hadrill"), "run", *sandbox.inventory_args, "--scenario", "none"], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            bundles = list(tmp_path.glob("ha_drill_*/events.jsonl"))
            if bundles and any(item.get("name") == "preconditions_started" for item in read_lines(bundles[0])):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the first drill did not start")
        second = hadrill("run", *sandbox.inventory_args, "--scenario", "none", env=env)
        assert second.returncode == 3, second.stdout[-2000:]
        assert "is busy: drill ha_drill_" in second.stdout + second.stderr
        assert "one drill at a time" in second.stdout + second.stderr
    finally:
        output, _ = first.communicate(timeout=600)
    assert first.returncode == 0, output[-2000:]
    assert len(list(tmp_path.glob("ha_drill_*"))) == 1


def test_a_drill_refuses_while_another_controller_holds_the_target_lock(sandbox, tmp_path):
    """Another controller (another evidence root, same database) is running a drill."""
    db = sandbox.facts["db"]
    environment = sandbox.facts["drill_environment"]
    with psycopg.connect(sandbox.db_admin_dsn, autocommit=True, application_name="hadrill other-controller") as other:
        key = other.execute("select hashtextextended(%s, 0)", (f"hadrill:{environment}",)).fetchone()[0]
        assert other.execute("select pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
        refused = hadrill("run", *sandbox.inventory_args, "--scenario", "none", env=drill_env(tmp_path))
    assert refused.returncode == 3, refused.stdout[-2000:]
    text = refused.stdout + refused.stderr
    assert f"another drill holds the drill lock 'hadrill:{environment}'" in text
    assert "hadrill other-controller" in text
    assert not list(tmp_path.glob("ha_drill_*"))
    assert db["port"]
