"""Copying the sealed bundle somewhere that outlives the job (``drill_evidence_sink``).

An AWX job's container is gone when the job ends, and the evidence with it unless the evidence
root is a persistent volume. The sink is a command the inventory gives, run on the controller in
the drill's final ``always:`` section after the bundle is sealed. It is split into arguments the
way a shell would (``shlex``) but never run through a shell; its ``${placeholders}`` are filled
in each argument. The bundle is read, never moved or changed: an upload that fails leaves it
where it is, and the failure is reported (the task output, AWX's job artifacts, the drill's row
in the journal on the target side, and a failed job). Examples (docs/awx.md):

- ``rsync -a ${bundle}/ drills@bastion.example.com:/srv/hadrill/${environment}/${drill_id}/``
- ``scp -rq ${bundle} drills@bastion.example.com:/srv/hadrill/${environment}/``
- ``aws s3 cp --recursive --only-show-errors --endpoint-url https://s3.example.com ${bundle}
  s3://drill-evidence/${environment}/${drill_id}/``
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, field_validator

from hadrill import sqltemplate

PLACEHOLDERS = ("bundle", "drill_id", "environment", "evidence_root", "manifest_sha256")
OUTPUT_LINES = 20


def _check(template: str, what: str) -> list[str]:
    try:
        words = shlex.split(template)
    except ValueError as exc:
        raise ValueError(f"{what} cannot be split into arguments: {exc}") from None
    unknown = sqltemplate.unknown(template, PLACEHOLDERS)
    if unknown:
        raise ValueError(f"unknown placeholder(s) {unknown} in {what}; known: {list(PLACEHOLDERS)}")
    return words


class EvidenceSink(BaseModel):
    """Where the sealed bundle is copied after the drill (run on the controller, no shell)."""

    model_config = ConfigDict(extra="forbid")

    command: str = Field(min_length=1)
    # Where the evidence went, as AWX and the journal record it (e.g. s3://bucket/${drill_id}/);
    # default: the command's last argument.
    location: str | None = Field(default=None, min_length=1)
    timeout_seconds: PositiveFloat = 600.0

    @field_validator("command")
    @classmethod
    def _command(cls, value: str) -> str:
        if not _check(value, "the command"):
            raise ValueError("expected a command, got only blanks")
        return value

    @field_validator("location")
    @classmethod
    def _location(cls, value: str | None) -> str | None:
        if value is not None:
            _check(value, "the location")
        return value


def _fill(text: str, values: Mapping[str, str]) -> str:
    return sqltemplate.PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def argv(sink: EvidenceSink, values: Mapping[str, str]) -> list[str]:
    """The command's arguments with the placeholders filled (one argument stays one argument)."""
    return [_fill(word, values) for word in shlex.split(sink.command)]


def location(sink: EvidenceSink, values: Mapping[str, str]) -> str:
    return _fill(sink.location, values) if sink.location else argv(sink, values)[-1]


def values_for(bundle: Path, drill_id: str, environment: str, manifest_sha256: str) -> dict[str, str]:
    return {"bundle": str(bundle), "drill_id": drill_id, "environment": environment,
            "evidence_root": str(bundle.parent), "manifest_sha256": manifest_sha256}


def upload(sink: EvidenceSink, values: Mapping[str, str], redact: Any = None) -> dict[str, Any]:
    """Run the sink; the outcome (never raises): ok, rc, seconds, location, the command and its
    last output lines (``redact``: a callable over text, for secrets), and the error if any."""
    clean = redact or (lambda text: text)
    command = argv(sink, values)
    outcome: dict[str, Any] = {"ok": False, "location": clean(location(sink, values)), "command": clean(shlex.join(command)),
                               "rc": None, "seconds": None, "output_tail": "", "error": None}
    started = time.monotonic()
    try:
        process = subprocess.run(command, capture_output=True, text=True, timeout=sink.timeout_seconds,
                                 cwd=values.get("evidence_root") or None, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        outcome["error"] = f"the upload did not finish within {sink.timeout_seconds:g}s"
        outcome["output_tail"] = clean(_tail(_text(exc.stdout) + _text(exc.stderr)))
    except OSError as exc:
        outcome["error"] = f"the upload command could not run: {exc.strerror or exc}"
    else:
        outcome["rc"] = process.returncode
        outcome["ok"] = process.returncode == 0
        outcome["output_tail"] = clean(_tail(process.stdout + process.stderr))
        if process.returncode != 0:
            outcome["error"] = f"the upload command exited with {process.returncode}"
    outcome["seconds"] = round(time.monotonic() - started, 3)
    return outcome


def _text(value: str | bytes | None) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else (value or "")


def _tail(text: str) -> str:
    return "\n".join(text.splitlines()[-OUTPUT_LINES:])
