"""The platform adapters as one shell command per operation, and what their answers mean.

An operation on a host (stop, start, deploy, status, release_present, logs) is one remote command:
the change, then the state read, separated by marker lines, so that each costs one round trip
(a task of its own per step cost about half a second each). The adapters:

- ``supervisor``: ``supervisor_ctl`` and ``supervisor_program`` for the process; the release is the
  directory ``release_link`` points at under ``release_root`` (one link per host, release
  directories named exactly like the release: ``basename(readlink -f release_link)``).
- ``command``: the inventory's ``platform_{stop,start,deploy,status,release,release_present,log}_command``
  strings (``{release}`` in deploy and release-present, ``{since}`` and ``{bytes}`` in the log command);
  the status command's exit code 0 means running.

Everything the inventory gives is quoted for the shell except the ``command`` adapter's own
commands, which are shell by design.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OPERATIONS = ("status", "stop", "start", "deploy", "release_present", "logs")
ACTION_RC = "@@hadrill-action-rc@@"
STATE = "@@hadrill-state@@"
STATE_RC = "@@hadrill-state-rc@@"
RELEASE = "@@hadrill-release@@"
STDERR = "@@hadrill-stderr@@"


class AdapterError(ValueError):
    """The host's settings do not let the adapter do the operation."""


@dataclass(frozen=True)
class HostSettings:
    adapter: str
    values: Mapping[str, Any]

    def get(self, name: str) -> str:
        value = self.values.get(name)
        return "" if value is None else str(value)

    def need(self, name: str) -> str:
        value = self.get(name)
        if not value:
            raise AdapterError(f"{name} is not set for this host (needed by the {self.adapter} adapter)")
        return value


def _bounded(command: str, seconds: float) -> str:
    """``command`` under coreutils ``timeout`` (exit 124 when it had to stop it)."""
    return f"timeout --kill-after=5 {seconds:g} sh -c {shlex.quote(command)}"


def _marker(name: str, with_rc: bool = False) -> str:
    return f"printf '\\n%s%s\\n' {shlex.quote(name)} \"$rc\"" if with_rc else f"printf '\\n%s\\n' {shlex.quote(name)}"


def command(host: HostSettings, operation: str, *, release: str = "", timeout_seconds: float = 60.0,
            log_since: str = "", log_bytes: int = 16384) -> str:
    """The one shell command that performs ``operation`` on the host and reads its state."""
    if operation not in OPERATIONS:
        raise AdapterError(f"unknown operation {operation!r}; expected one of {list(OPERATIONS)}")
    if operation in ("deploy", "release_present") and not release:
        raise AdapterError(f"the {operation} operation needs a release")
    if host.adapter == "supervisor":
        return _supervisor(host, operation, release, timeout_seconds, log_bytes)
    if host.adapter == "command":
        return _command(host, operation, release, timeout_seconds, log_since, log_bytes)
    raise AdapterError(f"unknown platform_adapter {host.adapter!r}; expected supervisor or command")


def _supervisor(host: HostSettings, operation: str, release: str, timeout: float, log_bytes: int) -> str:
    ctl, program = host.need("supervisor_ctl"), host.need("supervisor_program")
    quoted_program = shlex.quote(program)
    if operation == "release_present":
        path = f"{host.need('release_root').rstrip('/')}/{release}"
        return f"if test -d {shlex.quote(path)}; then echo present; else echo absent; fi"
    if operation == "logs":
        return (f"{ctl} tail -{int(log_bytes)} {quoted_program} stdout; {_marker(STDERR)}; "
                f"{ctl} tail -{int(log_bytes)} {quoted_program} stderr")
    parts = []
    if operation == "deploy":
        root, link = host.need("release_root").rstrip("/"), host.need("release_link")
        target, staging = f"{root}/{release}", f"{link}.hadrill-new"
        switch = (f"test -d {shlex.quote(target)} && ln -sfn {shlex.quote(target)} {shlex.quote(staging)} "
                  f"&& mv -Tf {shlex.quote(staging)} {shlex.quote(link)} && {ctl} restart {quoted_program}")
        parts.append(f"{_bounded(switch, timeout)} 2>&1; rc=$?; {_marker(ACTION_RC, True)}")
    elif operation in ("stop", "start"):
        parts.append(f"{_bounded(f'{ctl} {operation} {quoted_program}', timeout)} 2>&1; rc=$?; {_marker(ACTION_RC, True)}")
    link = host.get("release_link")
    parts.append(f"{_marker(STATE)}; {ctl} status {quoted_program} 2>&1; rc=$?; {_marker(STATE_RC, True)}")
    parts.append(_marker(RELEASE) + (f"; if test -L {shlex.quote(link)}; then readlink -f {shlex.quote(link)}; fi"
                                     if link else ""))
    return "; ".join(parts)


def _command(host: HostSettings, operation: str, release: str, timeout: float, since: str, log_bytes: int) -> str:
    if operation == "release_present":
        present = host.get("platform_release_present_command")
        if not present:
            return "echo 'no platform_release_present_command configured'; exit 3"
        return present.replace("{release}", release)
    if operation == "logs":
        log = host.get("platform_log_command")
        return log.replace("{since}", since).replace("{bytes}", str(int(log_bytes))) if log else "true"
    parts = []
    if operation in ("stop", "start", "deploy"):
        action = host.need(f"platform_{operation}_command").replace("{release}", release)
        parts.append(f"{_bounded(action, timeout)} 2>&1; rc=$?; {_marker(ACTION_RC, True)}")
    parts.append(f"{_marker(STATE)}; ( {host.need('platform_status_command')} ) 2>&1; rc=$?; {_marker(STATE_RC, True)}")
    release_command = host.get("platform_release_command")
    parts.append(_marker(RELEASE) + (f"; ( {release_command} ) 2>/dev/null" if release_command else ""))
    return "; ".join(parts)


def _sections(stdout: str) -> dict[str, str]:
    """Split an answer at the marker lines: {marker: text after it}, '' for the text before any."""
    found: dict[str, str] = {}
    current, lines = "", []
    for line in stdout.split("\n"):
        marker = next((name for name in (ACTION_RC, STATE_RC, STATE, RELEASE, STDERR) if line.startswith(name)), None)
        if marker is None:
            lines.append(line)
            continue
        found[current] = "\n".join(lines)
        if marker in (ACTION_RC, STATE_RC):
            found[marker] = line[len(marker):].strip()
            current = marker + ":after"
        else:
            current = marker
        lines = []
    found[current] = "\n".join(lines)
    return found


def _rc(text: str | None) -> int | None:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


def result(host: HostSettings, operation: str, target: str, *, release: str, rc: int, stdout: str,
           stderr: str) -> dict[str, Any]:
    """``platform_result`` for one operation, from the answer of its command."""
    if operation == "release_present":
        if host.adapter == "supervisor":
            path = f"{host.get('release_root').rstrip('/')}/{release}"
            return {"operation": operation, "target": target, "present": stdout.strip() == "present",
                    "release": release, "detail": f"release directory {path}"}
        return {"operation": operation, "target": target, "present": rc == 0, "release": release,
                "detail": (stdout + " " + stderr).strip()}
    if operation == "logs":
        if host.adapter == "supervisor":
            out, _, err = stdout.partition(f"\n{STDERR}\n")
            return {"operation": operation, "target": target, "logs": {"stdout": out, "stderr": err},
                    "detail": stderr.strip()}
        if not host.get("platform_log_command"):
            return {"operation": operation, "target": target, "logs": {}, "detail": "no platform_log_command configured"}
        return {"operation": operation, "target": target, "logs": {"log": stdout}, "detail": stderr.strip()}
    sections = _sections(stdout)
    action_output = sections.get("", "").strip() if operation in ("stop", "start", "deploy") else ""
    action_rc = _rc(sections.get(ACTION_RC)) if operation in ("stop", "start", "deploy") else None
    state_text = sections.get(STATE, "").strip()
    state_rc = _rc(sections.get(STATE_RC))
    link = sections.get(RELEASE, "").strip()
    if host.adapter == "supervisor":
        program = host.get("supervisor_program")
        words = state_text.split()
        state = words[1] if len(words) > 1 and words[0] == program else "UNKNOWN"
        running = state == "RUNNING"
        observed_release = link.rsplit("/", 1)[-1] if link else None
    else:
        running = state_rc == 0
        state = "RUNNING" if running else "STOPPED"
        observed_release = link.strip() or None
    detail = " ".join(part for part in (action_output, stderr.strip(), state_text) if part).strip()
    return {"operation": operation, "target": target, "state": state, "running": running,
            "release": observed_release or None, "action_rc": action_rc, "detail": detail}
