"""report.html: self-contained, every figure (threshold, verdict, window), check and gate shown,
the seal's status in words that never call an unsigned bundle signed, the same bytes every time,
and checked by hadrill verify like report.md."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from hadrill import html_report
from hadrill.html_report import KEY_MOMENTS, drill_timeline, render_html
from hadrill.scenarios.replay.figures import TIMELINE as REPLAY_TIMELINE
from hadrill.scenarios.restore.figures import TIMELINE as RESTORE_TIMELINE
from hadrill.scenarios.rollback.figures import TIMELINE as ROLLBACK_TIMELINE
from hadrill.verify import verify
from tests.support.forgery import rehash
from tests.unit.report.conftest import make_summary


class Page(HTMLParser):
    """The elements of a page: (tag, attributes) in order, and its text."""

    def __init__(self, text: str):
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {key: value or "" for key, value in attrs}))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str, **wanted: str) -> list[dict[str, str]]:
        return [attributes for name, attributes in self.elements if name == tag
                and all(attributes.get(key.replace("_", "-")) == value for key, value in wanted.items())]

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


def test_the_page_fetches_nothing(summary, bundle):
    page = Page(render_html(summary, bundle))
    policy = page.all("meta", http_equiv="Content-Security-Policy")
    assert policy and policy[0]["content"].startswith("default-src 'none'; img-src data:")
    assert not page.all("script") and not page.all("link")
    images = page.all("img")
    assert len(images) == 3  # the drill timeline and the two scenarios' plots
    assert all(image["src"].startswith("data:image/svg+xml;base64,") and image["alt"] for image in images)
    for attributes in page.all("a"):
        assert not re.match(r"^[a-z]+:", attributes["href"]), attributes  # bundle files, by relative path


def test_every_figure_is_shown_with_its_threshold_verdict_and_window(summary, bundle):
    text = render_html(summary, bundle)
    rows = re.findall(r'<tr data-scenario="(\w+)" data-figure="(\w+)" data-value="([^"]*)" data-verdict="(\w+)">(.*?)</tr>',
                      text, re.S)
    shown = {(scenario, name): (json.loads(value.replace("&#34;", '"')), verdict, cells)
             for scenario, name, value, verdict, cells in rows}
    expected = {(scenario.scenario, figure.name): figure for scenario in summary.scenarios.values() if scenario.selected
                for figure in scenario.figures}
    assert set(shown) == set(expected)
    for key, figure in expected.items():
        value, verdict, cells = shown[key]
        assert value == figure.value and verdict == figure.verdict
        if figure.window:
            assert figure.window in cells
    assert "2m10s" in shown[("restore", "rto_seconds")][2] and "&lt;= 2m" in shown[("restore", "rto_seconds")][2]
    assert "not measured" in shown[("rollback", "error_rate_recovery_seconds")][2]


def test_checks_gates_and_deliveries_are_shown(summary, bundle):
    page = Page(render_html(summary, bundle))
    words = page.words
    assert "WARN" not in words and "warn Tenant sample default" in words
    assert "compared nothing: the sample covered 0 rows on both sides" in words
    assert "fail Startup contract api-2" in words and "exit code 3" in words
    assert {item["href"] for item in page.all("a")} >= {"gates/health.log", "gates/consistency.log", "report.md"}
    assert "check <consistency> & more" in words  # escaped, shown as typed
    assert "ConnectionRefusedError" in words and "http://127.0.0.1:9" in words


def test_an_unsigned_seal_is_never_called_signed(summary, bundle):
    text = render_html(summary, bundle)
    assert 'data-signed="false"' in text and "unsigned" in text and "no drill signing key was configured" in text
    assert not re.search(r"(?<!un)signed with the drill key", text)
    signed = render_html(make_summary(signed=True), bundle)
    assert 'data-signed="true"' in signed and "signed with the drill key <code>hadrill-drill@staging</code>" in signed


def test_the_same_summary_and_plots_render_the_same_bytes(summary, bundle):
    assert render_html(summary, bundle) == render_html(summary, bundle)


def test_the_drill_timeline_marks_the_moments_that_matter(summary):
    timeline = drill_timeline(summary)
    assert [lane.label for lane in timeline.lanes] == ["drill", "restore", "rollback"]
    assert {marker.label for marker in timeline.markers} == {"incident", "promoted", "smoke passed", "rollback started",
                                                             "readiness green"}
    restore = timeline.lanes[1]
    assert restore.phases[0] == ("Scenario started", 1.0, 5.0)


def test_the_key_moments_are_labels_the_scenarios_record():
    labels = {label for table in (RESTORE_TIMELINE, ROLLBACK_TIMELINE, REPLAY_TIMELINE) for label, _ in table}
    labels |= {"Processing stopped (measured)", "Processing resumed (measured)"}  # replay's measured entries
    assert set(KEY_MOMENTS) <= labels, set(KEY_MOMENTS) - labels
    assert set(html_report.CAPTIONS) == {"plots/restore.svg", "plots/rollback.svg", "plots/replay.svg"}


def test_a_sealed_bundle_has_report_html_and_an_edited_one_is_caught(unsigned):
    page = Page((unsigned / "report.html").read_text())
    assert "report.html" in (unsigned / "MANIFEST.sha256").read_text()
    assert page.all("img", alt=page.all("img")[0]["alt"])  # the drill timeline
    report = unsigned / "report.html"
    report.write_text(report.read_text().replace('class="badge pass" id="drill-result">pass',
                                                 'class="badge pass" id="drill-result">pass (signed by the CTO)'))
    rehash(unsigned)
    problems = verify(unsigned).problems
    assert any(line.startswith("report.html differs from its rendering of the re-derived summary") and "CTO" in line
               for line in problems), problems


def test_sign_offs_recorded_after_the_seal_are_shown_when_asked_for(signed, keys):
    from hadrill import statements
    from hadrill.signoff import sign
    from hadrill.summary import Summary
    from tests.support.keys import PRINCIPALS

    sign(signed, by=PRINCIPALS["alice"], key=keys.key("alice"), role="sre-lead", note="RTO <ok> & fine")
    summary = Summary.model_validate_json((signed / "summary.json").read_text())
    signoffs = [item.statement for item in statements.load(signed).signoffs]
    page = Page(render_html(summary, signed, signoffs))
    assert f"{PRINCIPALS['alice']} (sre-lead)" in page.words and "RTO <ok> & fine" in page.words
    assert "signed with the drill key" in page.words  # the signed fixture's seal
    assert "Sign-off: recorded after sealing" in Page((signed / "report.html").read_text()).words  # the sealed file
