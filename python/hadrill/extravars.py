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


def yaml_problem(path: Path) -> str | None:
    """Where a YAML file fails to parse ("<file> line L, column C: <problem>"), or None.

    Ansible's own loader (vault and unsafe tags included) reads the file as ansible-playbook
    would; only the syntax is checked here, nothing is decrypted."""
    import yaml
    from ansible.parsing.yaml.loader import AnsibleLoader

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return f"{path}: cannot be read ({exc})"
    try:
        yaml.load(text, Loader=AnsibleLoader)  # noqa: S506 - Ansible's safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        return f"{path}{where}: YAML error: {what}"
    except yaml.YAMLError as exc:
        return f"{path}: YAML error: {first_line(exc)}"
    return None


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


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
        from ansible.errors import AnsibleError

        for path in self.files:
            problem = yaml_problem(path)
            if problem:
                raise ExtraVarsError(f"--extra-vars @{problem}")
            # Trusted as templates, as ansible-playbook treats its own -e @file (ansible-core 2.19's
            # data tagging; before it every string is a template).
            try:
                if _trust_as_template() is None:
                    data = loader.load_from_file(str(path))
                else:
                    data = loader.load_from_file(str(path), trusted_as_template=True)
            except AnsibleError as exc:
                raise ExtraVarsError(f"--extra-vars @{path}: {first_line(exc)}") from None
            if data is None:
                continue
            if not isinstance(data, dict):
                raise ExtraVarsError(f"--extra-vars @{path}: expected a mapping")
            merged.update(data)
        # Trusted as templates too: ansible-playbook templates its own -e key={{ ... }}.
        merged.update(_trusted(self.inline))
        return merged


def _trust_as_template() -> Any:
    """ansible.template.trust_as_template (ansible-core 2.19+), or None before it."""
    try:
        from ansible.template import trust_as_template
    except ImportError:
        return None
    return trust_as_template


def _trusted(value: Any) -> Any:
    trust_as_template = _trust_as_template()
    if trust_as_template is None:
        return value
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {key: _trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_trusted(item) for item in value]
    return value
