"""Availability of the rollback drill: outages in the traffic, replicas down while the drill was not
switching them, the abort rule counting only what was sent once the candidate was observed."""

from __future__ import annotations

import http.server
import socket
import threading

import pytest

from hadrill.samplers.kinds.replica_watch import ReplicaWatch, parse_show_stat
from hadrill.samplers.spec import SamplerSpec
from hadrill.scenarios.rollback.analysis import (
    ReplicaSample,
    Request,
    RequestLog,
    SwitchWindow,
    drill_spans,
    longest_outage,
    outages,
    untouched_downs,
    untouched_runs,
)
from hadrill.scenarios.rollback.watch import AbortRule


def log_of(pattern: str, step: float = 0.1, start: float = 0.0) -> RequestLog:
    """'.' a success, 'x' a failure, one request every ``step`` seconds."""
    return RequestLog([Request(t=start + index * step, ok=char == ".", status=200 if char == "." else 503,
                               latency_ms=5.0) for index, char in enumerate(pattern)])


def test_an_outage_runs_from_the_first_failure_to_the_next_success():
    log = log_of("..xx...xxxxx..x.")
    found = outages(log, 0.0, 2.0)
    assert [(round(item.start, 3), round(item.end, 3), item.failed) for item in found] == [
        (0.2, 0.4, 2), (0.7, 1.2, 5), (1.4, 1.5, 1)]
    longest = longest_outage(log, 0.0, 2.0)
    assert longest is not None and longest.seconds == pytest.approx(0.5) and not longest.open


def test_an_outage_still_running_at_the_end_of_the_window_lasts_until_that_end():
    log = log_of("...xxxx")
    longest = longest_outage(log, 0.0, 1.0)
    assert longest.open and longest.seconds == pytest.approx(0.7) and longest.failed == 4


def test_only_requests_sent_inside_the_window_count():
    log = log_of("xxxx....xx..")
    assert longest_outage(log, 0.4, 1.2).seconds == pytest.approx(0.2)
    assert longest_outage(log_of("...."), 0.0, 1.0) is None


def test_a_canary_is_in_the_drills_hands_from_its_candidate_switch_to_its_rollback():
    windows = [SwitchWindow("api-1", "candidate", 10.0, 15.0), SwitchWindow("api-1", "rollback", 30.0, 36.0),
               SwitchWindow("api-2", "align", 37.0, 42.0)]
    assert drill_spans(windows, 60.0) == {"api-1": [(10.0, 36.0), (30.0, 36.0)], "api-2": [(37.0, 42.0)]}
    # a drill that failed before its rollback: the canary stays in its hands to the end
    assert drill_spans(windows[:1], 60.0) == {"api-1": [(10.0, 60.0)]}


def samples(host: str, pattern: str, *, start: float = 0.0, step: float = 0.25, lb: str = "") -> list[ReplicaSample]:
    """Per sample: '.' up, 'p' health check failed (load balancer UP), 'd' HAProxy DOWN and check
    failed, 'm' MAINT (health answers), 'D' DRAIN."""
    found = []
    for index, char in enumerate(pattern):
        status = {"d": "DOWN", "m": "MAINT", "D": "DRAIN"}.get(char, "UP")
        found.append(ReplicaSample(t=start + index * step, host=host, probe_ok=char in ".mD",
                                   lb_status=status if not lb else lb, error="" if char in ".mD" else "refused"))
    return found


def test_a_replica_down_while_another_is_switched_is_found_with_its_span():
    seen = {"api-1": samples("api-1", "....pppppppp...."),   # switched by the drill from 1.0 to 3.0
            "api-2": samples("api-2", "......ppdddd....")}   # never switched: down from 1.5 to 3.0
    spans = drill_spans([SwitchWindow("api-1", "rollback", 1.0, 3.0)], 10.0)
    (down,) = untouched_downs(seen, spans)
    assert down.host == "api-2" and down.start == 1.5 and down.end == 3.0 and down.recovered
    assert down.seconds == pytest.approx(1.5) and down.probe_failures == 6 and "DOWN" in down.lb_statuses
    assert down.errors == ("refused",)


def test_one_lost_health_check_is_not_an_outage_but_two_are_and_haproxy_down_is():
    spans: dict = {}
    assert untouched_downs({"api-2": samples("api-2", "...p...")}, spans) == []
    assert len(untouched_downs({"api-2": samples("api-2", "...pp..")}, spans)) == 1
    lb_down = [ReplicaSample(t=1.0, host="api-2", probe_ok=True, lb_status="DOWN 1/2")]
    assert len(untouched_downs({"api-2": lb_down}, spans)) == 1


def test_administrative_states_are_out_of_rotation_not_down():
    seen = {"api-2": samples("api-2", "..mmDD..")}
    assert untouched_downs(seen, {}) == []
    (out,) = untouched_runs(seen, {}, lambda sample: sample.lb_out)
    assert out.lb_statuses == ("MAINT", "DRAIN") and out.seconds == pytest.approx(1.0)


def test_a_down_run_cut_by_the_drill_taking_the_replica_in_hand_is_not_recovered():
    seen = {"api-2": samples("api-2", "..pppppp")}
    (down,) = untouched_downs(seen, {"api-2": [(1.2, 5.0)]})
    assert down.start == 0.5 and down.end == 1.0 and not down.recovered


def test_the_abort_rule_ignores_requests_sent_before_the_observation():
    rule = AbortRule(threshold=0.05, sustain=1.0, window=3.0, min_requests=10, since=10.0)
    # a burst of 503s sent (and answered) just before the observation, then a healthy candidate
    rule.feed([{"sent_mono": 9.0 + i * 0.05, "mono": 9.0 + i * 0.05 + 0.01, "ok": False} for i in range(20)])
    rule.feed([{"sent_mono": 10.0 + i * 0.05, "mono": 10.0 + i * 0.05 + 0.01, "ok": True} for i in range(60)])
    assert rule.ignored == 20
    assert not any(rule.evaluate(10.0 + step * 0.2).above for step in range(1, 15))
    blind = AbortRule(threshold=0.05, sustain=1.0, window=3.0, min_requests=10)
    blind.feed([{"sent_mono": 9.0 + i * 0.05, "mono": 9.0 + i * 0.05 + 0.01, "ok": False} for i in range(20)])
    blind.feed([{"sent_mono": 10.0 + i * 0.05, "mono": 10.0 + i * 0.05 + 0.01, "ok": True} for i in range(60)])
    assert any(blind.evaluate(10.0 + step * 0.2).fired for step in range(1, 15)), "without since the burst fires it"


SHOW_STAT = """# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight
api_in,FRONTEND,,,0,1,2048,5,0,0,0,0,0,,,,,OPEN,
api,api-1,0,0,0,1,,3,0,0,,0,,0,0,0,0,MAINT,1
api,api-2,0,0,0,1,,2,0,0,,0,,0,0,0,0,DOWN 1/2,1
api,BACKEND,0,0,0,1,205,5,0,0,0,0,,0,0,0,0,DOWN,0
other,api-1,0,0,0,1,,3,0,0,,0,,0,0,0,0,UP,1
"""


def test_show_stat_gives_the_status_of_each_server_of_the_backend():
    assert parse_show_stat(SHOW_STAT, "api") == {"api-1": "MAINT", "api-2": "DOWN 1/2"}
    with pytest.raises(ValueError):
        parse_show_stat("Unknown command\n", "api")


@pytest.fixture
def healthy_server():
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server interface
            self.send_response(200 if self.path == "/health" else 404)
            self.end_headers()

        def log_message(self, *args):
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_watch_asks_each_replica_itself(healthy_server, tmp_path):
    with socket.socket() as closed:  # a port nothing listens on: a replica that is down
        closed.bind(("127.0.0.1", 0))
        down_url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    spec = SamplerSpec(name="rollback_replicas", kind="replica_watch", evidence_dir=str(tmp_path), config={
        "replicas": [{"host": "api-1", "base_url": healthy_server}, {"host": "api-2", "base_url": down_url}],
        "haproxy_socket": str(tmp_path / "no-such.sock"), "haproxy_backend": "api"})
    records = ReplicaWatch(spec).sample(7)
    by_host = {item["host"]: item for item in records}
    assert by_host["api-1"]["ok"] is True and by_host["api-1"]["status"] == 200
    assert by_host["api-2"]["ok"] is False and by_host["api-2"]["error"]
    assert all(item["seq"] == 7 and item["sent_mono"] > 0 for item in records)
    # the load balancer could not be read: said in every record, never taken for a status
    assert all("lb_status" not in item and "FileNotFoundError" in item["lb_error"] for item in records)


def test_the_watch_reads_a_remote_load_balancer_from_its_statistics_page(tmp_path):
    """A load balancer on another host: HAProxy's statistics CSV over HTTP (haproxy_stats_url), the
    columns of `show stat`; the admin socket, a Unix socket of that host, is not used."""
    csv_page = ("# pxname,svname,qcur,status,weight\n"
                "api,FRONTEND,,OPEN,\napi,api-1,0,UP,1\napi,api-2,0,MAINT,1\napi,BACKEND,0,UP,2\n").encode()

    class Stats(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server interface
            ok = self.path == "/stats;csv"
            self.send_response(200 if ok else 404)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(csv_page if ok else b"")

        def log_message(self, *args):
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stats)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        spec = SamplerSpec(name="rollback_replicas", kind="replica_watch", evidence_dir=str(tmp_path), config={
            "replicas": [{"host": "api-1", "base_url": "http://127.0.0.1:9", "lb_server": "api-1"},
                         {"host": "api-2", "base_url": "http://127.0.0.1:9", "lb_server": "api-2"}],
            "haproxy_stats_url": f"http://127.0.0.1:{server.server_address[1]}/stats;csv",
            "haproxy_socket": str(tmp_path / "no-such.sock"), "haproxy_backend": "api"})
        records = {item["host"]: item for item in ReplicaWatch(spec).sample(1)}
    finally:
        server.shutdown()
        server.server_close()
    assert records["api-1"]["lb_status"] == "UP" and records["api-2"]["lb_status"] == "MAINT"
    assert all("lb_error" not in item for item in records.values())
