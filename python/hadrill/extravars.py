"""Extra variables given on the command line (-e key=value, -e JSON, -e @file.yml).

Files are handed to ansible-playbook as they are (vault-encrypted values stay encrypted and
are read with the vault password, never written out in clear); inline values follow them, so
they win, as with ansible-playbook's own -e.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


class ExtraVarsError(ValueError):
    pass


def _key_values(item: str) -> dict[str, str]:
    """key=value pairs split as ansible-playbook splits them (quotes keep spaces in a value)."""
    from ansible.errors import AnsibleError
    from ansible.parsing.splitter import parse_kv

    try:
        pairs = parse_kv(item)
    except AnsibleError as exc:
        raise ExtraVarsError(f"--extra-vars: cannot parse {item!r}: {exc}") from None
    if "_raw_params" in pairs or not pairs:
        raise ExtraVarsError(f"--extra-vars: expected key=value, got {item!r}")
    return {str(key): str(value) for key, value in pairs.items()}


@dataclass(frozen=True)
class ExtraVars:
    files: tuple[Path, ...] = ()
    inline: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, items: list[str]) -> "ExtraVars":
        files: list[Path] = []
        inline: dict[str, Any] = {}
        for item in items:
            if item.startswith("@"):
                path = Path(item[1:])
                if not path.is_file():
                    raise ExtraVarsError(f"--extra-vars {item}: no such file")
                files.append(path.resolve())
            elif item.lstrip().startswith("{"):
                try:
                    value = json.loads(item)
                except ValueError as exc:
                    raise ExtraVarsError(f"--extra-vars: invalid JSON: {exc}") from None
                inline.update(value)
            else:
                inline.update(_key_values(item))
        return cls(tuple(files), inline)

    def with_values(self, **values: Any) -> "ExtraVars":
        return replace(self, inline={**self.inline, **values})

    def cli_args(self) -> list[str]:
        args: list[str] = []
        for path in self.files:
            args += ["-e", f"@{path}"]
        if self.inline:
            args += ["-e", json.dumps(self.inline, default=str)]
        return args

    def load(self, loader: Any) -> dict[str, Any]:
        """Merged values, read by an Ansible DataLoader (which knows the vault secrets)."""
        merged: dict[str, Any] = {}
        for path in self.files:
            # Trusted as templates, as ansible-playbook treats its own -e @file.
            data = loader.load_from_file(str(path), trusted_as_template=True)
            if data is None:
                continue
            if not isinstance(data, dict):
                raise ExtraVarsError(f"--extra-vars @{path}: expected a mapping")
            merged.update(data)
        merged.update(self.inline)
        return merged
