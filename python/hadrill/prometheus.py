"""Read one number out of a Prometheus text exposition (format 0.0.4), without a client library.

The replay scenario samples a backlog gauge from a metrics URL. A selector names the metric and,
optionally, labels every counted series must carry: ``app_outbox_pending`` or
``app_outbox_pending{queue="mail",region="eu"}``. Several matching series (one per partition,
per worker...) are summed, which is what a backlog across partitions means.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL_PAIR = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')
_SELECTOR = re.compile(rf"^\s*({_NAME})\s*(?:\{{(.*)\}})?\s*$", re.S)
_SAMPLE = re.compile(rf"^({_NAME})(?:\{{(.*)\}})?\s+(\S+)(?:\s+\S+)?\s*$")
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


class SelectorError(ValueError):
    pass


@dataclass(frozen=True)
class Selector:
    name: str
    labels: Mapping[str, str]

    def matches(self, name: str, labels: Mapping[str, str]) -> bool:
        return name == self.name and all(labels.get(key) == value for key, value in self.labels.items())

    def __str__(self) -> str:
        if not self.labels:
            return self.name
        inner = ",".join(f'{key}="{value}"' for key, value in self.labels.items())
        return f"{self.name}{{{inner}}}"


def _unescape(value: str) -> str:
    return re.sub(r"\\[\\\"n]", lambda match: _UNESCAPE[match.group(0)], value)


def _labels(text: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    position = 0
    text = text.strip()
    while position < len(text):
        match = _LABEL_PAIR.match(text, position)
        if match is None:
            raise SelectorError(f"cannot read the labels {{{text}}}: expected name=\"value\" pairs separated by commas")
        labels[match.group(1)] = _unescape(match.group(2))
        position = match.end()
    return labels


def parse_selector(text: str) -> Selector:
    """``name`` or ``name{label="value",...}``; raises SelectorError with what was expected."""
    match = _SELECTOR.match(text or "")
    if match is None:
        raise SelectorError(f"expected a metric name, optionally with labels like name{{label=\"value\"}}, got {text!r}")
    return Selector(match.group(1), _labels(match.group(2) or ""))


def samples(exposition: str) -> Iterator[tuple[str, dict[str, str], float]]:
    """Every sample line as (name, labels, value); comments and unreadable lines are skipped."""
    for line in exposition.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if match is None:
            continue
        try:
            value = float(match.group(3))
            labels = _labels(match.group(2) or "")
        except (ValueError, SelectorError):
            continue
        yield match.group(1), labels, value


def value_of(exposition: str, selector: Selector) -> float | None:
    """Sum of the series the selector matches; None when none matches (a gauge that is absent)."""
    found = [value for name, labels, value in samples(exposition) if selector.matches(name, labels)]
    finite = [value for value in found if not math.isnan(value)]
    return float(sum(finite)) if finite else None
