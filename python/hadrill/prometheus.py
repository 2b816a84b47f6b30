"""The Prometheus text exposition format (0.0.4), read and written without a client library.

Reading: the replay scenario samples a backlog gauge from a metrics URL. A selector names the
metric and, optionally, labels every counted series must carry: ``app_outbox_pending`` or
``app_outbox_pending{queue="mail",region="eu"}``. Several matching series (one per partition,
per worker...) are summed, which is what a backlog across partitions means.

Writing: a drill's figures as gauges (``hadrill.metrics``), in a textfile for node_exporter's
textfile collector (written atomically, merged with the other environments' series already in
it) and pushed to a Pushgateway (``push``: POST, which replaces only the metrics it sends, so a
last-success timestamp not sent by a failed drill keeps its earlier value).
"""

from __future__ import annotations

import base64
import math
import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

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


# -- writing ------------------------------------------------------------------------------------

EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_METRIC_NAME = re.compile(rf"^{_NAME}$")


@dataclass
class Family:
    """One metric: its HELP text, TYPE and samples (labels, value)."""

    name: str
    help: str
    type: str = "gauge"
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not _METRIC_NAME.match(self.name):
            raise ValueError(f"not a Prometheus metric name: {self.name!r}")


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _labels_text(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{key}="{_escape_label(str(value))}"' for key, value in labels.items()) + "}"


def render(families: Sequence[Family]) -> str:
    """The exposition text of ``families`` (HELP, TYPE, then each sample)."""
    lines = []
    for family in families:
        if not family.samples:
            continue
        lines.append(f"# HELP {family.name} {_escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.type}")
        lines += [f"{family.name}{_labels_text(labels)} {format_value(value)}" for labels, value in family.samples]
    return "\n".join(lines) + ("\n" if lines else "")


def merge(existing: str, families: Sequence[Family], replaced: Mapping[str, str]) -> list[Family]:
    """``families`` plus the samples of ``existing`` (an exposition text) they do not replace, as a
    Pushgateway POST does: a sample is replaced when its labels carry every label of ``replaced``
    (this environment's) and ``families`` sends its metric with them. So a metric this drill does
    not send (a scenario it did not run, the last success of a failed drill) keeps its value."""
    merged = {family.name: Family(family.name, family.help, family.type, list(family.samples)) for family in families}

    def ours(labels: Mapping[str, str]) -> bool:
        return all(labels.get(key) == value for key, value in replaced.items())

    sent = {name for name, family in merged.items() if any(ours(labels) for labels, _ in family.samples)}
    helps = dict(_helps(existing))
    for name, labels, value in samples(existing):
        if ours(labels) and name in sent:
            continue
        merged.setdefault(name, Family(name, helps.get(name, name))).samples.append((labels, value))
    return list(merged.values())


def _helps(exposition: str) -> Iterator[tuple[str, str]]:
    for line in exposition.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[0] == "#" and parts[1] == "HELP":
            yield parts[2], parts[3].replace("\\n", "\n").replace("\\\\", "\\")


def write_textfile(path: Path, families: Sequence[Family], replaced: Mapping[str, str]) -> str:
    """Write (atomically: a temporary file in the same directory, then a rename, as the textfile
    collector requires) ``families`` merged with what ``path`` already holds. Returns the text."""
    try:
        existing = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        existing = ""
    text = render(merge(existing, families, replaced))
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return text


def grouping_path(job: str, grouping: Mapping[str, str]) -> str:
    """The Pushgateway's /metrics/job/<job>/<label>/<value>... path (a value with a slash, or an
    empty one, in its base64 form ``<label>@base64/<value>``)."""
    def part(label: str, value: str) -> str:
        if "/" in value or not value:
            encoded = base64.urlsafe_b64encode(value.encode()).decode() or "="
            return f"{label}@base64/{encoded}"
        return f"{label}/{quote(value, safe='')}"

    return "/metrics/" + "/".join(part(label, value) for label, value in {"job": job, **grouping}.items())


def gateway_target(url: str) -> str:
    """What a record may say about a Pushgateway URL: scheme://host:port (no credentials, no path)."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def push(url: str, job: str, grouping: Mapping[str, str], text: str, *, timeout: float) -> tuple[int | None, str | None]:
    """POST ``text`` to the Pushgateway at ``url`` under the grouping key; (HTTP status, error or None)."""
    from hadrill.httpspec import HttpRequestSpec, send

    parts = urlsplit(url)
    headers = {"Content-Type": EXPOSITION_CONTENT_TYPE}
    if parts.username is not None:  # http://user:password@host:9091 (basic auth)
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
    # ``data`` and ``headers`` go through the request's ${placeholder} filling: a literal $ is written $$.
    spec = HttpRequestSpec(
        name="metrics", method="POST", path=parts.path.rstrip("/") + grouping_path(job, grouping),
        data=text.replace("$", "$$"), headers={key: value.replace("$", "$$") for key, value in headers.items()},
        expect_status=[200, 202], timeout_seconds=timeout,
    )
    result = send(gateway_target(url), spec)
    return result.status, result.error
