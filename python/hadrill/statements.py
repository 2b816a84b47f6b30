"""The signatures/ directory of a bundle: seal and sign-off statements, each with its SSH signature.

A statement is a small JSON file saying what is attested (this drill's MANIFEST.sha256 had this
digest; this person signed it off with this role and note at this time); its signature
(``<statement>.sig``, an armored SSH signature in the ``hadrill-evidence`` namespace) is over the
statement file's exact bytes. Statements are appended, numbered per kind (``seal-01.json``,
``signoff-01.json``, ``signoff-02.json``...), never rewritten: a file that exists is never
replaced, and appends take a lock on the directory so two signers at once are both recorded.

signatures/ is outside MANIFEST.sha256 (it is added after sealing); each statement pins the
manifest's digest instead.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hadrill import layout
from hadrill.layout import SIGNATURES_DIR

SEAL_FORMAT = "hadrill-seal/1"
SIGNOFF_FORMAT = "hadrill-signoff/1"
PRINCIPAL = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$"  # hadrill.signing.PRINCIPAL_PATTERN
SHA256 = r"^[0-9a-f]{64}$"
FINGERPRINT = r"^SHA256:[A-Za-z0-9+/=]+$"
Kind = Literal["seal", "signoff"]
NAME = re.compile(r"^(?P<kind>seal|signoff)-(?P<number>\d{2,})\.json(?P<sig>\.sig)?$")


class Statement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    drill_id: str = Field(description="The drill this statement is about (drill.json's drill_id).")
    manifest_sha256: str = Field(pattern=SHA256, description="SHA-256 of the bundle's MANIFEST.sha256 file.")
    key_fingerprint: str | None = Field(default=None, pattern=FINGERPRINT,
                                        description="SHA256 fingerprint of the key that signed this statement.")

    def data(self) -> bytes:
        """The bytes that are written and signed (sorted keys, so the same statement is the same file)."""
        return (json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


class SealStatement(Statement):
    """A seal: hadrill wrote MANIFEST.sha256 with this digest. Signed with the drill key when one is configured."""

    format: Literal["hadrill-seal/1"] = SEAL_FORMAT
    seal: int = Field(ge=1, description="1 for the drill's own seal; each re-seal adds one.")
    sealed_at: str = Field(description="UTC time of the seal.")
    sealed_by: str = Field(description="What sealed it: hadrill.drills.evidence, hadrill run, hadrill recover, "
                                       "hadrill report --reseal.")
    reason: str | None = Field(default=None, description="Why it was sealed outside the drill's own sealing step.")
    principal: str | None = Field(default=None, pattern=PRINCIPAL,
                                  description="The drill key's principal in the allowed signers; null: unsigned.")


class SignoffStatement(Statement):
    """A person's sign-off of a sealed bundle, signed with their own key."""

    format: Literal["hadrill-signoff/1"] = SIGNOFF_FORMAT
    by: str = Field(pattern=PRINCIPAL, description="The signer: their principal in the allowed signers.")
    role: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, max_length=500)
    at: str = Field(description="UTC time of the sign-off.")


MODELS: dict[str, type[Statement]] = {"seal": SealStatement, "signoff": SignoffStatement}


def statement_name(kind: Kind, number: int) -> str:
    return f"{SIGNATURES_DIR}/{kind}-{number:02d}.json"


@dataclass
class Recorded:
    """One statement file of signatures/, parsed, with its signature if there is one."""

    kind: Kind
    number: int
    path: str  # relative to the bundle
    data: bytes
    statement: Statement | None
    signature: bytes | None
    error: str | None = None


@dataclass
class Signatures:
    seals: list[Recorded] = field(default_factory=list)
    signoffs: list[Recorded] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # unexpected entries, lone signatures


def load(root: Path, *, hold_lock: bool = True) -> Signatures:
    """Everything under signatures/, links and other non-files reported, never followed.

    ``hold_lock``: read under a shared lock, so an append under way (``locked``) is seen whole or not
    at all; False when the caller already holds ``locked``."""
    found = Signatures()
    directory = root / SIGNATURES_DIR
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        return found
    if layout.kind_of(info.st_mode) != "directory":
        found.problems.append(f"unexpected {layout.kind_of(info.st_mode)}: {SIGNATURES_DIR} (must be a directory)")
        return found
    if hold_lock:
        fd = layout.open_dir(root, [SIGNATURES_DIR])
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            return _read(root, directory, found)
        finally:
            os.close(fd)
    return _read(root, directory, found)


def _read(root: Path, directory: Path, found: Signatures) -> Signatures:
    names: dict[tuple[str, int], dict[str, str]] = {}
    for entry in layout.walk(directory):
        path = f"{SIGNATURES_DIR}/{entry.path}"
        match = NAME.match(entry.path)
        if entry.kind != "file" or not match:
            target = f" -> {entry.target}" if entry.target else ""
            found.problems.append(f"unexpected {entry.kind} in {SIGNATURES_DIR}/: {path}{target}")
            continue
        slot = names.setdefault((match["kind"], int(match["number"])), {})
        slot["sig" if match["sig"] else "statement"] = path
    for (kind, number), files in sorted(names.items()):
        if "statement" not in files:
            found.problems.append(f"{files['sig']}: a signature without its statement")
            continue
        data = layout.read_bytes(root, files["statement"])
        signature = layout.read_bytes(root, files["sig"]) if "sig" in files else None
        record = Recorded(kind, number, files["statement"], data, None, signature)  # type: ignore[arg-type]
        try:
            record.statement = MODELS[kind].model_validate_json(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the file"
            record.error = f"{files['statement']}: not a hadrill {kind} statement ({where}: {first['msg']})"
        (found.seals if kind == "seal" else found.signoffs).append(record)
    return found


@contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the bundle's signatures lock (flock on signatures/): one append at a time, and no reader
    (``load``) in between. Inside it, read with ``load(root, hold_lock=False)``."""
    fd = layout.open_dir(root, [SIGNATURES_DIR], create=True)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def next_number(root: Path, kind: Kind, *, hold_lock: bool = True) -> int:
    recorded = load(root, hold_lock=hold_lock)
    numbers = [item.number for item in (recorded.seals if kind == "seal" else recorded.signoffs)]
    return max(numbers, default=0) + 1


def append(root: Path, kind: Kind, statement: Statement, signature: bytes | None) -> str:
    """Write a statement (and its signature) as new files; call with ``locked`` held. Never overwrites."""
    number = statement.seal if isinstance(statement, SealStatement) else next_number(root, kind, hold_lock=False)
    name = statement_name(kind, number)
    if signature is not None:
        layout.write_bytes(root, name + ".sig", signature, exclusive=True)
    layout.write_bytes(root, name, statement.data(), exclusive=True)
    return name
