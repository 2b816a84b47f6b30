"""The guard holds however a drill is started: hadrill run, plain ansible-playbook with
--start-at-task, --tags, --check, extra vars, mixed inventories, and a scenario role included from
a user's own playbook. Each refusal is shown to change nothing on any host: no journal entry, no
canary table, no verification instance or directory, every replica and worker as before."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import psycopg
import pytest

from hadrill.events import read_lines
from tests.support.drill import REPO, ansible_playbook, drill_env

pytestmark = pytest.mark.integration


def _inventory_copy(tmp_path: Path, environment_class: str) -> Path:
    copy = tmp_path / f"inventory-{environment_class}"
    shutil.copytree(REPO / "inventories" / "local", copy)
    drill = copy / "group_vars" / "all" / "drill.yml"
    drill.write_text(drill.read_text().replace("drill_environment_class: sandbox", f"drill_environment_class: {environment_class}"))
    return copy


@pytest.fixture
def production_inventory(tmp_path, sandbox) -> Path:
    return _inventory_copy(tmp_path, "production")


def overlay(sandbox) -> list[str]:
    """The -e @vars of a private sandbox (nothing for the default one)."""
    return sandbox.inventory_args[2:]


def _host_state(sandbox) -> dict:
    """What a fault would change, read from outside hadrill."""
    with psycopg.connect(sandbox.db_admin_dsn, autocommit=True, connect_timeout=5) as conn:
        # hadrill's tables but its journal (which a drill keeps: hadrill.target_journal)
        canary = conn.execute("select count(*) from pg_tables where tablename like 'hadrill%' "
                              "and tablename <> 'hadrill_journal'").fetchone()[0]
    work_root = Path(sandbox.facts["restore_work_root"])
    listening = Path("/proc/net/tcp").read_text()
    ports = {port: f":{port:04X} " in listening for port in sandbox.facts["restore_ports"]}
    links = {host: os.path.realpath(Path(sandbox.facts["release_root"]).parent / "hosts" / host / "current")
             for host in ("api-1", "api-2", "worker-1")}
    return {
        "canary_tables": canary,
        "work_root": sorted(path.name for path in work_root.iterdir()) if work_root.is_dir() else None,
        "verification_ports_listening": ports,
        "programs": sandbox.program_states(),
        "release_links": links,
    }


def _journal_entries(evidence_root: Path) -> list[dict]:
    return [line for journal in evidence_root.glob("ha_drill_*/journal.jsonl") for line in read_lines(journal)]


def _assert_refused_and_unchanged(result, before, sandbox, evidence_root, *expected):
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    for text in expected:
        assert text in output, output[-3000:]
    assert _host_state(sandbox) == before
    assert _journal_entries(evidence_root) == []
    scenario_starts = [line for events in evidence_root.glob("ha_drill_*/events.jsonl") for line in read_lines(events)
                       if line.get("name") in ("scenario_started", "incident", "candidate_deployed", "worker_paused")]
    assert scenario_starts == []


def test_start_at_task_cannot_reach_a_scenario(production_inventory, sandbox, tmp_path):
    before = _host_state(sandbox)
    for inventory in (production_inventory, _inventory_copy(tmp_path, "staging")):
        for task in ("Scenario A: database restore", "Scenario B: API rollback", "Scenario C: worker recovery and replay"):
            result = ansible_playbook("playbooks/drill.yml", "-i", str(inventory), *overlay(sandbox),
                                      "-e", '{"drill_selected_scenarios": ["restore", "rollback", "replay"]}',
                                      "--start-at-task", task, env=drill_env(tmp_path))
            _assert_refused_and_unchanged(result, before, sandbox, tmp_path, "no drill was started in this run")


def test_skipping_the_drill_with_tags_is_not_green(sandbox, tmp_path):
    before = _host_state(sandbox)
    skipped = ansible_playbook("playbooks/drill.yml", *sandbox.inventory_args, "--skip-tags", "always",
                               env=drill_env(tmp_path))
    _assert_refused_and_unchanged(skipped, before, sandbox, tmp_path, "the drill did not run")
    for tags in (["--tags", "preconditions"], ["--tags", "restor"], ["--skip-tags", "gates"]):
        refused = ansible_playbook("playbooks/drill.yml", *sandbox.inventory_args, *tags, env=drill_env(tmp_path))
        _assert_refused_and_unchanged(refused, before, sandbox, tmp_path, "a drill can only be narrowed to scenarios")
    outside = ansible_playbook("playbooks/drill.yml", *sandbox.inventory_args, "-e", "drill_scenarios=rollback",
                               "--tags", "restore", env=drill_env(tmp_path))
    _assert_refused_and_unchanged(outside, before, sandbox, tmp_path, "--tags restore: not among this drill's scenarios")
    assert not list(tmp_path.glob("ha_drill_*")), "a refusal at the first task creates no bundle"


def test_check_mode_is_refused_with_one_line(sandbox, tmp_path):
    before = _host_state(sandbox)
    result = ansible_playbook("playbooks/drill.yml", *sandbox.inventory_args, "--check", env=drill_env(tmp_path))
    _assert_refused_and_unchanged(result, before, sandbox, tmp_path, "do not run in check mode", "hadrill validate")
    assert not list(tmp_path.glob("ha_drill_*"))


def test_the_environment_class_cannot_be_lowered_or_mixed(production_inventory, sandbox, tmp_path):
    before = _host_state(sandbox)
    lowered = ansible_playbook("playbooks/drill.yml", "-i", str(production_inventory), *overlay(sandbox),
                               "-e", "drill_environment_class=staging", "-e", "drill_scenarios=restore",
                               env=drill_env(tmp_path))
    _assert_refused_and_unchanged(lowered, before, sandbox, tmp_path, "cannot be overridden for a run")
    # A class only in one host's vars: the others (and localhost, where the play runs) have none.
    mixed = _inventory_copy(tmp_path / "mixed", "production")
    drill = mixed / "group_vars" / "all" / "drill.yml"
    drill.write_text(drill.read_text().replace("drill_environment_class: production", ""))
    (mixed / "host_vars").mkdir()
    (mixed / "host_vars" / "pg-primary.yml").write_text("drill_environment_class: production\n")
    unset = ansible_playbook("playbooks/drill.yml", "-i", str(mixed), *overlay(sandbox), "-e", "drill_scenarios=none",
                             env=drill_env(tmp_path))
    _assert_refused_and_unchanged(unset, before, sandbox, tmp_path, "drill_environment_class: not set for")
    drill.write_text(drill.read_text() + "\ndrill_environment_class: staging\n")
    differing = ansible_playbook("playbooks/drill.yml", "-i", str(mixed), *overlay(sandbox), "-e", "drill_scenarios=none",
                                 env=drill_env(tmp_path))
    _assert_refused_and_unchanged(differing, before, sandbox, tmp_path, "expected the same class on every host of the inventory")
    assert not list(tmp_path.glob("ha_drill_*"))


USER_PLAYBOOK = """
- name: A user's own playbook that runs one scenario role directly
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Restore drill without the drill playbook
      ansible.builtin.include_role:
        name: hadrill.drills.{role}
"""


@pytest.mark.parametrize("role", ["db_restore", "api_rollback", "worker_replay"])
def test_a_scenario_role_included_from_a_user_playbook_is_refused(role, production_inventory, sandbox, tmp_path):
    before = _host_state(sandbox)
    playbook = tmp_path / "mine.yml"
    playbook.write_text(USER_PLAYBOOK.format(role=role))
    for inventory in (production_inventory, REPO / "inventories" / "local"):
        # Even handed the facts drill_start would set, pointing at an old bundle of another run.
        old = tmp_path / "ha_drill_20261201_local_77"
        old.mkdir(exist_ok=True)
        (old / "drill.json").write_text(json.dumps({"drill_id": old.name, "environment": "local",
                                                    "environment_class": "sandbox", "scenarios": ["restore"]}))
        try:
            result = ansible_playbook(str(playbook), "-i", str(inventory), *overlay(sandbox),
                                      "-e", f"drill_evidence_dir={old}", "-e", f"drill_id={old.name}",
                                      env=drill_env(tmp_path))
        finally:
            shutil.rmtree(old)  # a hand-made stand-in, not a bundle the published schemas describe
        _assert_refused_and_unchanged(result, before, sandbox, tmp_path, "was not started by this run")
        without = ansible_playbook(str(playbook), "-i", str(inventory), *overlay(sandbox), env=drill_env(tmp_path))
        _assert_refused_and_unchanged(without, before, sandbox, tmp_path, "no drill was started in this run")
