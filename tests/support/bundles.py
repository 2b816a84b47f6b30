"""Evidence bundles as an auditor's tools see them: every JSON file and events line against the
published JSON Schemas (``hadrill schema NAME``), with the jsonschema library, not hadrill's models."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from jsonschema import Draft202012Validator

from hadrill import schemas

BUNDLE_NAME = re.compile(r"^ha_drill_\d{8}_[a-z0-9][a-z0-9-]*_\d{2,}$")
STATEMENT = re.compile(r"^(seal|signoff)-\d{2,}\.json$")


def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schemas.load(name))


def _errors(validator: Draft202012Validator, value: object, where: str) -> list[str]:
    return [f"{where}: {'.'.join(str(part) for part in error.absolute_path) or '(top)'}: {error.message[:200]}"
            for error in validator.iter_errors(value)]


def schema_problems(bundle: Path) -> list[str]:
    """Every place where a bundle file does not match its published schema."""
    problems: list[str] = []
    for name in ("drill", "summary"):
        path = bundle / f"{name}.json"
        if path.is_file():
            problems += _errors(_validator(name), json.loads(path.read_text(encoding="utf-8")), path.name)
    events = bundle / "events.jsonl"
    if events.is_file():
        validator = _validator("event")
        for number, line in enumerate(events.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    value = json.loads(line)
                except ValueError:
                    continue  # a torn last line of a killed drill is not an event
                problems += _errors(validator, value, f"events.jsonl line {number}")
    signatures = bundle / "signatures"
    if signatures.is_dir():
        for path in sorted(signatures.iterdir()):
            if STATEMENT.match(path.name):
                kind = path.name.split("-", 1)[0]
                problems += _errors(_validator(kind), json.loads(path.read_text(encoding="utf-8")), f"signatures/{path.name}")
    return problems


def assert_matches_schemas(bundle: Path) -> None:
    problems = schema_problems(bundle)
    assert not problems, f"{bundle} does not match the published schemas:\n" + "\n".join(problems[:20])


FORGED = "forged"  # a directory of bundles a test damaged on purpose (tests/support/forgery.py)


def bundles_under(root: Path) -> list[Path]:
    """Drill bundles anywhere below root (not inside another bundle, a copied project's .venv or .git,
    nor a ``forged`` directory)."""
    found = []
    for directory, subdirs, files in os.walk(root):
        if BUNDLE_NAME.match(os.path.basename(directory)) and "drill.json" in files:
            found.append(Path(directory))
            subdirs[:] = []
            continue
        subdirs[:] = [name for name in subdirs
                      if name not in {".venv", ".git", "node_modules", "__pycache__", FORGED} and not name.startswith(f"{FORGED}-")]
    return sorted(found)
