"""Check a sealed bundle: files, shape, figures re-derived, seal and sign-off signatures.

1. Files against MANIFEST.sha256; links, FIFOs, devices and stray directories are unexpected.
2. Shape: drill.json, summary.json and every events line against their models; a file written by
   a newer hadrill is refused (``NewerSchema``), never judged or rewritten.
3. Figures: summary.json, its renderings (report.md, report.html, junit.xml) and the plots are
   computed again from events.jsonl, the samples and the records (the code that wrote them, on a
   copy), and every difference is named.
4. Signatures: the last seal statement must name the current manifest digest and this drill; each
   sign-off must name the current manifest; every SSH signature is checked (against the allowed
   signers when given: each principal verified, unknown or bad).

Every problem is one line. ``ok`` is False when any was found.
"""

from __future__ import annotations

import difflib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hadrill import layout, manifest, schemas, signing, statements
from hadrill.bundle_models import EVENT_LINE, DrillRecord
from hadrill.jsonl import MalformedLine, read_lines
from hadrill.summary import Summary

MAX_DIFFERENCES = 20


@dataclass
class SignatureLine:
    what: str  # "seal 1", "sign-off 2"
    path: str
    checked: signing.Checked

    def line(self) -> str:
        return f"{self.what} ({self.path}): {self.checked.line()}"


@dataclass
class Result:
    root: Path
    drill_id: str | None = None
    manifest_digest: str | None = None
    files: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signatures: list[SignatureLine] = field(default_factory=list)
    sealed_by: signing.Checked | None = None  # the last seal's signature, if any
    signed_off: list[signing.Checked] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def unsigned(self) -> bool:
        return self.sealed_by is None


def _validation_line(where: str, exc: ValidationError) -> str:
    first = exc.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "the file"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {location}: {first['msg']}{more}"


def _load_json(root: Path, name: str, problems: list[str]) -> Any:
    try:
        return json.loads(layout.read_text(root, name))
    except FileNotFoundError:
        problems.append(f"{name} is missing")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        problems.append(f"{name} is not readable JSON: {exc}")
    return None


def check_versions(root: Path) -> None:
    """Refuse (NewerSchema) a bundle whose drill.json or summary.json a newer hadrill wrote."""
    for name in ("drill", "summary"):
        try:
            data = json.loads(layout.read_text(root, f"{name}.json"))
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        if isinstance(data, dict):
            schemas.check_readable(name, data.get("schema_version"))


def _shape(root: Path, result: Result) -> Summary | None:
    drill = _load_json(root, "drill.json", result.problems)
    if drill is not None:
        try:
            record = DrillRecord.model_validate(drill)
            result.drill_id = record.drill_id
        except ValidationError as exc:
            result.problems.append(_validation_line("drill.json", exc))
    summary = None
    data = _load_json(root, "summary.json", result.problems)
    if data is not None:
        try:
            summary = Summary.model_validate(data)
        except ValidationError as exc:
            result.problems.append(_validation_line("summary.json", exc))
    try:
        for number, line in enumerate(read_lines(root / "events.jsonl"), 1):
            try:
                EVENT_LINE.validate_python(line)
            except ValidationError as exc:
                result.problems.append(_validation_line(f"events.jsonl event {number}", exc))
    except MalformedLine as exc:
        result.problems.append(f"events.jsonl line {exc.number}: {exc.reason}")
    except OSError as exc:
        result.problems.append(f"events.jsonl: {exc}")
    return summary


def _key(item: Any) -> str | None:
    return item.get("name") if isinstance(item, dict) and isinstance(item.get("name"), str) else None


def differences(recorded: Any, derived: Any, path: str = "") -> list[str]:
    """Each place where two JSON values differ, as ``path: recorded X, re-derived Y``."""
    if isinstance(recorded, dict) and isinstance(derived, dict):
        found = []
        for key in list(recorded) + [key for key in derived if key not in recorded]:
            found += differences(recorded.get(key, "<absent>"), derived.get(key, "<absent>"), f"{path}.{key}" if path else key)
        return found
    if isinstance(recorded, list) and isinstance(derived, list):
        keys = [_key(item) for item in recorded], [_key(item) for item in derived]
        if all(keys[0]) and all(keys[1]) and len(set(keys[0])) == len(keys[0]) and len(set(keys[1])) == len(keys[1]):
            left = {_key(item): item for item in recorded}
            right = {_key(item): item for item in derived}
            found = []
            for name in list(left) + [name for name in right if name not in left]:
                found += differences(left.get(name, "<absent>"), right.get(name, "<absent>"), f"{path}[{name}]")
            return found
        if len(recorded) == len(derived):
            found = []
            for index, (left_item, right_item) in enumerate(zip(recorded, derived)):
                found += differences(left_item, right_item, f"{path}[{index}]")
            return found
    if recorded == derived:
        return []
    return [f"{path}: {_short(recorded)} in the bundle, re-derived {_short(derived)}"]


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) or value == "<absent>" else json.dumps(value)
    if value == "<absent>":
        return "absent"
    return text if len(text) <= 80 else text[:77] + "..."


def rederive(root: Path, recorded: Summary) -> list[str]:
    """Compute summary.json, its renderings (report.md, report.html, junit.xml) and the plots again on
    a copy; name every difference."""
    from hadrill.finalize import derive
    from hadrill.report import RENDERED, renderings

    found: list[str] = []
    with tempfile.TemporaryDirectory(prefix="hadrill-verify-") as scratch:
        copy = Path(scratch) / root.name
        copy.mkdir()
        originals: dict[str, bytes] = {}
        for name in manifest.bundle_files(root):
            data = layout.read_bytes(root, name)
            originals[name] = data
            layout.write_bytes(copy, name, data)
        try:
            derived = derive(copy)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return [f"summary.json cannot be re-derived from the recording: {type(exc).__name__}: {exc}"]
        if derived.hadrill_version != recorded.hadrill_version:
            found.append(f"note: re-derived by hadrill {derived.hadrill_version}; the bundle was written by "
                         f"hadrill {recorded.hadrill_version}")
            derived.hadrill_version = recorded.hadrill_version
        if derived.schema_version != recorded.schema_version:  # an older minor version (check_versions)
            found.append(f"note: summary.json has schema {recorded.schema_version}; re-derived as {derived.schema_version}")
            derived.schema_version = recorded.schema_version
        found += [f"summary.json: {line}" for line in
                  differences(recorded.model_dump(mode="json"), derived.model_dump(mode="json"))]
        for name, rendered in renderings(copy, derived).items():
            stored = originals.get(name, b"").decode("utf-8", errors="replace")
            if rendered != stored:
                diff = [line for line in difflib.unified_diff(stored.splitlines(), rendered.splitlines(), lineterm="", n=0)
                        if line[:1] in "+-" and not line.startswith(("+++", "---"))]
                shown = "; ".join(diff[:4])
                found.append(f"{name} differs from its rendering of the re-derived summary ({len(diff)} line(s)): {shown[:300]}")
        for name in manifest.bundle_files(copy):
            if name == "summary.json" or name in RENDERED:
                continue
            if name not in originals:
                found.append(f"{name}: re-derived but absent from the bundle")
            elif layout.read_bytes(copy, name) != originals[name]:
                found.append(f"{name}: differs from its re-derivation")
    notes = [line for line in found if line.startswith("note: ")]
    problems = [line for line in found if not line.startswith("note: ")]
    if len(problems) > MAX_DIFFERENCES:
        problems = problems[:MAX_DIFFERENCES] + [f"... and {len(problems) - MAX_DIFFERENCES} more differences"]
    return notes + problems


def _seal_markers(root: Path) -> dict[int, dict[str, Any]]:
    """The evidence_sealed markers of events.jsonl by seal number (the last one of a number wins)."""
    found: dict[int, dict[str, Any]] = {}
    try:
        for line in read_lines(root / "events.jsonl"):
            data = line.get("data")
            if line.get("event") == "marker" and line.get("name") == "evidence_sealed" and isinstance(data, dict):
                if isinstance(data.get("number"), int):
                    found[data["number"]] = data
    except (OSError, MalformedLine):
        pass
    return found


def _signatures(root: Path, result: Result, allowed_signers: Path | None, require_signed_seal: bool) -> None:
    recorded = statements.load(root)
    result.problems += recorded.problems
    drill_id = result.drill_id
    digest = result.manifest_digest
    for item in recorded.seals + recorded.signoffs:
        if item.error:
            result.problems.append(item.error)
            continue
        statement = item.statement
        assert statement is not None
        what = f"seal {item.number}" if item.kind == "seal" else f"sign-off {item.number}"
        if drill_id and statement.drill_id != drill_id:
            result.problems.append(f"{item.path}: the {what} is for drill {statement.drill_id}, this bundle is {drill_id}")
        principal = statement.principal if isinstance(statement, statements.SealStatement) else statement.by
        if item.signature is None:
            if item.kind == "signoff":
                result.problems.append(f"{item.path}: a sign-off without a signature is not accepted")
            continue
        if principal is None:
            result.problems.append(f"{item.path}: the {what} is signed but names no principal")
            continue
        checked = signing.check(item.data, item.signature, principal, allowed_signers)
        if statement.key_fingerprint and checked.key_fingerprint and checked.key_fingerprint != statement.key_fingerprint:
            checked = signing.Checked("bad", principal, checked.key_fingerprint,
                                      f"signed with key {checked.key_fingerprint}, the statement names {statement.key_fingerprint}")
        result.signatures.append(SignatureLine(what, item.path, checked))
        if checked.status == "bad" or (allowed_signers is not None and checked.status != "verified"):
            result.problems.append(f"{item.path}.sig: {what} signature {checked.line()}")
    seals = [item for item in recorded.seals if item.statement is not None]
    recorded_seals = _seal_markers(root)
    for item in seals:
        statement = item.statement
        assert isinstance(statement, statements.SealStatement)
        marker = recorded_seals.get(item.number)
        if marker is None:
            result.problems.append(f"{item.path}: events.jsonl records no seal {item.number}")
            continue
        signing_info = marker.get("signing") or {}
        expected = {"sealed_at": marker.get("sealed_at"), "sealed_by": marker.get("sealed_by"),
                    "reason": marker.get("reason"), "principal": signing_info.get("principal"),
                    "key_fingerprint": signing_info.get("key_fingerprint")}
        for name, value in expected.items():
            if getattr(statement, name) != value:
                result.problems.append(f"{item.path}: {name} is {getattr(statement, name)!r}, events.jsonl records "
                                       f"{value!r} for seal {item.number}")
        if statement.principal and item.signature is None:
            result.problems.append(f"{item.path}.sig is missing: seal {item.number} names the drill key "
                                   f"{statement.principal}")
    if not seals:
        if recorded_seals:
            number = max(recorded_seals)
            result.problems.append(f"signatures/seal-{number:02d}.json is missing (events.jsonl records seal {number})")
        else:
            result.notes.append("no seal statement (sealed by a hadrill version before seal statements)")
    else:
        last = seals[-1]
        statement = last.statement
        assert isinstance(statement, statements.SealStatement)
        if recorded_seals and max(recorded_seals) != last.number:
            result.problems.append(f"{last.path}: the last seal statement is {last.number}, events.jsonl records seal "
                                   f"{max(recorded_seals)}")
        if digest and statement.manifest_sha256 != digest:
            result.problems.append(
                f"{last.path}: MANIFEST.sha256 (sha256 {digest[:16]}…) is not the manifest seal {last.number} recorded "
                f"({statement.manifest_sha256[:16]}…): it was rewritten after sealing")
        line = next((item for item in result.signatures if item.path == last.path), None)
        result.sealed_by = line.checked if line else None
        earlier_signed = [item for item in seals[:-1] if item.signature is not None]
        if result.sealed_by is None and earlier_signed:
            result.problems.append(f"{last.path}: seal {last.number} ({statement.sealed_by}) is unsigned, yet seal "
                                   f"{earlier_signed[-1].number} was signed: the bundle changed after the drill key signed it")
        if len(seals) > 1:
            result.notes.append(f"re-sealed: seal {last.number} by {statement.sealed_by}"
                                + (f" ({statement.reason})" if statement.reason else "")
                                + f"; earlier seals: {', '.join(str(item.number) for item in seals[:-1])}")
        if result.sealed_by is None and allowed_signers is not None and require_signed_seal:
            result.problems.append("unsigned: the seal has no signature, so there is nothing to check against the "
                                   "allowed signers")
    seen: dict[str, str] = {}
    for item in recorded.signoffs:
        statement = item.statement
        if not isinstance(statement, statements.SignoffStatement):
            continue
        if digest and statement.manifest_sha256 != digest:
            result.problems.append(f"{item.path}: sign-off by {statement.by} is over another manifest "
                                   f"({statement.manifest_sha256[:16]}…, this bundle's is {digest[:16]}…)")
        if statement.by in seen:
            result.problems.append(f"{item.path}: {statement.by} signed off twice (first in {seen[statement.by]})")
        seen.setdefault(statement.by, item.path)
        line = next((entry for entry in result.signatures if entry.path == item.path), None)
        if line is not None:
            result.signed_off.append(line.checked)


def verify(root: Path, *, allowed_signers: Path | None = None, rederive_figures: bool = True,
           require_signed_seal: bool = True) -> Result:
    """Everything above. Raises NewerSchema for a bundle a newer hadrill wrote. ``require_signed_seal``
    False: with allowed signers, an unsigned seal is not a problem (a sign-off of an unsigned bundle)."""
    check_versions(root)
    result = Result(root)
    checked = manifest.verify(root)
    result.manifest_digest = checked.manifest_digest
    result.files = checked.files
    result.problems += checked.problems()
    summary = _shape(root, result)
    if summary is not None and rederive_figures:
        for line in rederive(root, summary):
            (result.notes if line.startswith("note: ") else result.problems).append(line.removeprefix("note: "))
    modes = [entry.path for entry in layout.walk(root)
             if entry.kind in ("file", "directory") and entry.mode & 0o007]
    if modes:
        result.notes.append(f"{len(modes)} entr(ies) readable by others (the bundle's rule: directories "
                            f"{layout.DIR_MODE:o}, files {layout.FILE_MODE:o}), e.g. {modes[0]}")
    if checked.manifest_present:
        _signatures(root, result, allowed_signers, require_signed_seal)
    return result
