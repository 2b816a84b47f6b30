"""Startup contract: only log output written after the switch counts; health or a failure line breaks it."""

from __future__ import annotations

from hadrill.scenarios.rollback.startup import judge, log_delta, matching_lines

PATTERNS = ["^STARTUP CONTRACT FAILURE:"]
OLD = "".join(f'{{"event":"access","n":{n}}}\n' for n in range(200))


def test_delta_is_what_follows_the_end_of_the_first_read():
    after = OLD[1000:] + "stopping\nstarted\n"
    assert log_delta(OLD, after) == ("stopping\nstarted\n", True)


def test_without_overlap_everything_counts_and_says_so():
    assert log_delta(OLD, "fresh\n") == ("fresh\n", False)
    assert log_delta("", "fresh\n") == ("fresh\n", True)


def test_an_old_failure_in_the_tail_does_not_count():
    before = "STARTUP CONTRACT FAILURE: old\n" + OLD
    after = before[-3000:] + '{"event":"api.started"}\n'
    verdict, deltas = judge(host="api-1", release="v1", ready=True, health_status=200,
                            logs_before={"stderr": before}, logs_after={"stderr": after}, patterns=PATTERNS)
    assert verdict.passed and deltas == {"stderr": '{"event":"api.started"}\n'}
    assert verdict.reason == "" and verdict.cause == ""


def test_a_new_failure_line_breaks_the_contract_even_when_healthy():
    after = OLD + "STARTUP CONTRACT FAILURE: release v1 supports [1, 2], database at 3\n"
    verdict, _ = judge(host="api-1", release="v1", ready=True, health_status=200,
                       logs_before={"stderr": OLD, "stdout": ""}, logs_after={"stderr": after, "stdout": "hello\n"},
                       patterns=PATTERNS)
    assert not verdict.passed
    assert verdict.reason == ("startup contract failure: release v1 on api-1: "
                              "STARTUP CONTRACT FAILURE: release v1 supports [1, 2], database at 3")


def test_no_health_is_a_failure_with_the_last_answer():
    verdict, _ = judge(host="api-2", release="v1", ready=False, health_status=None, logs_before={},
                       logs_after={}, patterns=PATTERNS, waited_seconds=20)
    assert verdict.reason == ("startup contract failure: release v1 on api-2 did not become healthy within 20s "
                              "(last health check: no answer)")


def test_matching_lines_are_bounded_and_stripped():
    text = "\n".join(["  STARTUP CONTRACT FAILURE: x  "] * 50 + ["ok"])
    found = matching_lines(text, [r"STARTUP CONTRACT FAILURE"])
    assert len(found) == 20 and found[0] == "STARTUP CONTRACT FAILURE: x"
