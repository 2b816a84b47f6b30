"""report.md: the sections of the hand-written drill record, filled from summary.json."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jinja2

from hadrill import layout
from hadrill.clock import format_duration
from hadrill.layout import Bundle
from hadrill.statements import SignoffStatement
from hadrill.summary import Figure, Summary

TEMPLATE = "report.md.j2"
ALWAYS_LISTED = {"summary.json", "events.jsonl", "MANIFEST.sha256", "report.md"}
# What hadrill renders from summary.json at every seal, and `hadrill verify` renders again and compares.
RENDERED = ("report.md", "report.html", "junit.xml", "metrics.prom")


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _number(value: float | int | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "s":
        return format_duration(float(value)) if value >= 60 else f"{float(value):.2f}s"
    if unit == "%":
        return f"{float(value):.2f}%"
    if unit == "ratio":
        return f"{float(value):.2f}x"
    if unit == "ms":
        return f"{float(value):.1f} ms"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") + (f" {unit}" if unit else "")
    return f"{value}{' ' + unit if unit else ''}"


def _figure(figure: Figure) -> str:
    if isinstance(figure.value, bool):
        return "yes" if figure.value else "no"
    if isinstance(figure.value, str):
        return figure.value
    return _number(figure.value, figure.unit)


def _threshold(figure: Figure) -> str:
    return _number(figure.threshold, figure.unit)


def _codes(values: Any, empty: str) -> str:
    return ", ".join(f"`{item}`" for item in values) if values else empty


def _pairs(mapping: dict[str, Any], empty: str) -> str:
    return ", ".join(f"`{key}={value}`" for key, value in mapping.items()) if mapping else empty


# Inline Markdown that typed text could start (emphasis, code, links, HTML, tables); the text is one
# line inside a list item, so block syntax (#, +, 1.) cannot start there.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def _text(value: Any) -> str:
    """Text someone typed (a sign-off name, role or note), shown as text: Markdown escaped, on one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def environment(*, html: bool = False, **filters: Any) -> jinja2.Environment:
    """The templates' environment: Markdown (report.md), or HTML with every value escaped."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hadrill", "templates"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=html,  # report.md is Markdown: its typed text is escaped by the `text` filter
    )
    env.filters.update({"duration": format_duration, "figure": _figure, "threshold": _threshold, "show": _show,
                        "codes": _codes, "pairs": _pairs, "text": _text, **filters})
    return env


def render_report(summary: Summary, signoffs: list[SignoffStatement] | None = None) -> str:
    """report.md from summary.json. ``signoffs``: the sign-offs to show (recorded after sealing, so
    the sealed report.md never lists them; ``hadrill report`` prints a rendering that does)."""
    extra = [
        name for name in summary.evidence_files
        if name not in ALWAYS_LISTED and not name.startswith("records/")
    ]
    return environment().get_template(TEMPLATE).render(
        s=summary,
        scenarios=list(summary.scenarios.values()),
        evidence_path=summary.seal.path if summary.seal else summary.drill_id,
        extra_evidence=extra,
        signoffs=signoffs,
    )


def renderings(root: Path, summary: Summary, signoffs: list[SignoffStatement] | None = None) -> dict[str, str]:
    """Every file of RENDERED, from ``summary`` and the plots in ``root`` (report.html embeds them)."""
    from hadrill.html_report import render_html
    from hadrill.junit import render_junit
    from hadrill.metrics import render_metrics

    return {
        Bundle(root).report.name: render_report(summary, signoffs),
        "report.html": render_html(summary, root, signoffs),
        "junit.xml": render_junit(summary),
        "metrics.prom": render_metrics(summary),
    }


def write_report(root: Path, summary: Summary) -> None:
    for name, text in renderings(root, summary).items():
        layout.write_text(root, name, text)
