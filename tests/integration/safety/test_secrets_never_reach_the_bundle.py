"""Plant known secrets (inventory passwords and API keys, a vault value, a gate environment
variable the gate prints, an extra HTTP header) and search every byte the drill produced."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from tests.support.drill import BIN, REPO, drill_env

VAULT_SECRET = "vaulted-planted-Hx81qZ"
GATE_SECRET = "gate-planted-Kq27wV"
HEADER_SECRET = "header-planted-Tz93mB"

pytestmark = pytest.mark.integration


def planted_overlay(tmp_path: Path, sandbox) -> tuple[Path, Path]:
    password = tmp_path / "vault-password"
    password.write_text("campaign-vault-password\n")
    encrypted = subprocess.run(
        [str(BIN / "ansible-vault"), "encrypt_string", "--vault-password-file", str(password), VAULT_SECRET,
         "--name", "planted_vault_api_token"],
        capture_output=True, text=True, check=True,
    ).stdout
    gates = yaml.safe_load((REPO / "inventories/local/group_vars/all/gates.yml").read_text())["validation_gates_commands"]
    gates.append({
        "name": "prints-its-secret",
        "host": "localhost",
        # The gate leaks its environment on purpose: the bundle must not.
        "command": "echo token=$PLANTED_TOKEN vault=$PLANTED_VAULT; echo err=$PLANTED_TOKEN >&2",
        "environment": {"PLANTED_TOKEN": GATE_SECRET, "PLANTED_VAULT": "{{ planted_vault_api_token }}"},
        "timeout_seconds": 30,
    })
    overlay = {
        # Shorter windows than the rehearsal's: this test is about what is written, not about timing.
        "db_restore_canary_warmup_seconds": 4,
        "api_rollback_observation_seconds": 6,
        "worker_replay_pause_seconds": 4,
        "validation_gates_commands": gates,
        "drill_http_headers": {
            "Authorization": "Bearer {{ app_api_keys.default }}",
            "X-Api-Token": HEADER_SECRET,
        },
    }
    path = tmp_path / "planted.yml"
    path.write_text(encrypted + "\n" + yaml.safe_dump(overlay))
    return path, password


def known_secrets(sandbox) -> set[str]:
    facts = sandbox.facts
    secrets = {VAULT_SECRET, GATE_SECRET, HEADER_SECRET, facts["db"]["password"]}
    secrets |= set(facts["app_api_keys"].values())
    url = facts["app_environment"]["MEMSTORE_DATABASE_URL"]
    secrets.add(url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1])
    return {item for item in secrets if len(item) >= 6}


def test_no_planted_secret_in_the_bundle_or_the_output(sandbox, tmp_path):
    overlay, password = planted_overlay(tmp_path, sandbox)
    evidence = tmp_path / "evidence"
    result = subprocess.run(
        [str(BIN / "hadrill"), "run", *sandbox.inventory_args, "-e", f"@{overlay}", "--vault-password-file", str(password),
         "--scenario", "all"],
        cwd=REPO, env=drill_env(evidence), capture_output=True, text=True, timeout=1800,
    )
    bundles = sorted(evidence.glob("ha_drill_*"))
    assert len(bundles) == 1, result.stdout[-3000:] + result.stderr
    bundle = bundles[0]
    assert (bundle / "gates" / "prints-its-secret.log").exists()
    assert "token=***REDACTED***" in (bundle / "gates" / "prints-its-secret.log").read_text()
    hits = []
    for secret in known_secrets(sandbox):
        for path in bundle.rglob("*"):
            if path.is_file() and secret.encode() in path.read_bytes():
                hits.append(f"{secret[:4]}… in {path.relative_to(bundle)}")
        if secret in result.stdout + result.stderr:
            hits.append(f"{secret[:4]}… in the output of hadrill run")
    assert hits == [], hits
    assert subprocess.run([str(BIN / "hadrill"), "verify", str(bundle)], capture_output=True).returncode == 0
