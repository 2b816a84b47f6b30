"""Production guard and one drill at a time (controller lock and the target's advisory lock)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
import yaml

from hadrill.events import read_lines
from tests.support.drill import BIN, REPO, drill_env, hadrill


pytestmark = pytest.mark.integration


@pytest.fixture
def production_inventory(tmp_path, sandbox) -> Path:
    """The sandbox inventory, marked production. A production inventory names its environment
    itself (never an extra var): an alternative sandbox's drill_environment moves into it."""
    copy = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "local", copy)
    drill = copy / "group_vars" / "all" / "drill.yml"
    text = drill.read_text().replace("drill_environment_class: sandbox", "drill_environment_class: production")
    overlay = overlay_vars(sandbox)
    if "drill_environment" in overlay:
        text = text.replace("drill_environment: local", f"drill_environment: {overlay['drill_environment']}")
    drill.write_text(text)
    return copy


def overlay_vars(sandbox) -> dict:
    args = sandbox.inventory_args[2:]
    return yaml.safe_load(Path(args[1][1:]).read_text()) if args else {}


def overlay_args(sandbox) -> list[str]:
    """The alternative sandbox's vars, but its drill_environment (in the production inventory)."""
    values = {name: value for name, value in overlay_vars(sandbox).items() if name != "drill_environment"}
    if not values:
        return []
    path = Path(tempfile.gettempdir()) / f"hadrill-{sandbox.root.name}-production-overlay.yml"
    path.write_text(yaml.safe_dump(values))
    return ["-e", f"@{path}"]


def todays_id(sandbox, sequence: int, days: int = 0, environment: str | None = None) -> str:
    """A production drill id must be of today (UTC) and of the inventory's environment."""
    environment = environment or overlay_vars(sandbox).get("drill_environment", "local")
    day = datetime.now(timezone.utc) + timedelta(days=days)
    return f"ha_drill_{day:%Y%m%d}_{environment}_{sequence:02d}"


def test_production_refuses_fault_scenarios_without_opt_in(production_inventory, sandbox, tmp_path):
    env = drill_env(tmp_path)
    for scenario in ("restore", "rollback", "replay"):
        refused = hadrill("run", "-i", str(production_inventory), *overlay_args(sandbox), "--scenario", scenario, env=env)
        assert refused.returncode == 3, refused.stdout + refused.stderr
        assert "drill_allow_production: this inventory is production" in refused.stderr
        assert "--allow-production --drill-id ID --confirm-id ID" in refused.stderr
    unconfirmed = hadrill("run", "-i", str(production_inventory), *overlay_args(sandbox), "--scenario", "rollback",
                          "--allow-production", "--drill-id", todays_id(sandbox, 91), env=env)
    assert unconfirmed.returncode == 3 and "drill_confirm_id" in unconfirmed.stderr
    mistyped = hadrill("run", "-i", str(production_inventory), *overlay_args(sandbox), "--scenario", "rollback",
                       "--allow-production", "--drill-id", todays_id(sandbox, 91),
                       "--confirm-id", todays_id(sandbox, 19), env=env)
    assert mistyped.returncode == 3 and "drill_confirm_id" in mistyped.stderr
    stale = hadrill("run", "-i", str(production_inventory), *overlay_args(sandbox), "--scenario", "rollback",
                    "--allow-production", "--drill-id", todays_id(sandbox, 91, days=-1),
                    "--confirm-id", todays_id(sandbox, 91, days=-1), env=env)
    assert stale.returncode == 3 and "drill_id: expected today's date" in stale.stderr
    other = todays_id(sandbox, 91, environment="another-env")
    foreign = hadrill("run", "-i", str(production_inventory), *overlay_args(sandbox), "--scenario", "rollback",
                      "--allow-production", "--drill-id", other, "--confirm-id", other, env=env)
    assert foreign.returncode == 3 and "drill_id: expected the environment part" in foreign.stderr
    assert not list(tmp_path.glob("ha_drill_*")), "a refused drill must not create a bundle"
    confirmed = hadrill("validate", "-i", str(production_inventory), *overlay_args(sandbox), "--scenario", "rollback",
                        "-e", "drill_allow_production=true", "-e", f"drill_id={todays_id(sandbox, 91)}",
                        "-e", f"drill_confirm_id={todays_id(sandbox, 91)}", env=env)
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
