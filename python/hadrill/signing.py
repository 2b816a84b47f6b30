"""SSH signatures over evidence (``ssh-keygen -Y sign`` / ``-Y verify``, the format git uses).

A key is a private key file, or a public key file whose private half is in ssh-agent (then
ssh-keygen asks the agent). Signatures are checked against an allowed-signers file (one line per
principal: ``alice@example.com ssh-ed25519 AAAA...``, see ssh-keygen(1) ALLOWED SIGNERS). Every
hadrill signature uses the namespace ``hadrill-evidence``, so a signature made for anything else
(a git commit, a file signed for another purpose) is never accepted here.

Other signature schemes can sit behind the same two calls later: ``Key.sign`` and ``check``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

NAMESPACE = "hadrill-evidence"
# What a principal (the signer's identity in the allowed-signers file) may look like here.
PRINCIPAL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
TIMEOUT_SECONDS = 30
_FINGERPRINT = re.compile(r"\b(SHA256:[A-Za-z0-9+/=]+)")

Status = Literal["verified", "unknown", "bad", "unchecked"]


class SigningError(RuntimeError):
    """The key could not sign (missing, unreadable, passphrase without an agent, no ssh-keygen)."""


def _ssh_keygen() -> str:
    found = shutil.which("ssh-keygen")
    if not found:
        raise SigningError("ssh-keygen (OpenSSH) is not installed on this controller")
    return found


def _run(args: list[str], data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    # Its own session: no controlling terminal, so a passphrase prompt fails at once instead of hanging.
    return subprocess.run([_ssh_keygen(), *args], input=data, capture_output=True, timeout=TIMEOUT_SECONDS,
                          start_new_session=True, check=False)


def _message(process: subprocess.CompletedProcess[bytes]) -> str:
    lines = [line.strip() for line in (process.stderr + process.stdout).decode(errors="replace").splitlines()
             if line.strip() and not line.startswith("Signing data on standard input")]
    return lines[-1] if lines else f"ssh-keygen exited {process.returncode}"


@dataclass(frozen=True)
class Key:
    """A signing key: a private key file, or a public key file whose private key is in ssh-agent."""

    path: Path

    def check_usable(self) -> str:
        """The key's fingerprint; SigningError when it is not a readable SSH key."""
        if not self.path.is_file():
            raise SigningError(f"signing key {self.path}: no such file")
        return self.fingerprint()

    def fingerprint(self) -> str:
        process = _run(["-l", "-E", "sha256", "-f", str(self.path)])
        found = _FINGERPRINT.search(process.stdout.decode(errors="replace"))
        if process.returncode != 0 or not found:
            raise SigningError(f"signing key {self.path}: not an SSH key ({_message(process)})")
        return found.group(1)

    def sign(self, data: bytes) -> bytes:
        """An armored SSH signature of data (``-----BEGIN SSH SIGNATURE-----``)."""
        if not self.path.is_file():
            raise SigningError(f"signing key {self.path}: no such file")
        process = _run(["-Y", "sign", "-f", str(self.path), "-n", NAMESPACE], data)
        if process.returncode != 0 or b"BEGIN SSH SIGNATURE" not in process.stdout:
            raise SigningError(f"signing with {self.path} failed: {_message(process)}")
        return process.stdout


@dataclass(frozen=True)
class Checked:
    """What a signature proves: ``verified`` (by the claimed principal, per the allowed signers),
    ``unknown`` (a valid signature by a key the allowed signers do not list), ``bad`` (it does not
    match the data, or the key belongs to someone else) or ``unchecked`` (valid, no allowed signers
    given, so whose key it is was not checked)."""

    status: Status
    principal: str
    key_fingerprint: str | None
    detail: str

    def line(self) -> str:
        key = f" (key {self.key_fingerprint})" if self.key_fingerprint else ""
        return f"{self.status}: {self.principal}{key}" + (f" - {self.detail}" if self.detail else "")


def check(data: bytes, signature: bytes, principal: str, allowed_signers: Path | None) -> Checked:
    """Check a signature over data that claims to be by ``principal``."""
    with tempfile.TemporaryDirectory(prefix="hadrill-sig-") as scratch:
        sig = Path(scratch) / "signature.sig"
        sig.write_bytes(signature)
        if allowed_signers is not None:
            verified = _run(["-Y", "verify", "-f", str(allowed_signers), "-I", principal, "-n", NAMESPACE,
                             "-s", str(sig)], data)
            if verified.returncode == 0:
                found = _FINGERPRINT.search(verified.stdout.decode(errors="replace"))
                return Checked("verified", principal, found.group(1) if found else None, "")
        valid = _run(["-Y", "check-novalidate", "-n", NAMESPACE, "-s", str(sig)], data)
        if valid.returncode != 0:
            return Checked("bad", principal, None,
                           f"the signature does not match what it signs (changed after signing, or not a "
                           f"{NAMESPACE} signature): {_message(valid)}")
        found = _FINGERPRINT.search(valid.stdout.decode(errors="replace"))
        fingerprint = found.group(1) if found else None
        if allowed_signers is None:
            return Checked("unchecked", principal, fingerprint, "valid signature; no allowed signers given, signer not checked")
        owners = _run(["-Y", "find-principals", "-f", str(allowed_signers), "-s", str(sig)])
        principals = [line.strip() for line in owners.stdout.decode(errors="replace").splitlines() if line.strip()]
        if owners.returncode == 0 and principals and principal not in principals:
            return Checked("bad", principal, fingerprint,
                           f"made with the key of {', '.join(principals)}, not of {principal}")
        if owners.returncode == 0 and principals:
            return Checked("bad", principal, fingerprint, f"the allowed signers refuse it: {_message(verified)}")
        return Checked("unknown", principal, fingerprint, "the key is not in the allowed signers")


def check_drill_key(configured: str | None) -> None:
    """Raise SigningError (naming drill_signing_key) when a configured drill key cannot sign."""
    if configured:
        try:
            Key(Path(configured).expanduser()).check_usable()
        except SigningError as exc:
            raise SigningError(f"drill_signing_key: {exc}") from None


def allowed_signers_line(principal: str, key: Key) -> str:
    """The allowed-signers line for a key (what to hand to auditors)."""
    public = key.path if key.path.suffix == ".pub" else key.path.with_name(key.path.name + ".pub")
    if public.is_file():
        fields = public.read_text(encoding="utf-8").split()
    else:
        process = _run(["-y", "-f", str(key.path)])
        if process.returncode != 0:
            raise SigningError(f"cannot read the public key of {key.path}: {_message(process)}")
        fields = process.stdout.decode().split()
    return f"{principal} {fields[0]} {fields[1]}"
