"""Issue 13 on one real sandbox drill of all three scenarios (the module's only drill), whose alert
channel is a local webhook receiver and whose metrics go to a real Pushgateway (Debian's
prometheus-pushgateway, started here on a loopback port):

1. report.html, junit.xml and metrics.prom are in the bundle and its manifest, and
   `hadrill verify` re-renders them (and the plots) to the same bytes.
2. report.html in headless Chromium (Debian's, driven by Playwright): no console error, no failed
   request and nothing fetched but the file itself, the drill timeline and every plot visible and
   drawn, the figures shown equal summary.json. A screenshot and the PDF printed by
   `hadrill report --pdf` are kept in artifacts/test-report/.
3. junit.xml validates against the common JUnit XML schema, one case per precondition, check,
   judged figure and gate (plus each scenario's outcome and the drill's result).
4. The Pushgateway's API returns the drill's metrics as pushed; the webhook receiver got the start
   and the end with the result, the headline figures and the evidence path; the deliveries are in
   summary.json; the webhook's URL and token are nowhere in the bundle.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from hadrill.browser import flags
from tests.support.drill import REPO, drill_env, hadrill
from tests.support.receiver import Receiver, start_receiver, stop_receiver

pytestmark = pytest.mark.integration

ARTIFACTS = REPO / "artifacts" / "test-report"  # kept after the run: the screenshot and the PDF
CHROMIUM = "/usr/bin/chromium"
PUSHGATEWAY = "/usr/bin/prometheus-pushgateway"
SCHEMA = REPO / "tests" / "unit" / "report" / "junit.xsd"
HOOK_TOKEN = "s3cr3t-hook-token-13"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def pushgateway(tmp_path_factory) -> Iterator[str]:
    if not os.access(PUSHGATEWAY, os.X_OK):
        pytest.fail("prometheus-pushgateway is not installed (scripts/bootstrap-os installs it)")
    port = free_port()
    log = tmp_path_factory.mktemp("pushgateway") / "pushgateway.log"
    with log.open("w") as output:
        process = subprocess.Popen([PUSHGATEWAY, f"--web.listen-address=127.0.0.1:{port}", "--persistence.file="],
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the Pushgateway did not start: {log.read_text()[-2000:]}")
                time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def hook(tmp_path_factory) -> Iterator[Receiver]:
    receiver = start_receiver(tmp_path_factory.mktemp("hook"))
    try:
        yield receiver
    finally:
        stop_receiver(receiver)


@pytest.fixture(scope="module")
def drill(sandbox, pushgateway, hook, tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    """(bundle, summary.json) of `hadrill run` of every scenario with the webhook and the Pushgateway."""
    evidence_root = tmp_path_factory.mktemp("evidence")
    extra = {
        "drill_alert_channel": {"name": "#ops-alerts", "webhook": {
            "url": f"{hook.base_url}/hooks/200", "headers": {"Authorization": f"Bearer {HOOK_TOKEN}"}}},
        "drill_metrics_pushgateway_url": pushgateway,
    }
    result = hadrill("run", *sandbox.inventory_args, "--scenario", "all", "--owner", "report-it", "-e", json.dumps(extra),
                     env=drill_env(evidence_root), timeout=1500)
    bundles = sorted(path for path in evidence_root.glob("ha_drill_*") if path.is_dir())
    # The drill's own result is the scenario tests' business: here it is a sealed drill of all three.
    assert result.returncode in (0, 1, 2) and len(bundles) == 1, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads((bundles[0] / "summary.json").read_text())
    assert summary["scenarios_selected"] == ["restore", "rollback", "replay"], summary["result_reasons"]
    return bundles[0], summary


def test_the_renderings_are_sealed_and_verify_re_renders_them(drill):
    bundle, summary = drill
    listed = {line.split("  ", 1)[1] for line in (bundle / "MANIFEST.sha256").read_text().splitlines()}
    assert {"report.md", "report.html", "junit.xml", "metrics.prom", "plots/restore.svg", "plots/rollback.svg",
            "plots/replay.svg"} <= listed
    assert {"report.html", "junit.xml", "metrics.prom"} <= set(summary["evidence_files"])
    verified = hadrill("verify", str(bundle), env=drill_env())
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "figures and report re-derived" in verified.stdout


def number(text: str) -> float:
    """A value as the report shows it: 22.12s, 2m50s, 1h2m, 0.34%, 92.67x, 7.3 ms, 135 rows."""
    text = text.strip()
    duration = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?", text)
    if duration and any(duration.groups()):
        hours, minutes, seconds = (float(part or 0) for part in duration.groups())
        return hours * 3600 + minutes * 60 + seconds
    return float(re.match(r"-?\d+(?:\.\d+)?", text).group(0))


def shown_equals(value: Any, shown: str) -> bool:
    if isinstance(value, bool):
        return shown == ("yes" if value else "no")
    if value is None:
        return shown == "n/a"
    if isinstance(value, str):
        return shown == value
    tolerance = 0.5 if abs(value) >= 60 else 0.051  # durations from a minute on are shown to the second
    return abs(number(shown) - float(value)) <= max(tolerance, abs(value) * 0.001)


def test_report_html_in_chromium(drill):
    from playwright.sync_api import sync_playwright

    bundle, summary = drill
    if os.path.exists(ARTIFACTS):
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    problems: list[str] = []
    fetched: list[str] = []
    with sync_playwright() as playwright:
        # Debian's chromium, never a browser Playwright downloads; Playwright gives it a fresh profile.
        quiet = [flag for flag in flags(ARTIFACTS) if not flag.startswith(("--user-data-dir", "--headless"))]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=quiet)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
                    if message.type in ("error", "warning") else None)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("requestfailed", lambda request: problems.append(f"failed request: {request.url}"))
            page.on("request", lambda request: fetched.append(request.url))
            page.goto((bundle / "report.html").as_uri(), wait_until="load")

            images = page.locator("img")
            plots = [name for scenario in summary["scenarios"].values() for name in scenario["evidence"]
                     if name.endswith(".svg")]
            assert images.count() == 1 + len(plots) == 4
            assert page.locator("#drill-timeline img").is_visible()
            assert sorted(page.locator("figure.plot").evaluate_all("items => items.map(item => item.dataset.file)")) \
                == sorted(plots)
            for index in range(images.count()):
                image = images.nth(index)
                image.scroll_into_view_if_needed()
                box = image.bounding_box()
                drawn = image.evaluate("i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0")
                assert image.is_visible() and drawn and box and box["width"] > 300 and box["height"] > 100, index
            # Each picture is drawn, not blank: its pixels are not all one color.
            for index in range(images.count()):
                colors = images.nth(index).evaluate("""i => {
                    const c = document.createElement('canvas'); c.width = i.naturalWidth; c.height = i.naturalHeight;
                    const g = c.getContext('2d'); g.drawImage(i, 0, 0);
                    const d = g.getImageData(0, 0, c.width, c.height).data; const seen = new Set();
                    for (let k = 0; k < d.length; k += 4 * 97) seen.add(d[k] + ',' + d[k+1] + ',' + d[k+2]);
                    return seen.size; }""")
                assert colors > 5, (index, colors)

            rows = page.locator("tr[data-figure]").evaluate_all(
                "rows => rows.map(r => [r.dataset.scenario, r.dataset.figure, r.dataset.value, r.dataset.verdict,"
                " r.cells[1].innerText, r.cells[2].innerText])")
            expected = {(name, figure["name"]): figure for name, scenario in summary["scenarios"].items()
                        if scenario["selected"] for figure in scenario["figures"]}
            assert {(row[0], row[1]) for row in rows} == set(expected)
            for scenario, name, value, verdict, shown, threshold in rows:
                figure = expected[(scenario, name)]
                assert json.loads(value) == figure["value"] and verdict == figure["verdict"], (scenario, name)
                assert shown_equals(figure["value"], shown), (scenario, name, figure["value"], shown)
                if figure["threshold"] is not None:
                    assert shown_equals(figure["threshold"], threshold.split(" ", 1)[1]), (name, threshold)
            assert page.locator("#drill-result").inner_text().lower() == summary["result"]
            gates = page.locator("tr[data-gate] a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
            assert gates == [gate["output_file"] for gate in summary["gates"]]
            assert all((bundle / href).is_file() for href in gates)
            seal = page.locator("#seal").inner_text()
            assert "unsigned" in seal and not re.search(r"(?<!un)signed with", seal)

            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            browser.close()
    assert problems == [], problems
    assert fetched == [(bundle / "report.html").as_uri()], fetched  # data: URIs are no requests

    printed = hadrill("report", str(bundle), "--pdf", str(ARTIFACTS / "report.pdf"), env=drill_env())
    assert printed.returncode == 0, printed.stderr
    pdf = (ARTIFACTS / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 3
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000


def test_junit_xml_validates_with_one_case_per_check_figure_and_gate(drill):
    bundle, summary = drill
    document = etree.parse(str(bundle / "junit.xml"))
    etree.XMLSchema(etree.parse(str(SCHEMA))).assertValid(document)
    cases = document.getroot().findall(".//testcase")
    selected = [scenario for scenario in summary["scenarios"].values() if scenario["selected"]]
    expected = (len(summary["preconditions"]["checks"]) + len(summary["gates"]) + 1
                + sum(len(scenario["checks"]) + 1 + sum(1 for figure in scenario["figures"] if figure["threshold"] is not None)
                      for scenario in selected))
    assert len(cases) == expected
    failed = [case for case in cases if case.find("failure") is not None]
    assert bool(failed) == (summary["result"] == "fail")


def test_the_pushgateway_holds_the_drill_metrics(drill, pushgateway):
    bundle, summary = drill
    with urllib.request.urlopen(f"{pushgateway}/api/v1/metrics", timeout=10) as answer:
        groups = json.load(answer)["data"]
    group = next(item for item in groups if item["labels"] == {"job": "hadrill", "environment": summary["environment"]})
    rto = next(figure for figure in summary["scenarios"]["restore"]["figures"] if figure["name"] == "rto_seconds")
    pushed = group["hadrill_drill_rto_seconds"]["metrics"][0]
    assert pushed["labels"]["scenario"] == "restore" and float(pushed["value"]) == rto["value"]
    results = {item["labels"]["result"]: float(item["value"]) for item in group["hadrill_drill_result"]["metrics"]}
    assert results == {name: 1.0 if name == summary["result"] else 0.0 for name in ("pass", "partial", "fail")}
    assert float(group["hadrill_drill_duration_seconds"]["metrics"][0]["value"]) == summary["duration_s"]
    assert ("hadrill_drill_last_success_timestamp_seconds" in group) == (summary["result"] == "pass")
    # Everything metrics.prom holds is what the Pushgateway returns.
    from hadrill.prometheus import samples

    for name, labels, value in samples((bundle / "metrics.prom").read_text()):
        matching = [item for item in group[name]["metrics"]
                    if {key: item["labels"][key] for key in labels} == labels]
        assert len(matching) == 1 and float(matching[0]["value"]) == value, (name, labels)


def test_the_webhook_got_the_start_and_the_end(drill, hook):
    bundle, summary = drill
    received = hook.requests()
    assert [item["path"] for item in received] == ["/hooks/200", "/hooks/200"]
    assert all(item["headers"]["Authorization"] == f"Bearer {HOOK_TOKEN}" for item in received)
    start, end = (json.loads(item["body"])["text"] for item in received)
    assert start.startswith(f"hadrill drill {summary['drill_id']} started on {summary['environment']}")
    lines = end.splitlines()
    assert lines[0].startswith(f"hadrill drill {summary['drill_id']} on {summary['environment']}: {summary['result'].upper()}")
    assert lines[-1] == f"Evidence: {bundle}"
    rto = next(figure for figure in summary["scenarios"]["restore"]["figures"] if figure["name"] == "rto_seconds")
    assert any(line.startswith(f"- {rto['label']}: ") for line in lines)
    deliveries = [(item["kind"], item["event"], item["delivered"]) for item in summary["deliveries"]]
    assert deliveries == [("notification", "start", True), ("notification", "end", True), ("metrics", "end", True)]
    for path in bundle.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert HOOK_TOKEN.encode() not in data and hook.base_url.encode() not in data, path
