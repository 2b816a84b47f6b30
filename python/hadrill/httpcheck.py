"""What a request keeps from an answer (``capture``) and what it asserts on it (``expect_json``).

Paths into a JSON answer are JMESPath expressions (https://jmespath.org), the query language
Ansible's ``json_query`` filter uses, evaluated by the ``jmespath`` library: no path language of
hadrill's own. A plain dotted path (``id``, ``data.id``) means the same in JMESPath; the list
indexes of the old dotted form (``nodes.0.id``) are refused with the JMESPath spelling
(``nodes[0].id``).

Placeholders (``${name}``) are filled in paths and expected values before they are evaluated;
an expected value that is exactly one placeholder keeps the type of the value (a captured
number stays a number), and a string compared with a number or a boolean is equal when their
JSON spellings are (``"42"`` equals ``42``), so a captured id matches wherever it came from.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, field_validator, model_validator

SHOWN_CHARS = 120
_EXACT_PLACEHOLDER = re.compile(r"^\$(?:\{(?P<braced>[_a-zA-Z][_a-zA-Z0-9]*)\}|(?P<named>[_a-zA-Z][_a-zA-Z0-9]*))$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# -- placeholders -----------------------------------------------------------------------------

def fill(value: Any, context: Mapping[str, Any], *, typed: bool = False, escape: Any = None) -> Any:
    """Replace known placeholders in a string, or in every string value of a list/dict.

    ``typed``: a string that is exactly one known placeholder becomes the value itself (its JSON
    type kept). ``escape``: applied to each value inserted into a longer string (``re.escape``
    for a regular expression). Unknown placeholders are left as written.
    """
    if isinstance(value, str):
        if typed:
            exact = _EXACT_PLACEHOLDER.match(value)
            name = exact and (exact.group("braced") or exact.group("named"))
            if name and name in context:
                return context[name]
        values = {key: (escape or str)(str(item)) for key, item in context.items()}
        return string.Template(value).safe_substitute(values)
    if isinstance(value, Mapping):
        return {key: fill(item, context, typed=typed, escape=escape) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, context, typed=typed, escape=escape) for item in value]
    return value


# -- paths ------------------------------------------------------------------------------------

def _dotted_as_jmespath(path: str) -> str:
    parts = []
    for part in path.split("."):
        if part.isdigit() and parts:
            parts[-1] += f"[{part}]"
        elif _IDENTIFIER.match(part):
            parts.append(part)
        else:
            parts.append(json.dumps(part))
    return ".".join(parts)


def compile_path(path: str) -> Any:
    """The compiled JMESPath expression; a ValueError naming the fix for a bad or old path."""
    try:
        return jmespath.compile(path)
    except JMESPathError as exc:
        reason = str(exc).splitlines()[0]
    suggestion = _dotted_as_jmespath(path) if "[" not in path and "'" not in path and '"' not in path else None
    if suggestion and suggestion != path:
        try:
            jmespath.compile(suggestion)
        except JMESPathError:
            suggestion = None
        if suggestion:
            raise ValueError(
                f"{path!r} is not a JMESPath expression (the old dotted form?): write {suggestion!r} "
                "(list indexes in brackets, keys that are not identifiers in double quotes)"
            )
    raise ValueError(f"{path!r} is not a valid JMESPath expression: {reason}")


def check_template_path(path: str) -> str:
    """Validate a path that may hold placeholders (filled at run time): checked with each
    placeholder replaced by a sample value."""
    if "$" not in path:
        compile_path(path)
        return path
    errors = []
    for sample in ("0", "x"):
        try:
            compile_path(_sample_fill(path, sample))
            return path
        except ValueError as exc:
            errors.append(str(exc))
    raise ValueError(errors[0])


def _sample_fill(path: str, sample: str) -> str:
    return re.sub(r"\$(\{[_a-zA-Z][_a-zA-Z0-9]*\}|[_a-zA-Z][_a-zA-Z0-9]*)", sample, path)


def valid_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from None
    return value


def search(path: str, document: Any) -> Any:
    return compile_path(path).search(document)


# -- the answer -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    """One HTTP answer as the checks see it."""

    status: int
    headers: Message
    raw: bytes
    body: Any  # parsed JSON, else the text
    is_json: bool

    @property
    def text(self) -> str:
        return self.raw.decode(errors="replace")


def parse_answer(status: int, headers: Message, raw: bytes) -> Answer:
    if raw:
        try:
            return Answer(status, headers, raw, json.loads(raw), True)
        except ValueError:
            return Answer(status, headers, raw, raw.decode(errors="replace"), False)
    return Answer(status, headers, raw, None, False)


def shown(value: Any) -> str:
    """A value for a message: a string quoted, anything else as JSON; cut at SHOWN_CHARS."""
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "..."


# -- capture ----------------------------------------------------------------------------------

class Capture(BaseModel):
    """Where a captured value comes from: exactly one of ``json`` (a JMESPath into the JSON
    answer), ``header`` (a response header), ``regex`` (on the text body, or on the header's
    value with ``header``; the first group, else the whole match) or ``value`` (a template, such
    as the request's own ``${token}``)."""

    model_config = ConfigDict(extra="forbid")

    json_path: str | None = Field(default=None, alias="json")
    header: str | None = Field(default=None, min_length=1)
    regex: str | None = Field(default=None, min_length=1)
    value: str | None = None

    @field_validator("json_path")
    @classmethod
    def _json_path(cls, value: str | None) -> str | None:
        return None if value is None else check_template_path(value)

    _regex = field_validator("regex")(classmethod(lambda cls, value: valid_regex(value)))

    @model_validator(mode="after")
    def _one_source(self) -> "Capture":
        sources = [name for name, value in (("json", self.json_path), ("header", self.header),
                                            ("value", self.value)) if value is not None]
        if len(sources) > 1 or (self.regex is not None and sources and sources != ["header"]) or (
                not sources and self.regex is None):
            raise ValueError(
                "expected one source: json (a JMESPath), header, regex (on the text body, or with "
                f"header on its value) or value (a template such as '${{token}}'), got {sources + (['regex'] if self.regex else [])}"
            )
        return self

    def describe(self) -> str:
        if self.json_path is not None:
            return f"json {self.json_path!r}"
        if self.value is not None:
            return f"value {self.value!r}"
        where = f"header {self.header!r}" if self.header else "the text body"
        return where + (f" matching {self.regex!r}" if self.regex else "")

    def take(self, answer: Answer, context: Mapping[str, Any]) -> Any:
        """The captured value, or None when the answer does not have it."""
        if self.value is not None:
            return fill(self.value, context, typed=True)
        if self.json_path is not None:
            return search(fill(self.json_path, context), answer.body) if answer.is_json else None
        text = answer.headers.get(self.header) if self.header else answer.text
        if text is None or self.regex is None:
            return text
        found = re.search(fill(self.regex, context, escape=re.escape), text)
        if not found:
            return None
        return found.group(1) if found.re.groups else found.group(0)


def capture_spec(value: str | Capture | Mapping[str, Any]) -> Capture:
    """The short form (a JMESPath string) or the long form of one capture."""
    if isinstance(value, Capture):
        return value
    if isinstance(value, str):
        return Capture.model_validate({"json": value})
    return Capture.model_validate(value)


# -- assertions -------------------------------------------------------------------------------

OPERATORS = ("exists", "equals", "contains", "matches", "not_empty", "min_items")


class JsonAssertion(BaseModel):
    """One assertion on the JSON answer: ``path`` (JMESPath) and one or more of ``exists``,
    ``equals``, ``contains``, ``matches`` (a regular expression), ``not_empty``, ``min_items``;
    every one given must hold."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1)
    exists: bool | None = None
    equals: Any = None
    contains: Any = None
    matches: str | None = None
    not_empty: bool | None = None
    min_items: NonNegativeInt | None = None

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        return check_template_path(value)

    _matches = field_validator("matches")(classmethod(lambda cls, value: valid_regex(value)))

    @model_validator(mode="after")
    def _some_operator(self) -> "JsonAssertion":
        if not self.operators():
            raise ValueError(f"expected at least one of {list(OPERATORS)} beside path {self.path!r}")
        return self

    def operators(self) -> list[str]:
        given = self.model_fields_set
        return [name for name in OPERATORS if name in given and (name in ("equals", "contains")
                                                                 or getattr(self, name) is not None)]

    def failure(self, document: Any, context: Mapping[str, Any]) -> str | None:
        """None when every operator holds on ``document``, else what did not hold."""
        path = fill(self.path, context)
        try:
            actual = search(path, document)
        except ValueError as exc:
            return str(exc)
        for name in self.operators():
            problem = _operator_failure(name, getattr(self, name), actual, context)
            if problem:
                return f"{path}: {problem}, got {shown(actual)}"
        return None


def _same(expected: Any, actual: Any) -> bool:
    """JSON equality, where a string equals a number or boolean it spells (``"42"`` and ``42``)."""
    if isinstance(expected, str) != isinstance(actual, str):
        text, other = (expected, actual) if isinstance(expected, str) else (actual, expected)
        return isinstance(other, (int, float, bool)) and text == json.dumps(other)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return bool(expected == actual)


def _operator_failure(name: str, operand: Any, actual: Any, context: Mapping[str, Any]) -> str | None:
    if name == "exists":
        present = actual is not None
        return None if present == operand else ("expected a value" if operand else "expected no value")
    if name == "equals":
        expected = fill(operand, context, typed=True)
        return None if _same(expected, actual) else f"expected to equal {shown(expected)}"
    if name == "contains":
        expected = fill(operand, context, typed=True)
        if isinstance(actual, list):
            held = any(_same(expected, item) for item in actual)
        elif isinstance(actual, str):
            held = str(expected) in actual
        elif isinstance(actual, Mapping):
            held = str(expected) in actual
        else:
            held = False
        return None if held else f"expected to contain {shown(expected)}"
    if name == "matches":
        pattern = re.compile(fill(operand, context, escape=re.escape))
        items = actual if isinstance(actual, list) else [actual]
        held = any(item is not None and not isinstance(item, (dict, list))
                   and pattern.search(item if isinstance(item, str) else json.dumps(item)) for item in items)
        return None if held else f"expected to match {pattern.pattern!r}"
    if name == "not_empty":
        empty = actual is None or (isinstance(actual, (str, list, dict)) and len(actual) == 0)
        return None if empty != operand else ("expected a non-empty value" if operand else "expected an empty value")
    if name == "min_items":
        if not isinstance(actual, (list, dict, str)):
            return f"expected at least {operand} item(s)"
        return None if len(actual) >= operand else f"expected at least {operand} item(s)"
    raise AssertionError(name)
