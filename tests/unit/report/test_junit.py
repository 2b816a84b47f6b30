"""junit.xml and `hadrill report --junit`: one test case per precondition, check, judged figure and
gate (plus each scenario's outcome and the drill's result), valid against the common JUnit XML
schema (tests/unit/report/junit.xsd)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from hadrill.cli import EXIT_PASS, main
from hadrill.junit import render_junit
from tests.unit.report.conftest import make_summary

SCHEMA = Path(__file__).with_name("junit.xsd")


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def parse(text: str, schema: etree.XMLSchema) -> etree._Element:
    document = etree.fromstring(text.encode("utf-8"))
    schema.assertValid(document)
    return document


def cases(document: etree._Element) -> dict[str, etree._Element]:
    return {f"{case.get('classname')}::{case.get('name')}": case for case in document.iter("testcase")}


def outcome(case: etree._Element) -> str:
    found = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
    return found[0] if found else "pass"


def test_one_case_per_precondition_check_judged_figure_and_gate(schema):
    summary = make_summary()
    document = parse(render_junit(summary), schema)
    found = {name: outcome(case) for name, case in cases(document).items()}
    assert found == {
        "hadrill.staging.preconditions::check db_reachable: Primary database reachable": "pass",
        "hadrill.staging.restore::check schema_version: Schema version of the restored database": "pass",
        "hadrill.staging.restore::check tenant_sample_default: Tenant sample default": "skipped",
        "hadrill.staging.restore::figure rto_seconds: RTO (incident to API smoke passed)": "failure",
        "hadrill.staging.restore::figure rpo_seconds: RPO": "pass",
        "hadrill.staging.restore::scenario outcome": "failure",
        "hadrill.staging.rollback::check startup_contract: Startup contract api-1": "pass",
        "hadrill.staging.rollback::check startup_contract: Startup contract api-2": "failure",
        "hadrill.staging.rollback::figure rollback_seconds: Rollback duration": "pass",
        "hadrill.staging.rollback::figure error_rate_recovery_seconds: Error-rate recovery": "error",
        "hadrill.staging.rollback::scenario outcome": "error",
        "hadrill.staging.gates::gate health": "pass",
        "hadrill.staging.gates::gate consistency": "failure",
        "hadrill.staging.drill::drill result": "failure",
    }
    totals = document.attrib
    assert (totals["tests"], totals["failures"], totals["errors"]) == ("14", "5", "2")
    assert "skipped" not in totals  # the common schema counts skipped cases per suite only
    assert sum(int(suite.get("skipped")) for suite in document.iter("testsuite")) == 1
    rto = cases(document)["hadrill.staging.restore::figure rto_seconds: RTO (incident to API smoke passed)"]
    assert rto.find("failure").get("message") == "measured 2m10s, threshold <= 2m"
    gate = cases(document)["hadrill.staging.gates::gate consistency"]
    assert gate.get("time") == "1.250" and "gates/consistency.log" in gate.find("system-out").text
    suites = {suite.get("name"): suite for suite in document.iter("testsuite")}
    assert suites["restore"].get("timestamp") == "2026-11-28T10:00:01.000000Z" and suites["restore"].get("time") == "139.000"
    properties = {item.get("name"): item.get("value") for item in suites["drill"].iter("property")}
    assert properties["drill_id"] == summary.drill_id and properties["result"] == "fail"


def test_text_xml_cannot_hold_is_dropped(schema):
    summary = make_summary()
    summary.gates[1].command = "check \x1b[31mred\x1b[0m"
    document = parse(render_junit(summary), schema)
    assert "check [31mred[0m" in cases(document)["hadrill.staging.gates::gate consistency"].find("failure").get("message")


def test_a_sealed_bundle_has_junit_xml_and_hadrill_report_writes_it(unsigned, tmp_path, schema, capsys):
    bundled = (unsigned / "junit.xml").read_text()
    parse(bundled, schema)
    target = tmp_path / "drill.xml"
    assert main(["report", str(unsigned), "--junit", str(target)]) == EXIT_PASS
    assert target.read_text() == bundled
    assert f"JUnit XML: {target}" in capsys.readouterr().out
