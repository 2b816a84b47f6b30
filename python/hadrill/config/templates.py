"""Placeholders in the requests the inventory describes, checked against what each kind of
request is given (``hadrill.httpspec.PLACEHOLDERS``), so a typo (``${tokn}``) is refused before
the drill instead of being sent literally."""

from __future__ import annotations

from typing import Any, TypeVar

from hadrill.httpspec import PLACEHOLDERS, request_unknown_placeholders

Requests = TypeVar("Requests")


def request_problem(request: Any, kind: str) -> str | None:
    """Why one request of ``kind`` uses an unknown placeholder, or None."""
    bad = request_unknown_placeholders(request, kind)
    if not bad:
        return None
    return (f"unknown placeholder(s) {bad} in request {getattr(request, 'name', '?')!r}; known in {kind} requests: "
            f"{list(PLACEHOLDERS[kind])}, and the names its earlier steps capture")


def check_requests(value: Requests, kind: str) -> Requests:
    """For a field validator of one request or a list of them: the value, or ValueError."""
    if value is None:
        return value
    items = value if isinstance(value, list) else [value]
    problems = []
    for index, request in enumerate(items):
        problem = request_problem(request, kind)
        if problem:
            problems.append(f"[{index}] {problem}" if isinstance(value, list) else problem)
    if problems:
        raise ValueError("; ".join(problems))
    return value
