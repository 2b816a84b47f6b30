"""Windowed error rate, percentiles, the baseline envelope, recovery and restart attribution."""

from __future__ import annotations

import pytest

from hadrill.scenarios.rollback.analysis import (
    Request,
    RequestLog,
    SwitchWindow,
    WindowStats,
    envelope_upper,
    percentile,
    recovery_seconds,
    requests_from_samples,
    restart_failures,
)


def traffic(start: float, end: float, rate: float, failing=lambda t: False, status_of=lambda t: 500,
            latency=lambda t: 10.0) -> list[Request]:
    """One request every 1/rate seconds in [start, end); failing(t) decides its fate."""
    found, t = [], start
    while t < end - 1e-9:
        bad = failing(t)
        found.append(Request(t=round(t, 6), ok=not bad, status=status_of(t) if bad else 200, latency_ms=latency(t)))
        t += 1.0 / rate
    return found


def test_percentile_interpolates_like_numpy():
    assert percentile([], 95) is None
    assert percentile([5.0], 95) == 5.0
    values = list(range(1, 101))
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile([1, 2, 3, 4], 0) == 1 and percentile([1, 2, 3, 4], 100) == 4


def test_samples_become_requests_at_their_send_time():
    samples = [
        {"seq": 1, "mono": 10.5, "sent_mono": 10.0, "ok": True, "status": 200, "latency_ms": 500.0},
        {"seq": 0, "mono": 9.9, "sent_mono": 9.0, "ok": False, "status": None, "latency_ms": 900.0},
        {"seq": 2, "mono": 11.0, "ok": False, "error": "RuntimeError: boom"},  # sampler-level failure
        {"seq": 3, "ok": True},  # no time at all: ignored
    ]
    requests = requests_from_samples(samples)
    assert [item.t for item in requests] == [9.0, 10.0, 11.0]
    assert requests[0].status is None and requests[0].done == pytest.approx(9.9)
    assert requests[2].latency_ms is None and not requests[2].ok


def test_window_stats_are_half_open():
    log = RequestLog(traffic(0.0, 10.0, 10, failing=lambda t: 2.0 <= t < 3.0))
    window = log.stats(2.0, 3.0)
    assert (window.requests, window.failed, window.error_rate) == (10, 10, 1.0)
    assert log.stats(3.0, 4.0).failed == 0
    assert log.stats(20.0, 30.0).error_rate is None
    series = log.trailing_series(0.0, 10.0, window=2.0, step=1.0)
    assert [round(item.end, 3) for item in series] == [float(n) for n in range(1, 11)]
    assert series[0].requests == 10 and series[2].failed == 10 and series[3].failed == 10 and series[4].failed == 0


def test_envelope_is_baseline_plus_margin():
    baseline = WindowStats(0, 10, requests=200, failed=2, p50_ms=5, p95_ms=9)
    assert envelope_upper(baseline, 0.01) == pytest.approx(0.02)
    assert envelope_upper(WindowStats(0, 1, 0, 0, None, None), 0.01) is None


def test_recovery_is_zero_when_errors_stopped_before_the_restore():
    log = RequestLog(traffic(0.0, 40.0, 20, failing=lambda t: 10.0 <= t < 15.0))
    assert recovery_seconds(log, restored=18.0, end=40.0, window=3.0, upper=0.0, step=0.3) == 0.0


def test_recovery_is_the_time_from_restore_to_the_last_bad_window_start():
    # errors keep coming until t=25 although the restore was at t=20
    log = RequestLog(traffic(0.0, 50.0, 20, failing=lambda t: 10.0 <= t < 25.0))
    seconds = recovery_seconds(log, restored=20.0, end=50.0, window=3.0, upper=0.0, step=0.3)
    assert seconds == pytest.approx(5.1, abs=0.31)  # first clean window starts just after t=25


def test_one_late_error_inside_the_envelope_does_not_count():
    late_error = lambda t: abs(t - 30.0) < 1e-6  # noqa: E731 - one failed request at t=30
    log = RequestLog(traffic(0.0, 50.0, 20, failing=late_error))
    assert recovery_seconds(log, restored=20.0, end=50.0, window=3.0, upper=0.05, step=0.3) == 0.0
    # with a zero envelope it does: recovery waits until the window no longer holds it
    assert recovery_seconds(log, restored=20.0, end=50.0, window=3.0, upper=0.0, step=0.3) == pytest.approx(10.2, abs=0.31)


def test_no_recovery_when_the_last_window_is_still_bad_or_none_fits():
    log = RequestLog(traffic(0.0, 30.0, 20, failing=lambda t: t >= 25.0))
    assert recovery_seconds(log, restored=20.0, end=30.0, window=3.0, upper=0.0, step=0.3) is None
    assert recovery_seconds(log, restored=29.0, end=30.0, window=3.0, upper=0.0, step=0.3) is None


def test_empty_windows_are_not_recovered():
    log = RequestLog(traffic(0.0, 20.0, 10) + traffic(30.0, 40.0, 10))  # the probe stalled from 20 to 30
    seconds = recovery_seconds(log, restored=15.0, end=40.0, window=2.0, upper=0.0, step=0.5)
    # [28.0, 30.0) is the last window without a request; from [28.5, 30.5) on every window holds some
    assert seconds == pytest.approx(13.5)


def test_restart_failures_are_connection_and_proxy_errors_inside_switch_windows():
    requests = [
        Request(t=1.0, ok=False, status=None, latency_ms=5.0),     # connection error in window
        Request(t=1.5, ok=False, status=503, latency_ms=5.0),      # LB 503 in window
        Request(t=1.6, ok=False, status=500, latency_ms=5.0),      # app error in window: not a restart failure
        Request(t=0.9, ok=False, status=502, latency_ms=200.0),    # sent before, still in flight at the drain
        Request(t=5.0, ok=False, status=503, latency_ms=5.0),      # outside every window
        Request(t=1.2, ok=True, status=200, latency_ms=5.0),
    ]
    windows = [SwitchWindow("api-1", "candidate", 1.0, 2.0), SwitchWindow("api-2", "align", 8.0, 9.0)]
    found = restart_failures(RequestLog(requests), windows, [502, 503, 504])
    assert [(request.t, window.host) for request, window in found] == [(0.9, "api-1"), (1.0, "api-1"), (1.5, "api-1")]
