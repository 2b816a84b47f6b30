"""The backlog sampler kind, run for real: commands, a local metrics server, a sampler process.
(The sql source runs against the sandbox's PostgreSQL in tests/integration/replay.)"""

from __future__ import annotations

import decimal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import ValidationError

from hadrill.events import read_lines
from hadrill.samplers import launcher
from hadrill.samplers.kinds.backlog import BacklogSampler, ReadError, as_number
from hadrill.samplers.spec import SamplerSpec

METRICS = {"value": 'app_pending{queue="a"} 3\napp_pending{queue="b"} 4\napp_failed 1\napp_processed_total 812\n'}


class MetricsHandler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server API
        if self.path != "/metrics?format=text" or self.headers.get("X-Token") != "t0k3n":
            self.send_response(404)
            self.end_headers()
            return
        body = METRICS["value"].encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def metrics_url():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), MetricsHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/metrics?format=text"
    httpd.shutdown()


def sampler(tmp_path, **config) -> BacklogSampler:
    return BacklogSampler(SamplerSpec(name="backlog", kind="backlog", evidence_dir=str(tmp_path), config=config))


def test_as_number_accepts_numbers_only():
    assert as_number(decimal.Decimal("12"), "x") == 12.0 and as_number(" 4.5 ", "x") == 4.5
    for bad in (True, "twelve", None, [1]):
        with pytest.raises(ReadError, match="x: expected a number"):
            as_number(bad, "x")


def test_command_source_reads_the_last_line_and_reports_failures(tmp_path):
    ok = sampler(tmp_path, source="command", backlog_command="echo header; echo 42", failed_command="printf '3\\n\\n'")
    before = time.monotonic()
    record = ok.sample(0)
    assert record.pop("latency_ms") >= 0
    assert before <= record.pop("started_mono") <= time.monotonic()  # when the reading started
    assert record == {"seq": 0, "source": "command", "backlog": 42.0, "failed": 3.0, "ok": True}
    bad = sampler(tmp_path, source="command", backlog_command="echo nope >&2; exit 3", failed_command="echo lots",
                  timeout_seconds=2)
    record = bad.sample(1)
    assert record["ok"] is False and record["backlog"] is None and record["failed"] is None
    assert "backlog command exited 3: nope" in record["error"] and "expected a number, got 'lots'" in record["error"]
    slow = sampler(tmp_path, source="command", backlog_command="sleep 5", failed_command="echo 0", timeout_seconds=0.2)
    assert "timed out after 0.2s" in slow.sample(2)["error"]


def test_prometheus_source_scrapes_once_and_sums_series(tmp_path, metrics_url):
    source = sampler(tmp_path, source="prometheus", metrics_url=metrics_url, headers={"X-Token": "t0k3n"},
                     backlog_metric="app_pending", failed_metric="app_failed")
    record = source.sample(0)
    assert (record["backlog"], record["failed"], record["ok"]) == (7.0, 1.0, True)
    missing = sampler(tmp_path, source="prometheus", metrics_url=metrics_url, headers={"X-Token": "t0k3n"},
                      backlog_metric='app_pending{queue="c"}', failed_metric="app_failed")
    record = missing.sample(1)
    assert record["backlog"] is None and record["failed"] == 1.0
    assert 'backlog metric app_pending{queue="c"} is not in the metrics' in record["error"]
    unauthorised = sampler(tmp_path, source="prometheus", metrics_url=metrics_url,
                           backlog_metric="app_pending", failed_metric="app_failed")
    assert "metrics scrape failed: status 404" in unauthorised.sample(2)["error"]


def test_the_processed_reading_is_sampled_only_when_configured(tmp_path, metrics_url):
    plain = sampler(tmp_path, source="command", backlog_command="echo 1", failed_command="echo 0").sample(0)
    assert "processed" not in plain
    command = sampler(tmp_path, source="command", backlog_command="echo 1", failed_command="echo 0",
                      processed_command="echo 99").sample(1)
    assert (command["processed"], command["ok"]) == (99.0, True)
    broken = sampler(tmp_path, source="command", backlog_command="echo 1", failed_command="echo 0",
                     processed_command="exit 4").sample(2)
    assert broken["backlog"] == 1.0 and broken["processed"] is None and broken["ok"] is False
    assert "processed command exited 4" in broken["error"]
    scraped = sampler(tmp_path, source="prometheus", metrics_url=metrics_url, headers={"X-Token": "t0k3n"},
                      backlog_metric="app_pending", failed_metric="app_failed",
                      processed_metric="app_processed_total").sample(3)
    assert (scraped["backlog"], scraped["failed"], scraped["processed"]) == (7.0, 1.0, 812.0)


def test_each_source_needs_its_settings(tmp_path):
    with pytest.raises(ValidationError, match="source 'sql' needs dsn, backlog_query, failed_query"):
        sampler(tmp_path, source="sql")
    with pytest.raises(ValidationError, match="source 'prometheus' needs metrics_url"):
        sampler(tmp_path, source="prometheus", backlog_metric="a", failed_metric="b")


def test_the_backlog_kind_runs_as_a_sampler_process(tmp_path):
    evidence = tmp_path / "ha_drill_20261128_test_01"
    evidence.mkdir()
    counter = tmp_path / "count"
    counter.write_text("0")
    # Every reading adds one: the samples must show a growing backlog, in order.
    command = f"n=$(cat {counter}); n=$((n+1)); echo $n > {counter}; echo $n"
    spec = SamplerSpec(name="backlog", kind="backlog", evidence_dir=str(evidence), interval_seconds=0.1,
                       max_duration_seconds=30, concurrency=1,
                       config={"source": "command", "backlog_command": command, "failed_command": "echo 0"})
    launcher.start(spec)
    time.sleep(1.0)
    meta = launcher.stop(evidence, "backlog")
    samples = list(read_lines(evidence / "samples" / "backlog.jsonl"))
    assert meta["samples"] == len(samples) >= 5 and meta["errors"] == 0
    assert [item["backlog"] for item in samples] == [float(n) for n in range(1, len(samples) + 1)]
    assert all(item["failed"] == 0.0 and item["ok"] for item in samples)
    assert [item["mono"] for item in samples] == sorted(item["mono"] for item in samples)
