"""`hadrill report --pdf` without Chromium, and `hadrill history --html`."""

from __future__ import annotations

import base64
import re

from hadrill.cli import EXIT_COULD_NOT_RUN, EXIT_FAIL, main
from tests.unit.hadrill.test_verdict_history_lock import write_summary


def test_pdf_without_chromium_is_one_line_and_exit_3(unsigned, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HADRILL_CHROMIUM", str(tmp_path / "no-chromium-here"))
    assert main(["report", str(unsigned), "--pdf", str(tmp_path / "report.pdf")]) == EXIT_COULD_NOT_RUN
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("hadrill: --pdf: HADRILL_CHROMIUM=") and "not an executable" in error
    assert not (tmp_path / "report.pdf").exists()


def test_history_html_charts_each_environment_over_time_and_names_what_it_left_out(tmp_path, capsys):
    write_summary(tmp_path, "ha_drill_20261101_staging_01", "staging", "2026-11-01T10:00:00Z", 40.0, rpo=2.0)
    write_summary(tmp_path, "ha_drill_20261103_staging_01", "staging", "2026-11-03T10:00:00Z", 55.0, rpo=3.0)
    write_summary(tmp_path, "ha_drill_20261102_prod_01", "prod", "2026-11-02T10:00:00Z", 10.0)
    tampered = write_summary(tmp_path, "ha_drill_20261104_staging_01", "staging", "2026-11-04T10:00:00Z", 9.0)
    (tampered / "summary.json").write_text((tampered / "summary.json").read_text().replace("9.0", "1.0"))
    page = tmp_path / "history.html"
    assert main(["history", str(tmp_path), "--html", str(page)]) == EXIT_FAIL  # a bundle did not verify
    assert f"history page: {page} (3 verified drill(s))" in capsys.readouterr().out
    text = page.read_text()
    assert "default-src 'none'; img-src data:" in text and "<script" not in text
    charts = re.findall(r'<figure class="history" data-environment="(\w+)" data-figure="(\w+)">\s*<img src="([^"]+)"', text)
    assert [(environment, figure) for environment, figure, _ in charts] == [("prod", "RTO"), ("staging", "RTO"),
                                                                            ("staging", "RPO")]
    staging_rto = base64.b64decode(charts[1][2].removeprefix("data:image/svg+xml;base64,")).decode()
    assert 'id="series-0"' in staging_rto and 'id="threshold-0"' in staging_rto  # the values and the threshold
    assert "threshold ≤ 1m40s" in staging_rto and "drill start (UTC)" in staging_rto
    assert re.search(r"<li><code>ha_drill_20261104_staging_01</code>: does not match its manifest", text)
    assert text.count('<tr data-drill="') == 3
