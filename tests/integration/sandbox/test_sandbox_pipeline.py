"""Write -> outbox -> worker -> recall through the real sandbox (HAProxy, two APIs, one worker)."""

from __future__ import annotations

import time

import pytest

from tests.support.wait import wait_until

pytestmark = pytest.mark.integration

RECALL_TIMEOUT = 30  # seconds for the worker to index a write
PENDING = "memstore_outbox_pending"
FAILED = "memstore_outbox_failed"


def test_backends_are_up_behind_the_load_balancer(sandbox):
    assert sandbox.get(sandbox.facts["api_health_path"]).status == 200
    for host, url in sandbox.api_urls.items():
        health = sandbox.get(sandbox.facts["api_health_path"], base=url)
        assert health.status == 200, (host, health)
        assert health.body["release"] == sandbox.facts["current_release"] or health.body["release"]


def test_write_through_the_load_balancer_is_recalled_once_the_worker_ran(sandbox):
    token = sandbox.token("pipeline")
    written = sandbox.write(token)
    assert written.status in (200, 201), written
    assert isinstance(written.body.get("id"), int), written
    wait_until(lambda: sandbox.recalled(token), timeout=RECALL_TIMEOUT, interval=0.2,
               what=f"recall of {token}")


def test_paused_worker_leaves_writes_pending_and_drains_after_resume(sandbox):
    worker = sandbox.worker_program
    writes = 5
    try:
        baseline = sandbox.metrics()
        assert PENDING in baseline and FAILED in baseline, sorted(baseline)
        sandbox.supervisorctl("stop", worker, check=True)
        assert sandbox.program_states()[worker] == "STOPPED"

        token = sandbox.token("paused")
        for _ in range(writes):
            assert sandbox.write(token).status in (200, 201)
        # Nothing indexes while the worker is stopped: not recallable, and the backlog grows.
        pending = wait_until(lambda: sandbox.metrics()[PENDING] >= baseline[PENDING] + writes or None,
                             timeout=10, interval=0.2, what="the pending gauge to grow")
        assert pending
        time.sleep(1.0)
        assert not sandbox.recalled(token), "recalled although the worker is stopped"
        assert sandbox.metrics()[PENDING] >= writes

        sandbox.supervisorctl("start", worker, check=True)
        wait_until(lambda: sandbox.recalled(token), timeout=RECALL_TIMEOUT, interval=0.2,
                   what=f"recall of {token} after the worker resumed")
        drained = wait_until(lambda: sandbox.metrics()[PENDING] == 0 or None, timeout=RECALL_TIMEOUT,
                             interval=0.2, what="the backlog to drain")
        assert drained
        assert sandbox.metrics()[FAILED] <= baseline[FAILED]
    finally:
        sandbox.ensure_running(worker)
