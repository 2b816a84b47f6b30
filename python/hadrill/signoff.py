"""Sign-off: a person attests a sealed bundle that verifies, with their own SSH key.

The sign-off is a statement (drill, manifest digest, principal, role, note, time) signed with the
signer's key, appended to signatures/ as its own pair of files; nothing else in the bundle changes,
so one sign-off never rewrites another's nor what was sealed.
"""

from __future__ import annotations

from pathlib import Path

from hadrill import clock, manifest, signing, statements
from hadrill.statements import SignoffStatement
from hadrill.verify import verify

MAX_ROLE = 64
MAX_NOTE = 500


class SignoffRefused(ValueError):
    """The sign-off was not recorded; nothing was changed."""


class BundleTampered(RuntimeError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(problems[0] if len(problems) == 1 else f"{problems[0]} (and {len(problems) - 1} more problems)")


def check_principal(value: str) -> str:
    if not signing.PRINCIPAL_PATTERN.match(value or ""):
        raise SignoffRefused(
            f"--by: expected the signer's principal as the allowed-signers file lists it (letters, digits and "
            f". _ @ + -, at most 128 characters, e.g. alice@example.com), got {value!r}")
    return value


def check_text(option: str, value: str | None, limit: int) -> str | None:
    """Printable text on one line: no control characters, escape sequences or newlines."""
    if value is None:
        return None
    if len(value) > limit:
        raise SignoffRefused(f"--{option}: at most {limit} characters, got {len(value)}")
    if not value.isprintable():
        raise SignoffRefused(f"--{option}: printable text on one line only (no control characters, "
                             "escape sequences or newlines)")
    return value.strip() or None


def sign(root: Path, *, by: str, key: Path, role: str | None = None, note: str | None = None,
         allowed_signers: Path | None = None) -> tuple[SignoffStatement, str]:
    """Check the input and the bundle, then record a signed sign-off. Returns it and its file."""
    by = check_principal(by)
    role = check_text("role", role, MAX_ROLE)
    note = check_text("note", note, MAX_NOTE)
    if not manifest.is_sealed(root):
        raise SignoffRefused("the bundle is not sealed (no MANIFEST.sha256); only a sealed bundle can be signed off")
    signer = signing.Key(key)
    fingerprint = signer.fingerprint()
    state = verify(root, allowed_signers=allowed_signers, require_signed_seal=False)
    if not state.ok:
        raise BundleTampered(state.problems)
    with statements.locked(root):
        for item in statements.load(root, hold_lock=False).signoffs:
            recorded = item.statement
            if isinstance(recorded, SignoffStatement) and recorded.by == by:
                raise SignoffRefused(f"{by} has already signed off this bundle ({item.path})")
            if isinstance(recorded, SignoffStatement) and recorded.key_fingerprint == fingerprint:
                raise SignoffRefused(f"key {fingerprint} has already signed off this bundle as {recorded.by} ({item.path})")
        current = manifest.verify(root).manifest_digest
        if current != state.manifest_digest:
            raise BundleTampered(["MANIFEST.sha256 changed while signing; run hadrill verify"])
        statement = SignoffStatement(drill_id=state.drill_id or root.name, manifest_sha256=current, by=by, role=role,
                                     note=note, at=clock.now().iso, key_fingerprint=fingerprint)
        signature = signer.sign(statement.data())
        if allowed_signers is not None:
            checked = signing.check(statement.data(), signature, by, allowed_signers)
            if checked.status != "verified":
                raise SignoffRefused(f"the allowed signers do not accept this key as {by}: {checked.line()}")
        path = statements.append(root, "signoff", statement, signature)
    return statement, path
