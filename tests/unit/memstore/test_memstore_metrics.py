"""Prometheus text rendering."""

from __future__ import annotations

import threading

from memstore.metrics import MetricFamily, StatusCounter, format_value, render


def test_render_families() -> None:
    text = render([
        MetricFamily("memstore_release_info", "gauge", "Release.", [({"version": "v0.2.2"}, 1.0)]),
        MetricFamily("memstore_outbox_pending", "gauge", "Backlog.", [({}, 12.0)]),
    ])
    assert text == (
        "# HELP memstore_release_info Release.\n"
        "# TYPE memstore_release_info gauge\n"
        'memstore_release_info{version="v0.2.2"} 1\n'
        "# HELP memstore_outbox_pending Backlog.\n"
        "# TYPE memstore_outbox_pending gauge\n"
        "memstore_outbox_pending 12\n"
    )


def test_label_escaping_and_values() -> None:
    text = render([MetricFamily("m", "gauge", "multi\nline", [({"b": 'x"y\\z\n', "a": "1"}, 0.25)])])
    assert '# HELP m multi\\nline' in text
    assert 'm{a="1",b="x\\"y\\\\z\\n"} 0.25' in text
    assert format_value(float("nan")) == "NaN"
    assert format_value(float("inf")) == "+Inf"
    assert format_value(3.0) == "3"


def test_status_counter_threads() -> None:
    counter = StatusCounter()

    def hammer() -> None:
        for _ in range(1000):
            counter.inc(200)
        counter.inc(500)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter.snapshot() == {200: 4000, 500: 4}
    assert render([counter.family()]).splitlines()[2:] == [
        'memstore_http_requests_total{status="200"} 4000',
        'memstore_http_requests_total{status="500"} 4',
    ]
