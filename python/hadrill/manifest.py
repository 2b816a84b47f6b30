"""MANIFEST.sha256: the digest of every file in a bundle, in sha256sum format.

``sha256sum -c MANIFEST.sha256`` run inside the bundle checks it without hadrill. Two names are
outside it: the manifest itself and ``signatures/`` (seal and sign-off statements, added after
sealing; each one records the manifest's own digest instead).

Only regular files are listed. Hashing never follows a symbolic link: a link, FIFO, socket or
device in a bundle is never read, it is reported as unexpected (and so is a directory that holds
no listed file).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from hadrill import layout
from hadrill.layout import SIGNATURES_DIR

MANIFEST_NAME = "MANIFEST.sha256"
OUTSIDE_MANIFEST = frozenset({MANIFEST_NAME, SIGNATURES_DIR})


def _hash_fd(fd: int) -> str:
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_digest(root: Path, relative: str) -> str:
    """SHA-256 of a bundle file, opened without following links."""
    return _hash_fd(layout.open_file(root, relative))


@dataclass
class Contents:
    """What a bundle holds below its root, outside the manifest's own names."""

    files: list[str] = field(default_factory=list)  # regular files, sorted POSIX paths
    directories: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)  # one description per non-regular entry


def scan(root: Path) -> Contents:
    found = Contents()
    for entry in layout.walk(root):
        top = entry.path.split("/", 1)[0]
        if top in OUTSIDE_MANIFEST:
            if entry.path == MANIFEST_NAME and entry.kind != "file":
                found.unexpected.append(f"unexpected {entry.kind}: {MANIFEST_NAME} (must be a regular file)")
            continue
        if "\n" in entry.path or "\\" in entry.path:
            found.unexpected.append(f"unexpected file name (newline or backslash): {entry.path!r}")
        elif entry.kind == "file":
            found.files.append(entry.path)
        elif entry.kind == "directory":
            found.directories.append(entry.path)
        else:
            target = f" -> {entry.target}" if entry.target is not None else ""
            found.unexpected.append(f"unexpected {entry.kind}: {entry.path}{target}")
    found.files.sort()
    return found


def bundle_files(root: Path) -> list[str]:
    """Every regular file under root, as sorted POSIX relative paths, outside the manifest's own names."""
    return scan(root).files


def write_manifest(root: Path) -> str:
    """Write the manifest (atomically) and return its own sha256, what seals and sign-offs refer to."""
    data = "".join(f"{file_digest(root, name)}  {name}\n" for name in bundle_files(root)).encode("utf-8")
    layout.write_bytes(root, MANIFEST_NAME, data)
    return hashlib.sha256(data).hexdigest()


def is_sealed(root: Path) -> bool:
    return os.path.lexists(root / MANIFEST_NAME)


def parse_manifest(data: bytes) -> dict[str, str]:
    entries: dict[str, str] = {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{MANIFEST_NAME} is not UTF-8 text") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or any(char not in "0123456789abcdef" for char in digest):
            raise ValueError(f"{MANIFEST_NAME} line {number} is not '<sha256>  <path>': {line[:80]!r}")
        if name in entries:
            raise ValueError(f"{MANIFEST_NAME} line {number} lists {name} a second time")
        entries[name] = digest
    return entries


@dataclass
class Verification:
    manifest_present: bool
    manifest_digest: str | None = None
    files: int = 0
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.manifest_present and self.error is None and not (
            self.changed or self.added or self.missing or self.unexpected)

    def problems(self) -> list[str]:
        if not self.manifest_present:
            return [f"{MANIFEST_NAME} is missing: the bundle was never sealed or it was removed"]
        if self.error:
            return [self.error]
        return (
            [f"changed: {name}" for name in self.changed]
            + [f"added: {name}" for name in self.added]
            + [f"missing: {name}" for name in self.missing]
            + self.unexpected
        )


def verify(root: Path) -> Verification:
    """Every listed file against its digest; every file, link or directory not listed named."""
    if not os.path.lexists(root / MANIFEST_NAME):
        return Verification(manifest_present=False)
    try:
        data = layout.read_bytes(root, MANIFEST_NAME)
        recorded = parse_manifest(data)
    except (OSError, ValueError) as exc:
        return Verification(manifest_present=True, error=f"{MANIFEST_NAME}: {exc}")
    contents = scan(root)
    result = Verification(manifest_present=True, manifest_digest=hashlib.sha256(data).hexdigest(),
                          files=len(recorded), unexpected=contents.unexpected)
    present = set(contents.files)
    for name, digest in sorted(recorded.items()):
        if name in present:
            if file_digest(root, name) != digest:
                result.changed.append(name)
        elif os.path.lexists(root / name):
            result.changed.append(f"{name} (no longer a regular file)")
        else:
            result.missing.append(name)
    result.added = sorted(present - set(recorded))
    holding = {"/".join(name.split("/")[:depth]) for name in present | set(recorded)
               for depth in range(1, name.count("/") + 1)}
    result.unexpected += [f"unexpected directory: {name}/" for name in contents.directories if name not in holding]
    return result
