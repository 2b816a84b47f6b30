"""Waiting for one replica: healthy, and on the expected release when a release field is set."""

from __future__ import annotations

from hadrill.httpspec import HttpResult
from hadrill.scenarios.rollback.ready import wait_ready


def answers(*results):
    seen = []

    def sender(base_url, spec, default_headers=None):  # noqa: ARG001
        seen.append((spec, default_headers))
        return results[min(len(seen), len(results)) - 1]

    return sender, seen


def result(status, body=None, ok=None, captured=None):
    ok = status == 200 if ok is None else ok
    return HttpResult("health", status, ok, 0.01, None if ok else f"status {status}", captured or {}, body)


def test_healthy_on_the_expected_release():
    sender, seen = answers(result(503), result(200, captured={"release": "v0.1"}), result(200, captured={"release": "v1"}))
    outcome = wait_ready("http://x", "/health", timeout=5, interval=0.01, release_field="release", release="v1",
                         sender=sender)
    assert outcome.ready and outcome.attempts == 3 and outcome.release == "v1"
    assert seen[0][0].capture == {"release": "release"} and seen[0][0].path == "/health"


def test_without_a_release_field_any_healthy_answer_is_ready_and_the_drill_headers_are_sent():
    sender, seen = answers(result(200))
    assert wait_ready("http://x", "/h", timeout=1, sender=sender, headers={"X-Api-Key": "k"}).ready
    assert seen[0][1] == {"X-Api-Key": "k"}


def test_gives_up_after_the_timeout_with_the_last_reason():
    sender, _ = answers(result(200, captured={"release": "old"}))
    outcome = wait_ready("http://x", "/health", timeout=0.1, interval=0.02, release_field="release", release="new",
                         sender=sender)
    assert not outcome.ready and outcome.detail == "healthy but release='old', expected 'new'"
    down, _ = answers(HttpResult("health", None, False, 0.0, "ConnectionRefusedError: refused", {}, None))
    outcome = wait_ready("http://x", "/health", timeout=0.05, interval=0.02, sender=down)
    assert not outcome.ready and outcome.status is None and "refused" in outcome.detail
