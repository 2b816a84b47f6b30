"""Issue 11 items 4 and 6: evidence is never destroyed by a command, and every refusal is one line
with a documented exit code (usage 64, refused 3, does not verify 1)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hadrill import journal, lock, runtime
from hadrill.cli import EXIT_COULD_NOT_RUN, EXIT_FAIL, EXIT_PASS, EXIT_USAGE, main
from hadrill.jsonl import read_lines
from hadrill.summary import SCHEMA_VERSION
from tests.support.keys import PRINCIPALS


def snapshot(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def one_line(text: str) -> str:
    assert text.count("\n") == 1 and text.endswith("\n"), text
    assert "Traceback" not in text and "unexpected error" not in text, text
    return text


# --- item 4: never destroy ---------------------------------------------------------------------------

def test_report_refuses_the_bundle_of_a_running_drill(recorded, capsys):
    """It used to seal it, delete the live drill lock and the secret list (the rest of the drill then
    went unredacted)."""
    lock.acquire(recorded.parent, "staging", recorded.name, os.getpid())
    runtime.write_secrets(recorded, {"s3cret-value"})
    before = snapshot(recorded.parent)
    for args in ([], ["--reseal"]):
        assert main(["report", str(recorded), *args]) == EXIT_COULD_NOT_RUN
        err = one_line(capsys.readouterr().err)
        assert f"drill {recorded.name} is still running (pid {os.getpid()}" in err
    assert snapshot(recorded.parent) == before
    assert lock.read_lock(recorded.parent, "staging")["drill_id"] == recorded.name
    assert runtime.load_redactor(recorded).secrets == ["s3cret-value"]
    assert not (recorded / "MANIFEST.sha256").exists()


def test_an_unsealed_bundle_is_sealed_only_on_request_and_the_seal_is_recorded(recorded, capsys):
    before = snapshot(recorded)
    assert main(["report", str(recorded)]) == EXIT_COULD_NOT_RUN
    assert "not sealed" in one_line(capsys.readouterr().err) and snapshot(recorded) == before
    assert main(["report", str(recorded), "--reseal", "--reason", "controller lost power"]) == EXIT_PASS
    assert "seal 1" in capsys.readouterr().out
    markers = [line for line in read_lines(recorded / "events.jsonl") if line.get("name") == "evidence_sealed"]
    assert [(item["data"]["sealed_by"], item["data"]["reason"]) for item in markers] == [
        ("hadrill report --reseal", "controller lost power")]
    statement = json.loads((recorded / "signatures" / "seal-01.json").read_text())
    assert statement["sealed_by"] == "hadrill report --reseal" and statement["reason"] == "controller lost power"
    assert "Seal 1 (hadrill report --reseal: controller lost power" in (recorded / "report.md").read_text()
    assert main(["verify", str(recorded)]) == EXIT_PASS


def test_a_sealed_bundle_is_never_rewritten_by_report(unsigned, capsys):
    before = snapshot(unsigned)
    assert main(["report", str(unsigned), "--reseal"]) == EXIT_COULD_NOT_RUN
    assert "already sealed" in one_line(capsys.readouterr().err)
    assert main(["report", str(unsigned)]) == EXIT_PASS  # prints, writes nothing
    assert "## Final Sign-off" in capsys.readouterr().out
    assert snapshot(unsigned) == before


def test_report_leaves_a_bundle_with_open_actions_to_recover(recorded, capsys):
    journal.open_entry(recorded, "worker paused", {"kind": "platform", "operation": "start", "target": "w"}, host="w")
    before = snapshot(recorded)
    assert main(["report", str(recorded), "--reseal"]) == EXIT_COULD_NOT_RUN
    assert "hadrill recover" in one_line(capsys.readouterr().err)
    assert snapshot(recorded) == before


# --- item 6: one line, documented exit code ----------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["verify"],
    ["verify", "--bogus", "x"],
    ["nonsense"],
    ["history", "--tolerance-percent", "lots"],
    ["signoff", "BUNDLE", "--by", "alice@example.com"],  # no --key
    ["verify", "/no/such/bundle"],
    ["schema", "nope"],
])
def test_usage_errors_exit_64_with_one_line(argv, capsys, unsigned):
    argv = [str(unsigned) if item == "BUNDLE" else item for item in argv]
    with_exit = None
    try:
        with_exit = main(argv)
    except SystemExit as exc:  # argparse exits by itself
        with_exit = exc.code
    assert with_exit == EXIT_USAGE
    one_line(capsys.readouterr().err)


def test_a_signoff_json_that_is_a_list_is_named_not_a_crash(unsigned, keys, capsys):
    (unsigned / "signoff.json").write_text("[1, 2]\n")
    assert main(["verify", str(unsigned)]) == EXIT_FAIL
    err = capsys.readouterr().err
    assert "  - added: signoff.json\n" in err and err.splitlines()[-1].startswith("FAILED: ")
    assert main(["signoff", str(unsigned), "--by", PRINCIPALS["alice"], "--key", str(keys.key("alice"))]) == EXIT_FAIL
    assert "added: signoff.json" in one_line(capsys.readouterr().err)


def test_a_statement_of_the_wrong_shape_is_named(unsigned, capsys):
    (unsigned / "signatures" / "signoff-01.json").write_text('["alice", "ceo"]\n')
    assert main(["verify", str(unsigned)]) == EXIT_FAIL
    assert "signatures/signoff-01.json: not a hadrill signoff statement" in capsys.readouterr().err


@pytest.mark.parametrize("line, reason", [
    (b'["marker", "incident"]\n', "a JSON array, expected an object"),
    (b"\xff\xfe\x00binary\n", "binary data, not UTF-8 text"),
    (b"42\n", "a JSON number, expected an object"),
])
def test_a_wrongly_shaped_events_line_is_named_by_every_command(recorded, line, reason, capsys):
    events = recorded / "events.jsonl"
    lines = events.read_bytes().splitlines(keepends=True)
    events.write_bytes(b"".join(lines[:2] + [line] + lines[2:]))
    before = snapshot(recorded)
    assert main(["report", str(recorded), "--reseal"]) == EXIT_COULD_NOT_RUN
    assert f"events.jsonl line 3: {reason}" in one_line(capsys.readouterr().err)
    assert snapshot(recorded) == before  # refused before anything was written
    # In a sealed bundle: verify names it (the line was added after sealing, so the file changed too).
    events.write_bytes(b"".join(lines))
    assert main(["report", str(recorded), "--reseal"]) == EXIT_PASS
    capsys.readouterr()
    events.write_bytes(events.read_bytes() + line)
    assert main(["verify", str(recorded)]) == EXIT_FAIL
    err = capsys.readouterr().err
    assert "  - changed: events.jsonl\n" in err and f"events.jsonl line {len(lines) + 2}: {reason}" in err


@pytest.mark.parametrize("version", ["1.9", "2.0", "one"])
def test_a_bundle_of_a_newer_schema_is_refused_and_never_rewritten(unsigned, keys, version, capsys):
    summary = unsigned / "summary.json"
    summary.write_text(summary.read_text().replace(f'"schema_version": "{SCHEMA_VERSION}"', f'"schema_version": "{version}"'))
    before = snapshot(unsigned)
    for argv in (["verify", str(unsigned)], ["report", str(unsigned)], ["report", str(unsigned), "--reseal"],
                 ["signoff", str(unsigned), "--by", PRINCIPALS["alice"], "--key", str(keys.key("alice"))]):
        assert main(argv) == EXIT_COULD_NOT_RUN, argv
        err = one_line(capsys.readouterr().err)
        assert f"schema_version {version}" in err or repr(version) in err, err
    (unsigned / "MANIFEST.sha256").unlink()
    assert main(["report", str(unsigned), "--reseal"]) == EXIT_COULD_NOT_RUN
    assert "schema_version" in one_line(capsys.readouterr().err)
    before.pop("MANIFEST.sha256")
    assert snapshot(unsigned) == before  # never rewritten down to this hadrill's version


def test_report_does_not_print_a_bundle_that_does_not_match_its_manifest(unsigned, capsys):
    report = unsigned / "report.md"
    report.write_text(report.read_text() + "\nEverything passed, trust me.\n")
    assert main(["report", str(unsigned)]) == EXIT_FAIL
    assert "does not match its manifest (changed: report.md)" in one_line(capsys.readouterr().err)


def test_an_unsigned_bundle_can_be_signed_off_by_an_allowed_signer(unsigned, keys, capsys):
    assert main(["signoff", str(unsigned), "--by", PRINCIPALS["alice"], "--key", str(keys.key("alice")),
                 "--allowed-signers", str(keys.allowed_signers)]) == EXIT_PASS
    capsys.readouterr()
    # ... and verify with the allowed signers still says plainly that the seal itself is unsigned.
    assert main(["verify", str(unsigned), "--allowed-signers", str(keys.allowed_signers)]) == EXIT_FAIL
    captured = capsys.readouterr()
    assert "sign-off 1 (signatures/signoff-01.json): verified: alice@example.com" in captured.out
    assert "  - unsigned: the seal has no signature" in captured.err
