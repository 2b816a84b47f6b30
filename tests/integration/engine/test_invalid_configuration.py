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


# --- a destructive work root: refused before any host is touched, however the drill is started ---

DESTRUCTIVE_WORK_ROOTS = {
    # (value given with -e, what the refusal says about it)
    "/etc": ("/etc", "expected a dedicated directory outside the system tree /etc, got '/etc'"),
    "the primary's data directory": ("{{ sandbox_pg_data }}/restore", "which is inside db_data_dir of pg-primary"),
}


def snapshot_of(path: Path) -> tuple[int, int, int, int]:
    """Owner, group, mode and modification time of a directory (what a chown/chmod/mkdir changes)."""
    stat = path.stat()
    return stat.st_uid, stat.st_gid, stat.st_mode, stat.st_mtime_ns


def canary_table_exists(sandbox) -> bool:
    import psycopg

    with psycopg.connect(sandbox.db_admin_dsn, connect_timeout=5) as connection:
        return connection.execute("select to_regclass('hadrill_canary') is not null").fetchone()[0]


def assert_no_host_was_touched(sandbox, evidence_root: Path, before: dict[str, tuple]) -> None:
    assert not list(evidence_root.rglob("journal.jsonl")), "a journal entry was written"
    assert not list(evidence_root.glob("ha_drill_*")), "an evidence bundle was created"
    assert not list(evidence_root.glob(".locks/*.json")), "the drill lock was left behind"
    assert not canary_table_exists(sandbox), "the canary table was created on the primary"
    assert {path: snapshot_of(Path(path)) for path in before} == before, "a directory was changed"


@pytest.fixture
def untouched(sandbox) -> dict[str, tuple]:
    """/etc and the sandbox's primary data directory as they are before the refused drill."""
    assert not canary_table_exists(sandbox), "a canary table is left from an earlier drill"
    data_dir = sandbox.root / "pg" / "primary"
    return {str(path): snapshot_of(path) for path in (Path("/etc"), data_dir)}


@pytest.mark.parametrize("case", sorted(DESTRUCTIVE_WORK_ROOTS))
def test_hadrill_run_refuses_a_work_root_that_is_not_its_own(tmp_path, sandbox, untouched, case):
    value, expected = DESTRUCTIVE_WORK_ROOTS[case]
    result = subprocess.run([str(BIN / "hadrill"), "run", *sandbox.inventory_args, "--scenario", "restore",
                             "-e", f"db_restore_work_root={value}"],
                            cwd=REPO, env=drill_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert result.returncode == 3, result.stdout + result.stderr
    line = next(item for item in result.stderr.splitlines() if "db_restore_work_root: " in item)
    assert expected in line and "Nothing was run." in result.stderr
    assert_no_host_was_touched(sandbox, tmp_path, untouched)


@pytest.mark.parametrize("case", sorted(DESTRUCTIVE_WORK_ROOTS))
def test_ansible_playbook_refuses_a_work_root_that_is_not_its_own(tmp_path, sandbox, untouched, case):
    value, expected = DESTRUCTIVE_WORK_ROOTS[case]
    result = subprocess.run([str(BIN / "ansible-playbook"), "playbooks/drill.yml", *sandbox.inventory_args,
                             "-e", "drill_scenarios=restore", "-e", f"db_restore_work_root={value}"],
                            cwd=REPO, env=drill_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "db_restore_work_root: " in result.stdout and expected in result.stdout
    assert result.stdout.count("TASK [") == 1, result.stdout
    assert_no_host_was_touched(sandbox, tmp_path, untouched)
