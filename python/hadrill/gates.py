"""Validation gates: run a command with a timeout and keep its output, exit code and duration."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from hadrill import clock
from hadrill.events import GateEvent, append_line
from hadrill.layout import Bundle
from hadrill.redact import Redactor

TIMEOUT_RC = 124  # what coreutils `timeout` returns when it had to stop the command
KILL_GRACE_SECONDS = 5


def wrapped_argv(command: str, timeout_seconds: float, environment: dict[str, str]) -> list[str]:
    """argv that runs ``command`` through sh with a hard timeout and extra environment."""
    env_prefix = ["env"] + [f"{key}={value}" for key, value in environment.items()] if environment else []
    return env_prefix + [
        "timeout", "--kill-after", str(KILL_GRACE_SECONDS), f"{timeout_seconds:g}", "sh", "-c", command,
    ]


def output_name(name: str, scenario: str | None) -> str:
    return f"{scenario}-{name}" if scenario else name


def record_gate(
    evidence_dir: Path,
    *,
    name: str,
    command: str,
    host: str,
    scenario: str | None,
    rc: int | None,
    expect_rc: int,
    stdout: str,
    stderr: str,
    started: clock.Instant,
    finished: clock.Instant,
    redactor: Redactor,
) -> GateEvent:
    bundle = Bundle(evidence_dir)
    bundle.gates.mkdir(parents=True, exist_ok=True)
    base = output_name(name, scenario)
    timed_out = rc == TIMEOUT_RC or rc == 128 + 9
    header = (
        f"# gate: {name}\n# host: {host}\n# command: {redactor.text(command)}\n"
        f"# started: {started.iso}\n# rc: {rc}\n# duration_s: {finished.mono - started.mono:.3f}\n"
    )
    (bundle.gates / f"{base}.log").write_text(
        header + "\n## stdout\n" + redactor.text(stdout) + "\n## stderr\n" + redactor.text(stderr) + "\n",
        encoding="utf-8",
    )
    event = GateEvent(
        name=name,
        command=redactor.text(command),
        host=host,
        scenario=scenario,
        rc=rc,
        passed=rc == expect_rc and not timed_out,
        timed_out=timed_out,
        duration_s=round(finished.mono - started.mono, 6),
        started_at=started.iso,
        ts=finished.iso,
        mono=finished.mono,
        output_file=f"gates/{base}.log",
    )
    append_line(bundle.events, event.model_dump(mode="json"))
    return event


def describe_command(argv: list[str]) -> str:
    return " ".join(shlex.quote(part) for part in argv)


def gate_summary(event: GateEvent) -> dict[str, Any]:
    return {"name": event.name, "rc": event.rc, "passed": event.passed, "duration_s": event.duration_s,
            "timed_out": event.timed_out, "output_file": event.output_file}
