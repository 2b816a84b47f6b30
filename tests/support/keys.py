"""Real SSH keys for tests (made with ssh-keygen) and the allowed-signers file that lists them."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

# name -> principal in the allowed signers (mallory's key is made but not listed)
PRINCIPALS = {"drill": "hadrill-drill@test", "alice": "alice@example.com", "bob": "bob@example.com"}


@dataclass(frozen=True)
class Keys:
    directory: Path
    allowed_signers: Path

    def key(self, name: str) -> Path:
        return self.directory / name

    def public(self, name: str) -> Path:
        return self.directory / f"{name}.pub"


def make_keys(directory: Path, principals: dict[str, str] | None = None) -> Keys:
    principals = {**PRINCIPALS, **(principals or {})}
    directory.mkdir(parents=True, exist_ok=True)
    lines = []
    for name in [*principals, "mallory"]:
        path = directory / name
        if not path.exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)], check=True,
                           capture_output=True, timeout=30)
        if name in principals:
            kind, blob = (directory / f"{name}.pub").read_text().split()[:2]
            lines.append(f"{principals[name]} {kind} {blob}\n")
    allowed = directory / "allowed_signers"
    allowed.write_text("".join(lines))
    return Keys(directory, allowed)
