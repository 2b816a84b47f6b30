"""One real sandbox drill (restore, the module's only drill) sealed with a drill key: verified against
an allowed-signers file, signed off by two people (one key from a file, one from ssh-agent), checked
by the auditor's script of collection/docs/results.md with OpenSSH and sha256sum alone, and every
forgery of tests/support/forgery.py caught by `hadrill verify`. Each test works on a copy."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.support.bundles import FORGED, assert_matches_schemas
from tests.support.drill import REPO, drill_env, hadrill
from tests.support.forgery import FORGERIES, assert_caught, rehash
from tests.support.keys import PRINCIPALS, Keys, make_keys
from tests.support.recording import make_other_signed

pytestmark = pytest.mark.integration

AUDIT_SCRIPT = re.compile(r"```bash\n(# audit-bundle\.sh.*?)```", re.S)


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Keys:
    return make_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def drill(sandbox, keys, tmp_path_factory) -> tuple[Path, str]:
    """(bundle, console output) of `hadrill run --scenario restore --signing-key KEY` on the sandbox."""
    evidence_root = tmp_path_factory.mktemp("evidence")
    result = hadrill("run", *sandbox.inventory_args, "--scenario", "restore", "--owner", "evidence-it",
                     "--signing-key", str(keys.key("drill")), "-e", '{"validation_gates_commands": []}',
                     env=drill_env(evidence_root), timeout=900)
    bundles = sorted(path for path in evidence_root.glob("ha_drill_*") if path.is_dir())
    # The drill's own result (pass, partial or fail) is the restore tests' business: here it is sealed.
    assert result.returncode in (0, 1, 2) and len(bundles) == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert (bundles[0] / "MANIFEST.sha256").is_file() and (bundles[0] / "signatures" / "seal-01.json.sig").is_file()
    environment = json.loads((bundles[0] / "drill.json").read_text())["environment"]
    # The drill key's principal is hadrill-drill@<environment> (drill_signing_principal unset).
    make_keys(keys.directory, {"drill": f"hadrill-drill@{environment},{PRINCIPALS['drill']}"})
    return bundles[0], result.stdout


@pytest.fixture(scope="module")
def other(keys, tmp_path_factory) -> Path:
    return make_other_signed(tmp_path_factory.mktemp(FORGED) / "evidence", keys)


def copy_of(bundle: Path, directory: Path) -> Path:
    target = directory / bundle.name
    shutil.copytree(bundle, target, symlinks=True)
    return target


def verify(bundle: Path, keys: Keys) -> subprocess.CompletedProcess:
    return hadrill("verify", str(bundle), "--allowed-signers", str(keys.allowed_signers), env=drill_env())


def test_the_drill_is_sealed_by_the_drill_key_and_signed_off_by_two_signers(drill, keys, tmp_path):
    bundle, console = drill
    environment = json.loads((bundle / "drill.json").read_text())["environment"]
    assert re.search(rf"Evidence: {re.escape(str(bundle))} \(sealed; manifest signature by drill key "
                     rf"hadrill-drill@{environment} \(SHA256:", console), console[-2000:]
    assert_matches_schemas(bundle)
    bundle = copy_of(bundle, tmp_path)
    checked = verify(bundle, keys)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"seal 1 (signatures/seal-01.json): verified: hadrill-drill@{environment}" in checked.stdout

    env = drill_env()
    signed = hadrill("signoff", str(bundle), "--by", PRINCIPALS["alice"], "--key", str(keys.key("alice")),
                     "--role", "sre-lead", "--note", "RTO inside the target; keep the canary", env=env)
    assert signed.returncode == 0, signed.stderr
    # Bob's key is in ssh-agent: he names its public half.
    agent = subprocess.run(["ssh-agent", "-s"], capture_output=True, text=True, check=True, timeout=30).stdout
    socket_path = re.search(r"SSH_AUTH_SOCK=([^;]+);", agent).group(1)
    agent_pid = int(re.search(r"SSH_AGENT_PID=(\d+);", agent).group(1))
    try:
        agent_env = {**env, "SSH_AUTH_SOCK": socket_path}
        subprocess.run(["ssh-add", "-q", str(keys.key("bob"))], env=agent_env, check=True, timeout=30, capture_output=True)
        signed = hadrill("signoff", str(bundle), "--by", PRINCIPALS["bob"], "--key", str(keys.public("bob")),
                         "--allowed-signers", str(keys.allowed_signers), env=agent_env)
        assert signed.returncode == 0, signed.stderr
    finally:
        os.kill(agent_pid, signal.SIGTERM)

    checked = verify(bundle, keys)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "sign-off 1 (signatures/signoff-01.json): verified: alice@example.com" in checked.stdout
    assert "sign-off 2 (signatures/signoff-02.json): verified: bob@example.com" in checked.stdout
    assert checked.stdout.splitlines()[-1].endswith(
        f"seal signature verified (hadrill-drill@{environment}); sign-offs: alice@example.com verified, "
        "bob@example.com verified")
    report = hadrill("report", str(bundle), env=env).stdout
    assert "`alice@example.com` (sre-lead)" in report and "RTO inside the target; keep the canary" in report
    assert "`bob@example.com`" in report
    assert_matches_schemas(bundle)


def test_an_auditor_checks_the_bundle_with_openssh_and_sha256sum_alone(drill, keys, tmp_path):
    script = tmp_path / "audit-bundle.sh"
    script.write_text(AUDIT_SCRIPT.search((REPO / "collection" / "docs" / "results.md").read_text()).group(1))
    bundle = copy_of(drill[0], tmp_path)
    environment = json.loads((bundle / "drill.json").read_text())["environment"]
    signed = hadrill("signoff", str(bundle), "--by", PRINCIPALS["alice"], "--key", str(keys.key("alice")), env=drill_env())
    assert signed.returncode == 0, signed.stderr

    def audit() -> subprocess.CompletedProcess:
        # Only coreutils, find, diff, grep, sed and ssh-keygen: no hadrill, no Python on the PATH.
        env = {"PATH": "/usr/bin:/bin", "BUNDLE": str(bundle), "ALLOWED_SIGNERS": str(keys.allowed_signers),
               "DRILL_PRINCIPAL": f"hadrill-drill@{environment}", "LC_ALL": "C.UTF-8"}
        return subprocess.run(["/bin/bash", str(script)], env=env, capture_output=True, text=True, timeout=120)

    passed = audit()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert f"checked: every file, the seal by hadrill-drill@{environment}, 1 sign-off(s)" in passed.stdout

    sample = bundle / "samples" / "canary.jsonl"
    original = sample.read_bytes()
    sample.write_bytes(original.replace(b'"seq":1,', b'"seq":2,', 1))
    assert audit().returncode != 0
    sample.write_bytes(original)
    (bundle / "samples" / "extra.jsonl").symlink_to("/etc/passwd")
    assert audit().returncode != 0
    (bundle / "samples" / "extra.jsonl").unlink()
    statement = bundle / "signatures" / "signoff-01.json"
    statement.write_text(statement.read_text().replace('"role": null', '"role": "ceo"'))
    failed = audit()
    assert failed.returncode != 0 and "Could not verify signature" in failed.stderr + failed.stdout


@pytest.mark.parametrize("forgery", FORGERIES)
def test_every_forgery_of_a_real_bundle_is_caught(drill, keys, other, tmp_path, forgery):
    bundle = copy_of(drill[0], tmp_path / FORGED)
    assert verify(bundle, keys).returncode == 0
    reason = FORGERIES[forgery](bundle, keys, other)
    assert_caught(bundle, keys, reason)


def test_an_edited_plot_is_caught_by_its_re_derivation(drill, keys, tmp_path):
    bundle = copy_of(drill[0], tmp_path / FORGED)
    plot = bundle / "plots" / "restore.svg"
    plot.write_text(plot.read_text().replace("</svg>", "<text>all green</text></svg>"))
    rehash(bundle)
    assert_caught(bundle, keys, "plots/restore.svg: differs from its re-derivation")


def test_history_lists_the_verified_drill_with_how_it_restored(drill):
    listed = hadrill("history", str(drill[0].parent), env=drill_env())
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.startswith(drill[0].name))
    assert re.search(r"(pgbackrest|basebackup|command), (time|latest) target", row), listed.stdout
