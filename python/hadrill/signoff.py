"""Sign-off: people attest a sealed, untampered bundle; each signature pins the manifest digest.

The chain: every signature records the manifest digest it verified and the digest after its
sign-off section was written into report.md. ``verify`` checks the files against the manifest
and that no one re-sealed the bundle after the last signature.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hadrill import clock, manifest
from hadrill.layout import Bundle
from hadrill.summary import Summary


class BundleTampered(RuntimeError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("the bundle does not verify:\n" + "\n".join(f"  - {item}" for item in problems))


@dataclass
class BundleCheck:
    ok: bool
    problems: list[str]
    signatures: list[dict[str, Any]]
    manifest_digest: str | None


def load_signatures(root: Path) -> list[dict[str, Any]]:
    path = Bundle(root).signoff
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8")).get("signatures", [])


def check(root: Path) -> BundleCheck:
    """Files against the manifest, then the signature chain against the manifest."""
    result = manifest.verify(root)
    problems = result.problems()
    try:
        signatures = load_signatures(root)
    except (OSError, ValueError) as exc:
        return BundleCheck(False, problems + [f"signoff.json is unreadable: {exc}"], [], result.manifest_digest)
    previous = None
    for index, signature in enumerate(signatures):
        if index > 0 and signature.get("verified_manifest_sha256") != previous:
            problems.append(
                f"signoff.json: signature {index + 1} ({signature.get('by')}) verified a manifest "
                "that the previous signature did not leave (re-sealed in between)"
            )
        previous = signature.get("manifest_sha256")
    if signatures and result.manifest_present and previous != result.manifest_digest:
        problems.append(
            f"MANIFEST.sha256 changed after the last signature by {signatures[-1].get('by')} "
            "(the bundle was re-sealed after sign-off)"
        )
    return BundleCheck(not problems, problems, signatures, result.manifest_digest)


def sign(root: Path, *, by: str, role: str | None = None, note: str | None = None) -> dict[str, Any]:
    """Verify, record the signature, refresh the report's sign-off section, re-seal."""
    from hadrill.report import write_report

    if not by.strip():
        raise ValueError("--by: a signer name is required")
    state = check(root)
    if not state.ok:
        raise BundleTampered(state.problems)
    bundle = Bundle(root)
    entry: dict[str, Any] = {
        "by": by.strip(),
        "role": role,
        "note": note,
        "at": clock.now().iso,
        "verified_manifest_sha256": state.manifest_digest,
    }
    signatures = state.signatures + [entry]
    bundle.signoff.write_text(json.dumps({"signatures": signatures}, indent=2) + "\n", encoding="utf-8")
    summary = Summary.model_validate_json(bundle.summary.read_text(encoding="utf-8"))
    write_report(root, summary)
    entry["manifest_sha256"] = manifest.write_manifest(root)
    bundle.signoff.write_text(json.dumps({"signatures": signatures}, indent=2) + "\n", encoding="utf-8")
    return entry
