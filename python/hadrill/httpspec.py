"""HTTP requests described in the inventory, and how they are executed.

Smoke checks, the traffic probe, write traffic, read-back proofs and cleanup requests all send
requests that the inventory describes; this module is the one way to describe and send them.
Placeholders use ``string.Template`` syntax (``${token}``, ``${id}``) so they never clash with
Jinja2. A request succeeds when its status is expected, its body contains
``expect_body_contains``, every ``expect_json`` assertion holds and every ``capture`` found its
value; a request with ``then`` is a short chain (create, then act) that succeeds when every
step does. Answers are judged by ``hadrill.httpcheck``.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import string
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, field_validator, model_validator

from hadrill.httpcheck import Answer, Capture, JsonAssertion, capture_spec, check_template_path, fill, parse_answer

MAX_CHAIN_STEPS = 5

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]

# Placeholders every request template and query of a scenario may use: the drill's id, the
# scenario's name, and a short id unique to this run of the drill (different even when a drill
# id is reused, e.g. under another evidence root). Scope the drill's data with them.
DRILL_PLACEHOLDERS: tuple[str, ...] = ("drill_id", "scenario", "run")

# The placeholders known in each kind of template. Values a request captures (``capture``) are
# known as well in the requests that follow it (later smoke requests, later steps of a chain).
PLACEHOLDERS: Mapping[str, tuple[str, ...]] = {
    "smoke": (*DRILL_PLACEHOLDERS, "token"),          # db_restore_smoke_requests
    "traffic": (*DRILL_PLACEHOLDERS, "seq", "token"),  # api_rollback_probe_requests
    "write": (*DRILL_PLACEHOLDERS, "seq", "token"),    # worker_replay_write_request
    "proof": (*DRILL_PLACEHOLDERS, "id", "token"),     # worker_replay_proof_request
    "cleanup": DRILL_PLACEHOLDERS,                     # a scenario's cleanup request or query
    "query": DRILL_PLACEHOLDERS,                       # SQL where placeholders are substituted
}
ALL_PLACEHOLDERS: tuple[str, ...] = tuple(sorted({name for names in PLACEHOLDERS.values() for name in names}))


def placeholders_in(value: Any) -> list[str]:
    """Every ``${name}``/``$name`` in a string, or in every string of a list/dict (values, not
    keys), in order. A ``${`` that opens no placeholder (``${tokn``) is returned as written, so a
    caller reporting unknown placeholders reports it too; ``$$`` and a ``$`` before anything but
    a name or ``{`` (a regex's end anchor) are a literal ``$``."""
    found: list[str] = []
    for text in _strings(value):
        for match in string.Template.pattern.finditer(text):
            name = match.group("named") or match.group("braced")
            if name:
                found.append(name)
            elif match.group("invalid") is not None and text.startswith("${", match.start()):
                found.append(text[match.start():match.start() + 12])
    return found


def unknown_placeholders(value: Any, kind: str | None = None, *, also: Iterable[str] = ()) -> list[str]:
    """Placeholders in ``value`` (a string, or a list/dict of them) that a template of ``kind``
    (a key of ``PLACEHOLDERS``; ``None``: any kind) does not know, plus ``also`` (captured names).
    Sorted, unique; empty when every placeholder is known."""
    known = set(ALL_PLACEHOLDERS if kind is None else PLACEHOLDERS[kind]) | set(also)
    return sorted({name for name in placeholders_in(value) if name not in known})


def request_unknown_placeholders(request: Any, kind: str, *, also: Iterable[str] = ()) -> list[str]:
    """Unknown placeholders of one request (an ``HttpRequestSpec`` or its inventory dict) of
    ``kind``: every string of it, each step of its chain (``then``) also knowing the names the
    steps before it capture."""
    data = request.model_dump(by_alias=True) if isinstance(request, BaseModel) else dict(request or {})
    known = [*also]
    bad: set[str] = set()
    for step in [data, *(data.get("then") or [])]:
        if not isinstance(step, Mapping):
            continue
        own = {key: item for key, item in step.items() if key not in {"name", "then"}}
        bad.update(unknown_placeholders(own, kind, also=known))
        known += list((step.get("capture") or {}).keys()) if isinstance(step.get("capture"), Mapping) else []
    return sorted(bad)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in _strings(item)]
    return []


class HttpRequestSpec(BaseModel):
    """One request: where, what, and what counts as success."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    name: str = Field(min_length=1)
    method: Method = "GET"
    path: str
    headers: dict[str, str] = {}
    # The body: JSON (``json``), a form (``form``, URL-encoded) or text as is (``data``).
    body: Any = Field(default=None, alias="json")
    form: dict[str, str] | None = None
    data: str | None = None
    expect_status: list[int] = [200]
    expect_body_contains: str | None = None
    expect_json: list[JsonAssertion] = []
    # name -> a JMESPath into the JSON answer (short form), or where else the value comes from.
    capture: dict[str, str | Capture] = {}
    then: list[HttpRequestSpec] = Field(default=[], max_length=MAX_CHAIN_STEPS - 1)
    weight: int = Field(default=1, ge=0)
    timeout_seconds: PositiveFloat = 5.0

    @field_validator("path")
    @classmethod
    def _path_is_absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"expected a path starting with '/', got {value!r}")
        return value

    @field_validator("expect_status")
    @classmethod
    def _statuses_are_http(cls, value: list[int]) -> list[int]:
        bad = [code for code in value if not 100 <= code <= 599]
        if bad or not value:
            raise ValueError(f"expected HTTP status codes between 100 and 599, got {value!r}")
        return value

    @field_validator("capture")
    @classmethod
    def _capture_paths(cls, value: dict[str, str | Capture]) -> dict[str, str | Capture]:
        for item in value.values():
            if isinstance(item, str):
                check_template_path(item)
        return value

    def captures(self) -> dict[str, Capture]:
        """``capture`` with the short forms spelled out."""
        return {key: capture_spec(item) for key, item in self.capture.items()}

    @field_validator("then")
    @classmethod
    def _flat_chain(cls, value: list[HttpRequestSpec]) -> list[HttpRequestSpec]:
        nested = [step.name for step in value if step.then]
        if nested:
            raise ValueError(f"expected the steps of a chain in one list, steps {nested} have their own 'then'")
        return value

    @model_validator(mode="after")
    def _one_body(self) -> "HttpRequestSpec":
        given = [name for name, item in (("json", self.body), ("form", self.form), ("data", self.data))
                 if item is not None]
        if len(given) > 1:
            raise ValueError(f"expected one body (json, form or data), got {given}")
        return self

    def steps(self) -> list[HttpRequestSpec]:
        """The requests sent, in order: this one, then the steps of its chain."""
        return [self, *self.then]

    def captured_names(self) -> list[str]:
        """Every name the request (or a step of its chain) captures."""
        return [name for step in self.steps() for name in step.capture]


HttpRequestSpec.model_rebuild()


@dataclass(frozen=True)
class HttpResult:
    name: str
    status: int | None
    ok: bool
    latency_s: float
    error: str | None
    captured: dict[str, Any]
    body: Any
    # Per step of a chain: (name, status, ok) of every step sent.
    steps: tuple[tuple[str, int | None, bool], ...] = field(default=())


def drill_values(evidence_dir: Path | str, scenario: str | None) -> dict[str, str]:
    """The values of ``DRILL_PLACEHOLDERS`` for a scenario of the drill whose evidence is in
    ``evidence_dir``. ``run`` is derived from the drill's id and start time (``drill.json``):
    the same in every plugin and sampler of one drill, different for a drill id reused."""
    root = Path(evidence_dir)
    drill_id = root.name
    try:
        started = json.loads((root / "drill.json").read_text(encoding="utf-8")).get("started_at", "")
    except (OSError, ValueError):
        started = ""
    run = hashlib.sha256(f"{drill_id}|{started}".encode()).hexdigest()[:8]
    return {"drill_id": drill_id, "scenario": scenario or "", "run": run}


def split_base_url(base_url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"expected an http(s) base URL, got {base_url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname, port, parts.path.rstrip("/")


def _send_one(
    scheme: str, host: str, port: int, prefix: str, spec: HttpRequestSpec, values: Mapping[str, Any],
    default_headers: Mapping[str, str] | None,
) -> tuple[Answer | None, str | None]:
    path = prefix + fill(spec.path, values)
    headers = {**(default_headers or {}), **fill(spec.headers, values)}
    payload: bytes | None = None
    if spec.body is not None:
        payload = json.dumps(fill(spec.body, values, typed=True)).encode()
        headers.setdefault("Content-Type", "application/json")
    elif spec.form is not None:
        payload = urlencode(fill(spec.form, values)).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif spec.data is not None:
        payload = fill(spec.data, values).encode()
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
    headers.setdefault("Connection", "close")
    connection_class = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    connection = connection_class(host, port, timeout=spec.timeout_seconds)
    try:
        connection.request(spec.method, path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return parse_answer(response.status, response.msg, raw), None
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()


def judge(spec: HttpRequestSpec, answer: Answer, values: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """What the request captures from ``answer``, and why it failed (None when it succeeded):
    status, ``expect_body_contains``, then the captures, then ``expect_json`` (which may use
    what this very request captured)."""
    if answer.status not in spec.expect_status:
        return {}, f"status {answer.status} not in {spec.expect_status}"
    if spec.expect_body_contains is not None:
        needle = fill(spec.expect_body_contains, values)
        if needle not in answer.text:
            return {}, f"response does not contain {needle!r}"
    sources = spec.captures()
    captured = {key: source.take(answer, values) for key, source in sources.items()}
    missing = [f"{key} ({sources[key].describe()})" for key, value in captured.items() if value is None]
    if missing:
        return {}, f"response lacks captured value(s) {missing}"
    context = {**values, **captured}
    for index, assertion in enumerate(spec.expect_json):
        if not answer.is_json:
            return {}, f"expect_json[{index}]: the answer is not JSON"
        problem = assertion.failure(answer.body, context)
        if problem:
            return {}, f"expect_json[{index}] {problem}"
    return captured, None


def send(
    base_url: str,
    spec: HttpRequestSpec,
    *,
    context: Mapping[str, Any] | None = None,
    default_headers: Mapping[str, str] | None = None,
) -> HttpResult:
    """Send one request (and the steps of its chain, each with what the steps before it
    captured), each on a fresh connection (so a load balancer picks a backend per request)."""
    values = dict(context or {})
    scheme, host, port, prefix = split_base_url(base_url)
    started = time.monotonic()
    captured: dict[str, Any] = {}
    done: list[tuple[str, int | None, bool]] = []
    chained = bool(spec.then)
    answer: Answer | None = None
    for step in spec.steps():
        answer, error = _send_one(scheme, host, port, prefix, step, {**values, **captured}, default_headers)
        if answer is not None and error is None:
            more, error = judge(step, answer, {**values, **captured})
            captured.update(more)
        status = answer.status if answer is not None else None
        done.append((step.name, status, error is None))
        if error is not None:
            where = f"step {step.name}: " if chained else ""
            return HttpResult(spec.name, status, False, time.monotonic() - started, where + error, {},
                              answer.body if answer is not None else None, tuple(done))
    assert answer is not None
    return HttpResult(spec.name, answer.status, True, time.monotonic() - started, None, captured, answer.body,
                      tuple(done))
