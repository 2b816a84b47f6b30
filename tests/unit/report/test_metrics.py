"""The drill's metrics in the Prometheus text format: names in base units, the textfile merged
like a Pushgateway POST (other environments kept, a last success kept when the drill failed),
written atomically, read back by hadrill's own exposition reader."""

from __future__ import annotations

import os

from hadrill import metrics, prometheus
from hadrill.cli import EXIT_PASS, main
from tests.unit.report.conftest import make_summary


def values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(name, tuple(sorted(labels.items()))): value for name, labels, value in prometheus.samples(text)}


def test_figures_become_gauges_in_base_units():
    text = metrics.render_metrics(make_summary())
    found = values(text)
    restore = (("environment", "staging"), ("scenario", "restore"))
    rollback = (("environment", "staging"), ("scenario", "rollback"))
    assert found[("hadrill_drill_rto_seconds", restore)] == 130.0
    assert found[("hadrill_drill_target_exact", restore)] == 1.0
    assert found[("hadrill_drill_canary_lost", restore)] == 10.0
    assert found[("hadrill_drill_error_rate_observed_ratio", rollback)] == 0.2037
    assert found[("hadrill_drill_p95_before_seconds", rollback)] == 0.0055
    assert ("hadrill_drill_error_rate_recovery_seconds", rollback) not in found  # not measured: no sample
    assert found[("hadrill_drill_result", (("environment", "staging"), ("result", "fail")))] == 1.0
    assert found[("hadrill_drill_result", (("environment", "staging"), ("result", "pass")))] == 0.0
    assert found[("hadrill_drill_duration_seconds", (("environment", "staging"),))] == 210.0
    assert found[("hadrill_drill_scenario_outcome", (("environment", "staging"), ("outcome", "incomplete"),
                                                     ("scenario", "rollback")))] == 1.0
    assert not any(name == metrics.LAST_SUCCESS for name, _ in found)  # the drill failed
    assert "# TYPE hadrill_drill_rto_seconds gauge" in text
    assert "# HELP hadrill_drill_rto_seconds RTO (incident to API smoke passed)" in text


def test_the_textfile_keeps_other_environments_and_the_last_success_of_a_failed_drill(tmp_path):
    path = tmp_path / "hadrill.prom"
    passed = make_summary()
    passed.result = "pass"
    prometheus.write_textfile(path, metrics.families(passed), metrics.grouping(passed))
    other = make_summary()
    other.environment, other.result = "production", "pass"
    prometheus.write_textfile(path, metrics.families(other), metrics.grouping(other))
    first = values(path.read_text())
    success = first[(metrics.LAST_SUCCESS, (("environment", "staging"),))]
    assert (metrics.LAST_SUCCESS, (("environment", "production"),)) in first

    failed = make_summary()
    failed.finished_at = "2026-11-29T10:00:00.000000Z"
    failed.scenarios["restore"].figures[0].value = 99.0
    prometheus.write_textfile(path, metrics.families(failed), metrics.grouping(failed))
    text = path.read_text()
    found = values(text)
    assert found[(metrics.LAST_SUCCESS, (("environment", "staging"),))] == success  # kept
    assert found[("hadrill_drill_last_run_timestamp_seconds", (("environment", "staging"),))] > success
    assert found[("hadrill_drill_rto_seconds", (("environment", "staging"), ("scenario", "restore")))] == 99.0
    assert found[("hadrill_drill_rto_seconds", (("environment", "production"), ("scenario", "restore")))] == 130.0
    assert text.count("# TYPE hadrill_drill_rto_seconds gauge") == 1
    assert [name for name in os.listdir(tmp_path) if name != "hadrill.prom"] == []  # no temporary file left
    assert oct(path.stat().st_mode & 0o777) == "0o644"  # node_exporter reads it


def test_label_values_and_help_are_escaped():
    family = prometheus.Family("hadrill_drill_x", 'a \\ help\nline', samples=[({"environment": 'quote " back \\ nl \n'}, 1.5)])
    text = prometheus.render([family])
    assert text == ('# HELP hadrill_drill_x a \\\\ help\\nline\n# TYPE hadrill_drill_x gauge\n'
                    'hadrill_drill_x{environment="quote \\" back \\\\ nl \\n"} 1.5\n')
    assert list(prometheus.samples(text)) == [("hadrill_drill_x", {"environment": 'quote " back \\ nl \n'}, 1.5)]


def test_grouping_keys_that_need_base64():
    assert prometheus.grouping_path("hadrill", {"environment": "staging"}) == "/metrics/job/hadrill/environment/staging"
    assert prometheus.grouping_path("hadrill", {"environment": "a/b"}) == "/metrics/job/hadrill/environment@base64/YS9i"


def test_hadrill_report_writes_the_textfile(unsigned, tmp_path, capsys):
    target = tmp_path / "hadrill.prom"
    assert main(["report", str(unsigned), "--prometheus", str(target)]) == EXIT_PASS
    assert target.read_text() == (unsigned / "metrics.prom").read_text()
    assert "Prometheus textfile" in capsys.readouterr().out
