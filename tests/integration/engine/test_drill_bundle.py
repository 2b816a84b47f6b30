"""A drill with no scenario (preconditions and gates) produces a bundle that verifies, three ways:
``hadrill run`` (ansible-runner), plain ansible-playbook, and ansible-runner as AWX runs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hadrill.events import read_lines
from hadrill.summary import SCHEMA_VERSION
from tests.support.drill import BIN, REPO, drill_env, hadrill
from tests.support.keys import PRINCIPALS, make_keys


pytestmark = pytest.mark.integration


def only_bundle(evidence_root: Path) -> Path:
    bundles = sorted(path for path in evidence_root.glob("ha_drill_*") if path.is_dir())
    assert len(bundles) == 1, bundles
    return bundles[0]


def assert_complete_bundle(bundle: Path) -> dict:
    for name in ("drill.json", "events.jsonl", "summary.json", "report.md", "MANIFEST.sha256"):
        assert (bundle / name).is_file(), name
    summary = json.loads((bundle / "summary.json").read_text())
    assert summary["schema_version"] == SCHEMA_VERSION
    assert summary["run_status"] == "completed"
    assert summary["preconditions"]["outcome"] == "pass", summary["preconditions"]
    names = {check["name"] for check in summary["preconditions"]["checks"]}
    assert {"api_replicas_healthy", "lb_backends_up", "workers_running", "db_reachable", "backup_fresh",
            "archive_continuity", "alert_channel_configured"} <= names
    events = list(read_lines(bundle / "events.jsonl"))
    tasks = [item for item in events if item["event"] == "task"]
    assert any(item["task"] == "Verify the preconditions live" or item.get("role") == "preconditions" for item in tasks)
    assert {"preconditions_passed", "drill_finished"} <= {item["name"] for item in events if item["event"] == "marker"}
    report = (bundle / "report.md").read_text()
    for section in ("## Drill Metadata", "## Preconditions", "## Scenario A", "## Scenario B", "## Scenario C",
                    "## Validation Command Evidence", "## Incident Notes", "## Final Sign-off"):
        assert section in report
    return summary


def flip_byte(path: Path) -> bytes:
    """Change one byte (an empty file gains one)."""
    original = path.read_bytes()
    data = bytearray(original) or bytearray(b"\0")
    if original:
        data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    return original


def test_hadrill_run_without_scenarios_yields_a_verifiable_bundle(sandbox, tmp_path):
    env = drill_env(tmp_path)
    result = hadrill("run", *sandbox.inventory_args, "--scenario", "none", "--owner", "test-owner", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    bundle = only_bundle(tmp_path)
    assert f"Evidence: {bundle}" in result.stdout
    summary = assert_complete_bundle(bundle)
    assert summary["owner"] == "test-owner" and summary["result"] == "pass"
    verified = hadrill("verify", str(bundle), env=env)
    assert verified.returncode == 0, verified.stderr
    # Sealed without a drill key: it says so, and nothing calls it signed.
    assert "unsigned" in verified.stdout and "unsigned" in result.stdout
    for text in (verified.stdout, result.stdout, (bundle / "report.md").read_text(), (bundle / "summary.json").read_text()):
        assert not re.search(r"(?<!un)signed\b", text, re.IGNORECASE), text
    keys = make_keys(tmp_path / "keys")

    for name in sorted(path.relative_to(bundle).as_posix() for path in bundle.rglob("*") if path.is_file()):
        if name == "MANIFEST.sha256":
            continue
        path = bundle / name
        original = flip_byte(path)
        try:
            tampered = hadrill("verify", str(bundle), env=env)
            expected = f"changed: {name}" if not name.startswith("signatures/") else name
            assert tampered.returncode == 1 and expected in tampered.stderr, (name, tampered.stderr)
            refused = hadrill("signoff", str(bundle), "--by", PRINCIPALS["alice"], "--key", str(keys.key("alice")), env=env)
            assert refused.returncode == 1 and "refusing to sign" in refused.stderr, name
        finally:
            path.write_bytes(original)
    assert hadrill("verify", str(bundle), env=env).returncode == 0
    signed = hadrill("signoff", str(bundle), "--by", PRINCIPALS["alice"], "--key", str(keys.key("alice")),
                     "--role", "sre-lead", env=env)
    assert signed.returncode == 0, signed.stderr
    checked = hadrill("verify", str(bundle), "--allowed-signers", str(keys.allowed_signers), env=env)
    # Signed off, but the seal itself has no signature: with allowed signers that is a failure, said plainly.
    assert checked.returncode == 1 and "unsigned: the seal has no signature" in checked.stderr, checked.stderr
    assert "sign-off 1 (signatures/signoff-01.json): verified: alice@example.com" in checked.stdout
    assert "`alice@example.com` (sre-lead)" in hadrill("report", str(bundle), env=env).stdout


def test_plain_ansible_playbook_yields_the_same_bundle(sandbox, tmp_path):
    env = drill_env(tmp_path)
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "playbooks/drill.yml", *sandbox.inventory_args, "-e", "drill_scenarios=none"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    bundle = only_bundle(tmp_path)
    assert_complete_bundle(bundle)
    assert hadrill("verify", str(bundle), env=env).returncode == 0


def test_ansible_runner_with_awx_display_yields_the_full_bundle(sandbox, tmp_path):
    """As AWX runs a job: ansible-runner's own stdout callback, the project's ansible.cfg."""
    import ansible_runner

    private = tmp_path / "runner"
    project = private / "project"
    shutil.copytree(REPO, project, symlinks=True,
                    ignore=shutil.ignore_patterns(".venv", "artifacts", ".git", "__pycache__", ".pytest_cache"))
    evidence_root = tmp_path / "evidence"
    from tests.integration.conftest import SANDBOX_VARS

    extravars = {"drill_scenarios": "none"}
    if SANDBOX_VARS:
        import yaml

        extravars = {**yaml.safe_load(Path(SANDBOX_VARS).read_text()), **extravars}
    runner = ansible_runner.run(
        private_data_dir=str(private),
        playbook="playbooks/drill.yml",
        inventory=str(project / "inventories" / "local"),
        extravars=extravars,
        envvars={"HADRILL_EVIDENCE_ROOT": str(evidence_root), "PATH": str(BIN) + os.pathsep + os.environ["PATH"]},
        quiet=True,
    )
    assert runner.rc == 0, runner.stdout.read()[-3000:]
    assert runner.config.env.get("ANSIBLE_STDOUT_CALLBACK") == "awx_display"
    job_events = [event["event"] for event in runner.events]
    assert "runner_on_ok" in job_events and "playbook_on_stats" in job_events
    bundle = only_bundle(evidence_root)
    assert_complete_bundle(bundle)
    env = drill_env(evidence_root)
    assert hadrill("verify", str(bundle), env=env).returncode == 0
