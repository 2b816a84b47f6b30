"""Startup contract of a release on one host: did it come up healthy, and is its log clean?

The log is read twice through the platform adapter (before the switch and once the host was
given its chance to start) as a tail of fixed size. Only what the second read adds after the
first one's end counts, so an old failure still in the tail cannot fail a good start.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hadrill.causes import cause_line

ANCHOR_CHARS = 512
MAX_MATCHES = 20


def log_delta(before: str, after: str, anchor_chars: int = ANCHOR_CHARS) -> tuple[str, bool]:
    """Text ``after`` added since ``before``; ``anchored`` is False when the overlap was not found.

    The anchor is the last ``anchor_chars`` of ``before``. Without it in ``after`` (the log
    rotated, or more than a tail was written in between) the whole ``after`` counts as new:
    a startup failure is then never missed, at the price of possibly seeing an old one.
    """
    anchor = before.rstrip("\n")[-anchor_chars:]
    if not anchor:
        return after, True
    position = after.rfind(anchor)
    if position < 0:
        return after, False
    return after[position + len(anchor):].lstrip("\n"), True


def matching_lines(text: str, patterns: Sequence[str]) -> list[str]:
    compiled = [re.compile(pattern) for pattern in patterns]
    found = []
    for line in text.splitlines():
        if any(item.search(line) for item in compiled):
            found.append(line.strip())
            if len(found) >= MAX_MATCHES:
                break
    return found


@dataclass(frozen=True)
class StartupVerdict:
    host: str
    release: str
    ready: bool
    health_status: int | None
    matched: list[str] = field(default_factory=list)
    anchored: bool = True
    waited_seconds: float | None = None
    # The line naming the cause in the new log text (a traceback's exception line), if any.
    explained: str | None = None

    @property
    def passed(self) -> bool:
        return self.ready and not self.matched

    @property
    def cause(self) -> str:
        """What broke the contract: the first failure line, else the health check's last answer."""
        if self.passed:
            return ""
        if self.matched:
            return self.explained or self.matched[0]
        status = "no answer" if self.health_status is None else f"status {self.health_status}"
        waited = f" within {self.waited_seconds:g}s" if self.waited_seconds is not None else ""
        return f"did not become healthy{waited} (last health check: {status})"

    @property
    def reason(self) -> str:
        if self.passed:
            return ""
        separator = ": " if self.matched else " "
        return f"startup contract failure: release {self.release} on {self.host}{separator}{self.cause}"


def judge(
    *,
    host: str,
    release: str,
    ready: bool,
    health_status: int | None,
    logs_before: Mapping[str, str],
    logs_after: Mapping[str, str],
    patterns: Sequence[str],
    waited_seconds: float | None = None,
) -> tuple[StartupVerdict, dict[str, str]]:
    """The verdict and, per log stream, the new text it was judged on."""
    deltas: dict[str, str] = {}
    anchored = True
    matched: list[str] = []
    for stream, text in logs_after.items():
        delta, found = log_delta(logs_before.get(stream, ""), text)
        deltas[stream] = delta
        anchored = anchored and found
        matched += matching_lines(delta, patterns)
    verdict = StartupVerdict(
        host=host, release=release, ready=ready, health_status=health_status,
        matched=matched[:MAX_MATCHES], anchored=anchored, waited_seconds=waited_seconds,
        explained=cause_line("\n".join(deltas.values())) if matched else None,
    )
    return verdict, deltas
