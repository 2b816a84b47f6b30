"""MANIFEST.sha256: the digest of every file in a bundle, in sha256sum format.

``sha256sum -c MANIFEST.sha256`` run inside the bundle checks it without hadrill.
signoff.json is the one file outside the manifest: it records the manifest's own digest,
so signing does not change what was signed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST_NAME = "MANIFEST.sha256"
UNSIGNED_FILES = frozenset({MANIFEST_NAME, "signoff.json"})


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def bundle_files(root: Path) -> list[str]:
    """Every regular file under root, as sorted POSIX relative paths, manifest and signoff excluded."""
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and path.relative_to(root).as_posix() not in UNSIGNED_FILES
    )


def write_manifest(root: Path) -> str:
    """Write the manifest and return its own sha256 (what a signature refers to)."""
    lines = [f"{file_digest(root / name)}  {name}\n" for name in bundle_files(root)]
    manifest = root / MANIFEST_NAME
    manifest.write_text("".join(lines), encoding="utf-8")
    return file_digest(manifest)


def read_manifest(root: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    for number, line in enumerate((root / MANIFEST_NAME).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise ValueError(f"{MANIFEST_NAME} line {number} is not '<sha256>  <path>': {line!r}")
        entries[name] = digest
    return entries


@dataclass
class Verification:
    manifest_present: bool
    manifest_digest: str | None = None
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.manifest_present and self.error is None and not (self.changed or self.added or self.missing)

    def problems(self) -> list[str]:
        if not self.manifest_present:
            return [f"{MANIFEST_NAME} is missing: the bundle was never sealed or it was removed"]
        if self.error:
            return [self.error]
        return (
            [f"changed: {name}" for name in self.changed]
            + [f"added: {name}" for name in self.added]
            + [f"missing: {name}" for name in self.missing]
        )


def verify(root: Path) -> Verification:
    if not (root / MANIFEST_NAME).is_file():
        return Verification(manifest_present=False)
    try:
        recorded = read_manifest(root)
    except (ValueError, UnicodeDecodeError) as exc:
        return Verification(manifest_present=True, error=str(exc))
    present = set(bundle_files(root))
    result = Verification(manifest_present=True, manifest_digest=file_digest(root / MANIFEST_NAME))
    for name, digest in sorted(recorded.items()):
        if name not in present:
            result.missing.append(name)
        elif file_digest(root / name) != digest:
            result.changed.append(name)
    result.added = sorted(present - set(recorded))
    return result
