"""The one-line failure reason used by the timer callback and the roles' rescue sections."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[3] / "collection/plugins/plugin_utils/failure.py"
spec = importlib.util.spec_from_file_location("hadrill_failure_under_test", SOURCE)
failure = importlib.util.module_from_spec(spec)
spec.loader.exec_module(failure)


def test_a_plain_failure_gives_its_message():
    assert failure.failure_message({"failed": True, "msg": "port 55433 in use"}) == "port 55433 in use"


def test_stderr_when_there_is_no_message():
    assert failure.failure_message({"failed": True, "stderr": "psql: connection refused\n"}) == "psql: connection refused"


def test_a_failed_loop_names_the_failed_items_and_their_reasons():
    result = {
        "failed": True,
        "msg": "One or more items failed",
        "results": [
            {"failed": False, "item": {"name": "worker"}, "msg": "ok"},
            {"failed": True, "item": {"name": "api"}, "_ansible_item_label": {"name": "api"},
             "msg": "process api could not start: PermissionError: [Errno 13]"},
            {"failed": True, "item": "second", "msg": "exited at start with code 3"},
        ],
    }
    assert failure.failure_message(result) == (
        "api: process api could not start: PermissionError: [Errno 13]; second: exited at start with code 3"
    )


def test_no_log_hides_the_message_of_the_task_and_of_items():
    assert failure.failure_message({"failed": True, "msg": "secret", "_ansible_no_log": True}) == "(output hidden by no_log)"
    looped = {"msg": "One or more items failed",
              "results": [{"failed": True, "item": "x", "msg": "secret", "_ansible_no_log": True}]}
    assert failure.failure_message(looped) == "x: (output hidden by no_log)"


def test_the_default_when_nothing_says_why():
    assert failure.failure_message({"failed": True}) == "a task failed"
    assert failure.failure_message({"failed": True}, "failed") == "failed"
    assert failure.failure_message(None) == "a task failed"
