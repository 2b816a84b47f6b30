"""The shared sampler mechanism, run for real: a process, a local HTTP server, bounded waits."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hadrill.events import read_lines
from hadrill.samplers import launcher
from hadrill.samplers.spec import SamplerSpec


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server API
        status = 500 if self.path.startswith("/boom") else 200
        body = json.dumps({"id": 7}).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_http_probe_records_every_request_until_stopped(tmp_path, server):
    evidence = tmp_path / "ha_drill_20261128_test_01"
    evidence.mkdir()
    spec = SamplerSpec(
        name="probe", kind="http_probe", evidence_dir=str(evidence), interval_seconds=0.02, max_duration_seconds=30,
        config={"base_url": server, "requests": [
            {"name": "ok", "path": "/ok", "weight": 3, "capture": {"id": "id"}},
            {"name": "boom", "path": "/boom", "weight": 1},
        ]},
    )
    pid = launcher.start(spec)
    assert launcher.running(evidence) == [("probe", pid)]
    time.sleep(1.0)
    meta = launcher.stop(evidence, "probe")
    assert launcher.running(evidence) == []
    samples = list(read_lines(evidence / "samples" / "probe.jsonl"))
    assert meta["samples"] == len(samples) >= 30
    assert meta["stop_reason"] == "stopped" and not meta["killed"]
    assert {item["request"] for item in samples} == {"ok", "boom"}
    assert all(item["ok"] == (item["request"] == "ok") for item in samples)
    assert all(item["captured"] == {"id": 7} for item in samples if item["request"] == "ok")
    assert [item["seq"] for item in sorted(samples, key=lambda item: item["seq"])] == list(range(len(samples)))


def test_sampler_stops_by_itself_at_its_time_bound(tmp_path, server):
    evidence = tmp_path / "ha_drill_20261128_test_02"
    evidence.mkdir()
    spec = SamplerSpec(name="short", kind="http_probe", evidence_dir=str(evidence), interval_seconds=0.05,
                       max_duration_seconds=0.5, config={"base_url": server, "requests": [{"name": "ok", "path": "/"}]})
    launcher.start(spec)
    deadline = time.monotonic() + 10
    while launcher.running(evidence) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert launcher.running(evidence) == []
    assert json.loads((evidence / "samples" / "short.meta.json").read_text())["stop_reason"] == "max_duration"


def test_a_bad_sampler_config_fails_at_start_with_the_field_named(tmp_path):
    evidence = tmp_path / "ha_drill_20261128_test_03"
    evidence.mkdir()
    spec = SamplerSpec(name="bad", kind="http_probe", evidence_dir=str(evidence), config={"requests": []})
    with pytest.raises(launcher.SamplerError, match="base_url"):
        launcher.start(spec)
