"""The forger's moves against an evidence bundle (issue 12 item 5), each as a new user would try
them in a few lines of shell: sha256sum, ssh-keygen, an editor, and hadrill itself.

Each forgery changes ``bundle`` in place and returns the one-line reason ``hadrill verify`` must
give. ``other`` is another drill's bundle, sealed by the same drill key and signed off by alice.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.support.keys import PRINCIPALS, Keys

HADRILL_NAMESPACE = "hadrill-evidence"


def rehash(bundle: Path) -> None:
    """Rewrite MANIFEST.sha256 as `sha256sum` would, over every file but the manifest and signatures/."""
    lines = []
    for path in sorted(bundle.rglob("*")):
        name = path.relative_to(bundle).as_posix()
        if path.is_file() and name != "MANIFEST.sha256" and not name.startswith("signatures/"):
            lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {name}\n")
    (bundle / "MANIFEST.sha256").write_text("".join(sorted(lines, key=lambda line: line.split("  ", 1)[1])))


def _ssh_sign(key: Path, data: bytes) -> bytes:
    return subprocess.run(["ssh-keygen", "-Y", "sign", "-f", str(key), "-n", HADRILL_NAMESPACE], input=data,
                          capture_output=True, check=True, timeout=30).stdout


def _hadrill(*args: str) -> subprocess.CompletedProcess:
    """The hadrill command line, in this process (the same code as the installed command, without
    a second of interpreter start-up per call)."""
    import contextlib
    import io

    from hadrill.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return subprocess.CompletedProcess(["hadrill", *args], code, out.getvalue(), err.getvalue())


def edit_a_figure_and_rehash(bundle: Path, keys: Keys, other: Path) -> str:
    summary = json.loads((bundle / "summary.json").read_text())
    for scenario in summary["scenarios"].values():
        numeric = [item for item in scenario["figures"]
                   if isinstance(item["value"], (int, float)) and not isinstance(item["value"], bool)]
        if numeric:
            figure = numeric[0]
            where = f"scenarios.{scenario['scenario']}.figures[{figure['name']}].value"
            figure["value"] = figure["value"] / 2 + 0.5
            break
    else:
        gate = summary["gates"][0]
        where = f"gates[{gate['name']}].duration_s"
        gate["duration_s"] = gate["duration_s"] / 2 + 0.5
    (bundle / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    rehash(bundle)
    return f"summary.json: {where}:"


def edit_a_marker_and_reseal_through_hadrill(bundle: Path, keys: Keys, other: Path) -> str:
    events = bundle / "events.jsonl"
    lines = events.read_text().splitlines()
    for index, line in enumerate(lines):
        record = json.loads(line)
        if record.get("event") == "marker" and record.get("name") in ("smoke_passed", "drill_finished"):
            record["mono"] -= 0.5
            lines[index] = json.dumps(record, separators=(",", ":"))
            break
    events.write_text("\n".join(lines) + "\n")
    refused = _hadrill("report", str(bundle), "--reseal")
    assert refused.returncode == 3 and "already sealed" in refused.stderr, refused.stderr
    (bundle / "MANIFEST.sha256").unlink()
    resealed = _hadrill("report", str(bundle), "--reseal", "--reason", "fixing a typo")
    assert resealed.returncode == 0, resealed.stderr
    return "seal 2 (hadrill report --reseal) is unsigned, yet seal 1 was signed"


def reseal_with_the_forgers_own_key(bundle: Path, keys: Keys, other: Path) -> str:
    summary = bundle / "summary.json"
    summary.write_text(summary.read_text().replace('"owner": "', '"owner": "not-', 1))
    drill = bundle / "drill.json"
    drill.write_text(drill.read_text().replace('"owner": "', '"owner": "not-', 1))
    (bundle / "MANIFEST.sha256").unlink()
    resealed = _hadrill("report", str(bundle), "--reseal", "--signing-key", str(keys.key("mallory")))
    assert resealed.returncode == 0, resealed.stderr
    return "seal 2 signature unknown"


def forge_a_sign_off(bundle: Path, keys: Keys, other: Path) -> str:
    digest = hashlib.sha256((bundle / "MANIFEST.sha256").read_bytes()).hexdigest()
    drill_id = json.loads((bundle / "drill.json").read_text())["drill_id"]
    statement = {"format": "hadrill-signoff/1", "drill_id": drill_id, "manifest_sha256": digest,
                 "by": PRINCIPALS["alice"], "role": "sre-lead", "note": "all good", "at": "2026-12-01T00:00:00.000000Z",
                 "key_fingerprint": None}
    data = (json.dumps(statement, indent=2, sort_keys=True) + "\n").encode()
    (bundle / "signatures" / "signoff-01.json").write_bytes(data)
    (bundle / "signatures" / "signoff-01.json.sig").write_bytes(_ssh_sign(keys.key("mallory"), data))
    return "sign-off 1 signature unknown: alice@example.com"


def hand_write_a_signoff_json(bundle: Path, keys: Keys, other: Path) -> str:
    (bundle / "signoff.json").write_text(json.dumps({"signatures": [{"by": "alice", "role": "sre-lead"}]}))
    return "added: signoff.json"


def change_a_signers_note(bundle: Path, keys: Keys, other: Path) -> str:
    signed = _hadrill("signoff", str(bundle), "--by", PRINCIPALS["alice"], "--key", str(keys.key("alice")),
                      "--note", "follow up on the alert thresholds")
    assert signed.returncode == 0, signed.stderr
    path = bundle / "signatures" / "signoff-01.json"
    path.write_text(path.read_text().replace("follow up on the alert thresholds", "nothing to follow up"))
    return "sign-off 1 signature bad: alice@example.com"


def swap_in_another_drills_signed_manifest(bundle: Path, keys: Keys, other: Path) -> str:
    shutil.copy2(other / "MANIFEST.sha256", bundle / "MANIFEST.sha256")
    for name in ("seal-01.json", "seal-01.json.sig"):
        shutil.copy2(other / "signatures" / name, bundle / "signatures" / name)
    drill_id = json.loads((other / "drill.json").read_text())["drill_id"]
    return f"signatures/seal-01.json: the seal 1 is for drill {drill_id}"


def replay_a_signature_from_another_bundle(bundle: Path, keys: Keys, other: Path) -> str:
    for name in ("signoff-01.json", "signoff-01.json.sig"):
        shutil.copy2(other / "signatures" / name, bundle / "signatures" / name)
    return "signatures/signoff-01.json: sign-off by alice@example.com is over another manifest"


FORGERIES: dict[str, Callable[[Path, Keys, Path], str]] = {
    function.__name__: function
    for function in (edit_a_figure_and_rehash, edit_a_marker_and_reseal_through_hadrill, reseal_with_the_forgers_own_key,
                     forge_a_sign_off, hand_write_a_signoff_json, change_a_signers_note,
                     swap_in_another_drills_signed_manifest, replay_a_signature_from_another_bundle)
}


def assert_caught(bundle: Path, keys: Keys, reason: str) -> None:
    """hadrill verify --allowed-signers: exit 1, the reason on one line, the last line one summary."""
    checked = _hadrill("verify", str(bundle), "--allowed-signers", str(keys.allowed_signers))
    assert checked.returncode == 1, checked.stdout + checked.stderr
    lines = checked.stderr.splitlines()
    assert any(reason in line for line in lines), f"{reason!r} not in:\n{checked.stderr}"
    assert lines[-1].startswith("FAILED: ") and "Traceback" not in checked.stderr
