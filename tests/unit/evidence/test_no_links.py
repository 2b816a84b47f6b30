"""Issue 11 item 5: writing, redacting and hashing never follow a link; verify names every entry that
is not a regular file; one mode rule (directories 0750, files 0640) over the whole bundle."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from hadrill import layout, manifest, runtime
from hadrill.cli import EXIT_FAIL, EXIT_PASS, main
from hadrill.finalize import finalize
from hadrill.jsonl import append_line
from hadrill.verify import verify

SECRET = "s3cret-db-password"


def test_the_secret_sweep_never_writes_through_a_link_to_a_file_outside_the_bundle(recorded, tmp_path):
    outside = tmp_path / "outside.conf"
    outside.write_text(f"password={SECRET}\n")
    runtime.write_secrets(recorded, {SECRET})
    (recorded / "logs").mkdir()
    (recorded / "logs" / "service.log").symlink_to(outside)
    (recorded / "gates" / "health.log").write_text(f"connected with {SECRET}\n")  # a real bundle file to redact
    finalize(recorded)
    assert outside.read_text() == f"password={SECRET}\n"  # untouched, not redacted through the link
    assert SECRET not in (recorded / "gates" / "health.log").read_text()
    assert (recorded / "logs" / "service.log").is_symlink()
    assert "logs/service.log" not in (recorded / "MANIFEST.sha256").read_text()
    assert f"unexpected symlink: logs/service.log -> {outside}" in verify(recorded).problems


def test_sealing_never_hashes_what_a_link_points_to(recorded, capsys):
    (recorded / "samples" / "passwd.jsonl").symlink_to("/etc/passwd")
    (recorded / "records").symlink_to("/etc", target_is_directory=True)
    main(["report", str(recorded), "--reseal", "--reason", "test"])
    listed = (recorded / "MANIFEST.sha256").read_text()
    passwd = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    assert passwd not in listed and "passwd" not in listed and "records/" not in listed
    capsys.readouterr()
    assert main(["verify", str(recorded)]) == EXIT_FAIL
    err = capsys.readouterr().err
    assert "  - unexpected symlink: samples/passwd.jsonl -> /etc/passwd\n" in err
    assert "  - unexpected symlink: records -> /etc\n" in err


@pytest.mark.parametrize("kind", ["symlink", "fifo", "directory"])
def test_verify_names_anything_that_is_not_a_regular_file(unsigned, kind, capsys):
    path = unsigned / "samples" / "planted"
    if kind == "symlink":
        path.symlink_to("../summary.json")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    assert main(["verify", str(unsigned)]) == EXIT_FAIL  # and a FIFO is never opened (no hang)
    expected = {"symlink": "unexpected symlink: samples/planted -> ../summary.json", "fifo": "unexpected FIFO: samples/planted",
                "directory": "unexpected directory: samples/planted/"}[kind]
    assert f"  - {expected}\n" in capsys.readouterr().err


def test_a_listed_file_replaced_by_a_link_is_changed_and_unexpected(unsigned):
    summary = unsigned / "summary.json"
    target = unsigned.parent / "summary-copy.json"
    target.write_bytes(summary.read_bytes())  # the same bytes, reached through a link
    summary.unlink()
    summary.symlink_to(target)
    problems = verify(unsigned).problems
    assert "changed: summary.json (no longer a regular file)" in problems
    assert f"unexpected symlink: summary.json -> {target}" in problems


def test_a_manifest_that_is_a_link_is_not_read(unsigned, tmp_path):
    copy = tmp_path / "manifest-copy"
    copy.write_bytes((unsigned / "MANIFEST.sha256").read_bytes())
    (unsigned / "MANIFEST.sha256").unlink()
    (unsigned / "MANIFEST.sha256").symlink_to(copy)
    result = manifest.verify(unsigned)
    assert not result.ok and "not followed" in (result.error or "")


def test_bundle_writers_refuse_links(unsigned, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (unsigned / "plots").symlink_to(outside, target_is_directory=True)
    with pytest.raises(layout.UnsafePath, match="not followed"):
        layout.write_text(unsigned, "plots/restore.svg", "<svg/>")
    assert list(outside.iterdir()) == []
    (tmp_path / "events-target").write_text("")
    link = unsigned / "samples" / "linked.jsonl"
    link.symlink_to(tmp_path / "events-target")
    with pytest.raises(OSError):
        append_line(link, {"event": "marker"})
    assert (tmp_path / "events-target").read_text() == ""
    # Replacing a file replaces a link of that name instead of writing through it.
    (unsigned / "samples" / "probe.jsonl").unlink()
    (unsigned / "samples" / "probe.jsonl").symlink_to(tmp_path / "events-target")
    layout.write_text(unsigned, "samples/probe.jsonl", "{}\n")
    assert not (unsigned / "samples" / "probe.jsonl").is_symlink() and (tmp_path / "events-target").read_text() == ""


def test_one_mode_rule_over_the_whole_bundle(recorded, keys, capsys):
    os.chmod(recorded / "gates" / "health.log", 0o666)
    os.chmod(recorded / "samples", 0o777)
    finalize(recorded, signing_key=keys.key("drill"))
    modes = {entry.path: (entry.kind, entry.mode) for entry in layout.walk(recorded)}
    modes[""] = ("directory", stat.S_IMODE(recorded.stat().st_mode))
    assert {mode for kind, mode in modes.values() if kind == "directory"} == {layout.DIR_MODE}
    assert {mode for kind, mode in modes.values() if kind == "file"} == {layout.FILE_MODE}
    assert "signatures/seal-01.json.sig" in modes
    assert main(["verify", str(recorded)]) == EXIT_PASS
    os.chmod(recorded / "report.md", 0o644)
    assert main(["verify", str(recorded)]) == EXIT_PASS  # a mode is not tamper evidence: a note, not a failure
    assert "note: 1 entr(ies) readable by others" in capsys.readouterr().out
