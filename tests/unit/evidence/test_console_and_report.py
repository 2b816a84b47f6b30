"""Issue 16 item 9: the report names where the evidence really is; the console gives each failure
reason once. Issue 12: without a key nothing says signed."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import jinja2
import yaml

from hadrill.cli import print_summary
from hadrill.finalize import finalize
from hadrill.runner import Progress
from hadrill.summary import Summary
from tests.support.recording import record_drill

REPO = Path(__file__).resolve().parents[3]
SIGNED_WORD = re.compile(r"(?<!un)signed\b", re.IGNORECASE)


def test_the_report_names_the_evidence_root_the_drill_used(tmp_path):
    bundle = record_drill(tmp_path / "somewhere" / "else")
    finalize(bundle)
    report = (bundle / "report.md").read_text()
    assert f"Evidence: `{bundle.absolute()}` (where it was sealed)" in report
    assert "artifacts/ha_drill" not in report


def test_without_a_key_it_says_unsigned_and_never_signed(unsigned):
    summary = Summary.model_validate_json((unsigned / "summary.json").read_text())
    out = io.StringIO()
    print_summary(summary, unsigned, out=out)
    texts = {"report.md": (unsigned / "report.md").read_text(), "console": out.getvalue(),
             "summary.json": (unsigned / "summary.json").read_text(),
             "seal statement": (unsigned / "signatures" / "seal-01.json").read_text()}
    assert "**unsigned**: no drill signing key was configured" in texts["report.md"]
    assert "sealed, unsigned: no drill signing key was configured" in texts["console"]
    for name, text in texts.items():
        assert not SIGNED_WORD.search(text), (name, SIGNED_WORD.search(text))
    assert json.loads(texts["seal statement"])["principal"] is None
    assert not (unsigned / "signatures" / "seal-01.json.sig").exists()


def test_a_key_that_cannot_sign_leaves_an_honest_unsigned_seal(tmp_path, capsys):
    key = tmp_path / "drill-key"
    key.write_text("not a key\n")
    bundle = record_drill(tmp_path / "evidence", signing_key=key)
    summary, _ = finalize(bundle)
    assert summary.seal is not None and summary.seal.signing is None
    assert "not an SSH key" in (summary.seal.unsigned_reason or "")
    assert "**unsigned**: the signing key could not be used" in (bundle / "report.md").read_text()
    assert not SIGNED_WORD.search((bundle / "report.md").read_text())


def test_each_failure_reason_is_printed_once(unsigned):
    """The final assert of the playbook repeated every reason after the summary had listed them."""
    reasons = ["gate health failed (exit code 1)", "restore: RTO 130s above its threshold 120s"]
    summary = Summary.model_validate_json((unsigned / "summary.json").read_text())
    summary = summary.model_copy(update={"result": "fail", "result_reasons": reasons})
    plays = yaml.safe_load((REPO / "collection" / "playbooks" / "drill.yml").read_text())
    task = next(item for item in plays[0]["tasks"] if item["name"] == "Fail the run when the drill failed")
    message = jinja2.Template(task["ansible.builtin.assert"]["fail_msg"]).render(
        drill_id=summary.drill_id, drill_evidence={"result_reasons": reasons})
    out = io.StringIO()
    progress = Progress(out=out)
    progress.handle({"event": "runner_on_failed", "event_data": {
        "task": task["name"], "host": "localhost", "res": {"msg": message}}})
    print_summary(summary, unsigned, out=out)
    for reason in reasons:
        assert out.getvalue().count(reason) == 1, out.getvalue()


def test_sign_off_text_is_shown_as_text_not_markdown(signed, keys):
    from hadrill.report import render_report
    from hadrill.signoff import sign
    from tests.support.keys import PRINCIPALS

    statement, _ = sign(signed, by=PRINCIPALS["alice"], key=keys.key("alice"), role="sre_lead",
                        note="**all** good, see [runbook](http://evil.example) <img src=x> | done")
    report = render_report(Summary.model_validate_json((signed / "summary.json").read_text()), [statement])
    assert ("   - `alice@example.com` (sre\\_lead), " in report
            and r"\*\*all\*\* good, see \[runbook\](http://evil.example) \<img src=x\> \| done" in report)
