"""Published JSON Schemas of the evidence bundle, generated from the pydantic models.

``hadrill schema NAME`` prints one; the files ship in this package (``<name>.schema.json``).
Regenerate them after changing a model: ``python -m hadrill.schemas`` (a unit test fails while a
committed file differs from what the models generate).

Version rules (also in collection/docs/results.md): summary.json and drill.json carry a
``schema_version`` MAJOR.MINOR. A minor bump only adds (an optional field, a new figure or check
name); a major bump changes or removes something an older reader would misread. hadrill reads
a file of its own major with a minor up to its own; a newer minor or another major is refused
with one line, and the file is never rewritten down. The statements carry their format in the
file (``hadrill-seal/1``, ``hadrill-signoff/1``); events lines are versioned with drill.json.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from pydantic import BaseModel, TypeAdapter

import hadrill

NAMES = ("summary", "drill", "event", "seal", "signoff")
DESCRIPTIONS = {
    "summary": "summary.json: every figure, threshold and verdict of a drill",
    "drill": "drill.json: the drill's metadata and configuration snapshot (secrets redacted)",
    "event": "one line of events.jsonl (a task, marker, check, gate or playbook event)",
    "seal": "signatures/seal-NN.json: a seal statement (signed with the drill key when one is configured)",
    "signoff": "signatures/signoff-NN.json: a person's sign-off statement, signed with their key",
}


class NewerSchema(ValueError):
    """A file written by a newer (or incompatible) hadrill: refused, never rewritten."""


def versions() -> dict[str, str]:
    from hadrill.bundle_models import DRILL_SCHEMA_VERSION
    from hadrill.summary import SCHEMA_VERSION

    return {"summary": SCHEMA_VERSION, "drill": DRILL_SCHEMA_VERSION, "event": DRILL_SCHEMA_VERSION,
            "seal": "hadrill-seal/1", "signoff": "hadrill-signoff/1"}


def _major_minor(text: str) -> tuple[int, int]:
    major, _, minor = text.partition(".")
    return int(major), int(minor or 0)


def check_readable(name: str, found: Any) -> None:
    """Raise NewerSchema unless this hadrill reads ``found`` (a file's schema_version; absent: 1.0)."""
    ours = versions()[name]
    text = "1.0" if found is None else str(found)
    try:
        major, minor = _major_minor(text)
    except ValueError:
        raise NewerSchema(f"{name}.json: schema_version {text!r} is not MAJOR.MINOR") from None
    our_major, our_minor = _major_minor(ours)
    if major != our_major or minor > our_minor:
        raise NewerSchema(
            f"{name}.json has schema_version {text}; hadrill {hadrill.__version__} reads {our_major}.0 to {ours}: "
            "use the hadrill that wrote it (nothing was changed)"
        )


def _model(name: str) -> type[BaseModel] | TypeAdapter[Any]:
    from hadrill.bundle_models import EVENT_LINE, DrillRecord
    from hadrill.statements import SealStatement, SignoffStatement
    from hadrill.summary import Summary

    return {"summary": Summary, "drill": DrillRecord, "event": EVENT_LINE, "seal": SealStatement,
            "signoff": SignoffStatement}[name]


def generate(name: str) -> dict[str, Any]:
    """The JSON Schema of ``name``, from its model."""
    model = _model(name)
    schema = model.json_schema() if isinstance(model, TypeAdapter) else model.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"hadrill:{name}.schema.json",
        "title": schema.pop("title", name) if name != "event" else "EventLine",
        "description": DESCRIPTIONS[name],
        "x-hadrill-schema-version": versions()[name],
        **schema,
    }


def text(name: str) -> str:
    return json.dumps(generate(name), indent=2, sort_keys=True) + "\n"


def filename(name: str) -> str:
    return f"{name}.schema.json"


def published(name: str) -> str:
    """The shipped schema file (what ``hadrill schema NAME`` prints)."""
    if name not in NAMES:
        raise KeyError(name)
    return resources.files(__package__).joinpath(filename(name)).read_text(encoding="utf-8")


def load(name: str) -> dict[str, Any]:
    return json.loads(published(name))


def write_all() -> list[str]:
    """Regenerate every shipped schema file from the models (``python -m hadrill.schemas``)."""
    directory = resources.files(__package__)
    written = []
    for name in NAMES:
        path = directory.joinpath(filename(name))
        with resources.as_file(path) as target:
            target.write_text(text(name), encoding="utf-8")
            written.append(str(target))
    return written
