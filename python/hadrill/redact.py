"""Keep secrets out of the evidence bundle and the logs.

Secrets are found by what they are, not by where they happen to be used: values of variables
whose names say secret, vault-encrypted values, passwords inside connection URLs and the
credentials of Authorization headers. Every text that leaves a drill goes through ``Redactor``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

SECRET_NAME = re.compile(r"(pass(word|wd)?|secret|token|api_?keys?|private_?key|credential|auth)", re.I)
HEADER_NAMES = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie"})
URL_IN_TEXT = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"]+", re.I)
KEYWORD_PASSWORD = re.compile(r"\bpassword\s*=\s*'?([^\s']+)", re.I)
MIN_SECRET_LENGTH = 4
REDACTED = "***REDACTED***"


def _string_leaves(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _string_leaves(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            yield from _string_leaves(item)


def _is_vaulted(value: Any) -> bool:
    return type(value).__name__ in {"AnsibleVaultEncryptedUnicode", "EncryptedString"}


def secrets_in_text(text: str) -> set[str]:
    """Credentials embedded in a string: URL passwords and ``password=`` keywords."""
    found: set[str] = set()
    for match in URL_IN_TEXT.finditer(text):
        try:
            password = urlsplit(match.group(0)).password
        except ValueError:
            continue
        if password:
            found.add(password)
    found.update(match.group(1) for match in KEYWORD_PASSWORD.finditer(text))
    return found


def collect_secrets(variables: Mapping[str, Any]) -> set[str]:
    """Every secret value reachable from a variable mapping (names, vault, URLs, headers)."""
    found: set[str] = set()

    def visit(name: str, value: Any) -> None:
        if _is_vaulted(value):
            found.add(str(value))
            return
        if SECRET_NAME.search(name):
            found.update(_string_leaves(value))
            return
        if isinstance(value, Mapping):
            for key, item in value.items():
                key_text = str(key)
                if key_text.lower() in HEADER_NAMES and isinstance(item, str):
                    found.add(item)
                    scheme, _, credential = item.partition(" ")
                    if credential:
                        found.add(credential)
                else:
                    visit(key_text, item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(name, item)
        elif isinstance(value, str):
            found.update(secrets_in_text(value))

    for name, value in variables.items():
        visit(str(name), value)
    return {item for item in found if isinstance(item, str) and len(item) >= MIN_SECRET_LENGTH}


class Redactor:
    """Replace known secret values (longest first, so a secret inside another goes too)."""

    def __init__(self, secrets: Iterable[str] = ()):
        self._secrets = sorted({item for item in secrets if len(item) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(item) for item in self._secrets)) if self._secrets else None

    @property
    def secrets(self) -> list[str]:
        return list(self._secrets)

    def text(self, value: str) -> str:
        if self._pattern is None:
            return value
        return self._pattern.sub(REDACTED, value)

    def value(self, value: Any) -> Any:
        """Redact recursively inside JSON-like data; dictionary keys too."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(key)): self.value(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(item) for item in value]
        return value

    def hits(self, text: str) -> list[str]:
        """Which secrets a text still contains (for the final sweep over a bundle)."""
        return [item for item in self._secrets if item in text]
