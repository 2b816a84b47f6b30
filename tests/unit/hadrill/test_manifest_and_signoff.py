from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hadrill import manifest, statements
from hadrill.cli import EXIT_COULD_NOT_RUN, EXIT_FAIL, EXIT_PASS, EXIT_USAGE, main
from hadrill.report import RENDERED
from hadrill.signoff import BundleTampered, SignoffRefused, sign
from hadrill.verify import verify
from tests.support.keys import PRINCIPALS
from tests.support.recording import _signed_template, keys, record_drill, signed  # noqa: F401 (fixtures)

FILES = ["drill.json", "events.jsonl", "gates/health.log", "samples/probe.jsonl", "summary.json", *RENDERED]


def test_a_sealed_bundle_verifies(signed, keys):
    result = verify(signed, allowed_signers=keys.allowed_signers)
    assert result.ok, result.problems
    assert result.files == len(FILES)
    assert result.sealed_by is not None and result.sealed_by.status == "verified"


@pytest.mark.parametrize("name", FILES)
def test_changing_one_byte_of_any_file_is_named(signed, keys, name):
    path = signed / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    result = manifest.verify(signed)
    assert not result.ok and result.changed == [name]
    with pytest.raises(BundleTampered) as caught:
        sign(signed, by=PRINCIPALS["alice"], key=keys.key("alice"))
    assert f"changed: {name}" in caught.value.problems
    assert not [item for item in statements.load(signed).signoffs]


def test_added_and_missing_files_are_named(signed):
    (signed / "samples" / "extra.jsonl").write_text("{}\n")
    (signed / "report.md").unlink()
    result = manifest.verify(signed)
    assert result.added == ["samples/extra.jsonl"] and result.missing == ["report.md"]


def test_missing_manifest_is_reported(signed):
    (signed / "MANIFEST.sha256").unlink()
    assert "MANIFEST.sha256 is missing" in manifest.verify(signed).problems()[0]


def test_manifest_is_sha256sum_format_and_checks_with_sha256sum(signed):
    lines = (signed / "MANIFEST.sha256").read_text().splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == sorted(FILES)
    checked = subprocess.run(["sha256sum", "--strict", "-c", "MANIFEST.sha256"], cwd=signed, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_two_signers_are_each_recorded_in_their_own_signed_statement(signed, keys):
    seal_before = (signed / "signatures" / "seal-01.json").read_bytes()
    report_before = (signed / "report.md").read_bytes()
    first, first_path = sign(signed, by=PRINCIPALS["alice"], key=keys.key("alice"), role="sre-lead",
                             note="tighten alert thresholds")
    second, second_path = sign(signed, by=PRINCIPALS["bob"], key=keys.public("bob"), allowed_signers=keys.allowed_signers)
    assert (first_path, second_path) == ("signatures/signoff-01.json", "signatures/signoff-02.json")
    digest = hashlib.sha256((signed / "MANIFEST.sha256").read_bytes()).hexdigest()
    assert first.manifest_sha256 == second.manifest_sha256 == digest
    # Nothing that was sealed, nor the first signature, changed.
    assert (signed / "signatures" / "seal-01.json").read_bytes() == seal_before
    assert (signed / "report.md").read_bytes() == report_before
    assert json.loads((signed / first_path).read_text())["note"] == "tighten alert thresholds"
    result = verify(signed, allowed_signers=keys.allowed_signers)
    assert result.ok, result.problems
    assert [(item.principal, item.status) for item in result.signed_off] == [
        ("alice@example.com", "verified"), ("bob@example.com", "verified")]


def test_duplicate_signers_are_refused(signed, keys):
    sign(signed, by=PRINCIPALS["alice"], key=keys.key("alice"))
    with pytest.raises(SignoffRefused, match="alice@example.com has already signed off"):
        sign(signed, by=PRINCIPALS["alice"], key=keys.key("alice"))
    with pytest.raises(SignoffRefused, match="has already signed off this bundle as alice@example.com"):
        sign(signed, by=PRINCIPALS["bob"], key=keys.key("alice"))
    assert len(statements.load(signed).signoffs) == 1


def test_a_signer_the_allowed_signers_refuse_is_not_recorded(signed, keys):
    with pytest.raises(SignoffRefused, match="do not accept this key as alice@example.com"):
        sign(signed, by=PRINCIPALS["alice"], key=keys.key("mallory"), allowed_signers=keys.allowed_signers)
    assert statements.load(signed).signoffs == []


@pytest.mark.parametrize("option, value", [
    ("--by", "alice\n## Sign-off\n2. Signed by: `ceo`"),  # a newline in --by injected Markdown into the record
    ("--by", "Alice Smith"),
    ("--by", ""),
    ("--role", "sre\x1b[31m-lead"),  # ANSI escape
    ("--note", "fine\nsecond line"),
    ("--note", "x" * 501),
    ("--note", "bad \udcff bytes"),  # how Python decodes an argument that is not UTF-8 (it once left report.md empty)
    ("--role", "\u202egnp.exe"),  # a right-to-left override
])
def test_names_roles_and_notes_are_validated_before_anything_is_written(signed, keys, capsys, option, value):
    before = {path: path.read_bytes() for path in signed.rglob("*") if path.is_file()}
    args = {"--by": PRINCIPALS["alice"], "--role": "sre-lead", "--note": "ok", option: value}
    code = main(["signoff", str(signed), "--key", str(keys.key("alice")),
                 *[item for pair in args.items() for item in pair]])
    assert code == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"hadrill: {option}:"), err
    assert {path: path.read_bytes() for path in signed.rglob("*") if path.is_file()} == before


def test_a_sign_off_that_cannot_be_signed_leaves_nothing_behind(signed, tmp_path, capsys):
    broken = tmp_path / "not-a-key"
    broken.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\ngarbage\n")
    broken.chmod(0o600)
    code = main(["signoff", str(signed), "--by", PRINCIPALS["alice"], "--key", str(broken)])
    assert code == EXIT_COULD_NOT_RUN
    assert "not an SSH key" in capsys.readouterr().err
    assert sorted(path.name for path in (signed / "signatures").iterdir()) == ["seal-01.json", "seal-01.json.sig"]
    assert verify(signed).ok


def test_two_signers_at_the_same_moment_are_both_recorded(signed, keys):
    hadrill = Path(sys.executable).parent / "hadrill"
    processes = [subprocess.Popen([str(hadrill), "signoff", str(signed), "--by", PRINCIPALS[name], "--key",
                                   str(keys.key(name))], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for name in ("alice", "bob")]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [EXIT_PASS, EXIT_PASS], outputs
    recorded = statements.load(signed).signoffs
    assert sorted(item.statement.by for item in recorded) == ["alice@example.com", "bob@example.com"]
    assert sorted(item.number for item in recorded) == [1, 2]
    assert verify(signed, allowed_signers=keys.allowed_signers).ok


def test_resealing_after_a_sign_off_is_detected(signed, keys):
    sign(signed, by=PRINCIPALS["alice"], key=keys.key("alice"))
    summary = signed / "summary.json"
    summary.write_text(summary.read_text().replace('"result": "pass"', '"result": "fail"'))
    manifest.write_manifest(signed)
    result = verify(signed)
    assert not result.ok
    assert any("it was rewritten after sealing" in item for item in result.problems)
    assert any("sign-off by alice@example.com is over another manifest" in item for item in result.problems)
    assert main(["signoff", str(signed), "--by", PRINCIPALS["bob"], "--key", str(keys.key("bob"))]) == EXIT_FAIL


def test_signing_needs_a_sealed_bundle(tmp_path, keys):
    bundle = record_drill(tmp_path / "evidence")
    with pytest.raises(SignoffRefused, match="not sealed"):
        sign(bundle, by=PRINCIPALS["alice"], key=keys.key("alice"))


def test_a_drill_key_that_cannot_sign_is_refused_before_anything_starts(inventory, tmp_path):
    """However the drill starts (hadrill run, ansible-playbook, AWX), drill_start refuses it first."""
    from hadrill.config import ConfigError
    from hadrill.start import start_drill
    from tests.support.inventory import host_lookups

    not_a_key = tmp_path / "drill-key"
    not_a_key.write_text("not a key\n")
    evidence_root = tmp_path / "evidence"
    for value in (str(tmp_path / "missing-key"), str(not_a_key)):
        inventory.variables["drill_signing_key"] = value
        with pytest.raises(ConfigError, match=r"drill_signing_key: signing key .*(no such file|not an SSH key)"):
            start_drill(variables=inventory.variables, groups=inventory.groups,
                        host_variable=host_lookups(inventory.variables, inventory.hosts)[0],
                        host_has=host_lookups(inventory.variables, inventory.hosts)[1],
                        evidence_root=evidence_root, secrets=set(), controller_pid=1)
    assert not evidence_root.exists() or not any(evidence_root.iterdir())


def test_a_reader_never_sees_an_append_half_done(signed):
    """A sign-off is two files (signature, then statement): readers wait for the appender's lock."""
    import threading

    seen: dict[str, statements.Signatures] = {}
    with statements.locked(signed):
        half = signed / "signatures" / "signoff-01.json.sig"
        half.write_bytes(b"-----BEGIN SSH SIGNATURE-----\n")  # the statement is not written yet
        reader = threading.Thread(target=lambda: seen.update(read=statements.load(signed)))
        reader.start()
        reader.join(timeout=1.0)
        assert reader.is_alive(), "load read signatures/ while an append held the lock"
        half.unlink()
    reader.join(timeout=30)
    assert seen["read"].problems == [] and seen["read"].signoffs == []
