"""report.md: the sections of the hand-written drill record, filled from summary.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2

from hadrill.clock import format_duration
from hadrill.layout import Bundle
from hadrill.summary import Figure, Summary

TEMPLATE = "report.md.j2"
ALWAYS_LISTED = {"summary.json", "events.jsonl", "MANIFEST.sha256", "report.md"}


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


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hadrill", "templates"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - Markdown, not HTML
    )
    env.filters.update(duration=format_duration, figure=_figure, threshold=_threshold, show=_show, codes=_codes, pairs=_pairs)
    return env


def signatures(root: Path) -> list[dict[str, Any]]:
    path = Bundle(root).signoff
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8")).get("signatures", [])


def render_report(root: Path, summary: Summary, bundle_path: str | None = None) -> str:
    signed = signatures(root)
    extra = [
        name for name in summary.evidence_files
        if name not in ALWAYS_LISTED and not name.startswith("records/")
    ]
    return environment().get_template(TEMPLATE).render(
        s=summary,
        scenarios=list(summary.scenarios.values()),
        bundle_path=bundle_path or f"artifacts/ha_drill/{summary.drill_id}",
        extra_evidence=extra,
        signatures=signed,
        signed_by=", ".join(f"`{sig['by']}`" + (f" ({sig['role']})" if sig.get("role") else "") for sig in signed)
        or f"not signed yet (`hadrill signoff {bundle_path or 'artifacts/ha_drill/' + summary.drill_id} --by NAME`)",
        signoff_notes=[f"{sig['by']}: {sig['note']}" for sig in signed if sig.get("note")],
    )


def write_report(root: Path, summary: Summary) -> Path:
    path = Bundle(root).report
    path.write_text(render_report(root, summary), encoding="utf-8")
    return path
