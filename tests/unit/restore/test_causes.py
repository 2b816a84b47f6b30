"""Failure messages quote the line that names the cause (hadrill.causes), on real output: a
Python traceback from a failing command, a PostgreSQL server log (the integration suite adds a
real FATAL from a restored instance started with a bad setting)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from hadrill.causes import cause_line, explain, postgres_cause, traceback_cause
from hadrill.scenarios.rollback.startup import judge

SOURCE = Path(__file__).resolve().parents[3] / "collection/plugins/plugin_utils/failure.py"
spec = importlib.util.spec_from_file_location("hadrill_failure_for_causes", SOURCE)
failure = importlib.util.module_from_spec(spec)
spec.loader.exec_module(failure)


def failing(code: str) -> str:
    """The standard error of a real Python command that fails."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    return proc.stderr


def test_the_cause_of_a_real_traceback_is_its_exception_line():
    stderr = failing("import json\ndef load(text):\n    return json.loads(text)\nload('{not json')")
    assert stderr.startswith("Traceback (most recent call last):")
    assert cause_line(stderr) == stderr.strip().splitlines()[-1]
    assert cause_line(stderr).startswith("json.decoder.JSONDecodeError: Expecting property name")


def test_chained_exceptions_name_the_last_one():
    stderr = failing("try:\n    {}['missing']\nexcept KeyError as exc:\n    raise RuntimeError('config incomplete') from exc")
    assert "KeyError: 'missing'" in stderr
    assert traceback_cause(stderr) == "RuntimeError: config incomplete"


def test_a_traceback_in_a_log_with_lines_after_it():
    stderr = failing("raise SystemExit(__import__('os').strerror(98)) if False else int('x')")
    log = "INFO starting api on :8080\n" + stderr + "INFO shutting down\n"
    assert cause_line(log) == "ValueError: invalid literal for int() with base 10: 'x'"


def test_a_truncated_traceback_names_no_cause():
    assert traceback_cause('Traceback (most recent call last):\n  File "x.py", line 1, in <module>\n') is None
    assert cause_line("plain failure\nsecond line") is None


def test_the_postgres_cause_is_the_servers_own_last_fatal_line():
    log = "\n".join([
        "2026-11-28 02:07:04.205 UTC [17807] hadrill_admin@memstore FATAL:  the database system is starting up",
        "2026-11-28 02:07:16.978 UTC [17806] LOG:  redo done at 0/300004F8",
        "2026-11-28 02:07:16.978 UTC [17806] FATAL:  recovery ended before configured recovery target was reached",
        "2026-11-28 02:07:16.994 UTC [17801] LOG:  startup process (PID 17806) exited with exit code 1",
    ])
    assert postgres_cause(log) == "FATAL:  recovery ended before configured recovery target was reached"
    assert cause_line(log) == postgres_cause(log)
    assert postgres_cause("2026 [1] x FATAL:  the database system is starting up\nLOG: ok") is None
    assert postgres_cause("2026 [1] PANIC:  could not locate a valid checkpoint record") == \
        "PANIC:  could not locate a valid checkpoint record"


def test_a_message_quoting_the_first_line_of_a_traceback_gets_the_cause_instead():
    stderr = failing("import os\nos.stat('/nonexistent/hadrill-release/config.toml')")
    cause = stderr.strip().splitlines()[-1]
    assert explain("startup contract failure: release v2 on api-1: Traceback (most recent call last):", stderr) == \
        f"startup contract failure: release v2 on api-1: {cause}"
    assert explain("process api exited at start with code 1", stderr) == f"process api exited at start with code 1: {cause}"
    assert explain(f"already says {cause}", stderr) == f"already says {cause}"


def test_the_rollback_startup_contract_names_the_exception_not_the_traceback_header():
    stderr = failing("import sqlite3\nsqlite3.connect('/nonexistent/dir/db.sqlite')")
    verdict, _ = judge(host="api-1", release="v0.2.2", ready=False, health_status=None,
                       logs_before={"stderr": "old line\n"}, logs_after={"stderr": "old line\n" + stderr},
                       patterns=[r"Traceback", r"Error"])
    assert verdict.matched[0] == "Traceback (most recent call last):"
    assert verdict.reason == f"startup contract failure: release v0.2.2 on api-1: {stderr.strip().splitlines()[-1]}"
    assert "sqlite3.OperationalError: unable to open database file" in verdict.reason


def test_a_failed_commands_reason_quotes_the_cause_from_its_output():
    stderr = failing("import json; json.loads('[1,')")
    reason = failure.failure_message({"failed": True, "msg": "non-zero return code", "rc": 1, "stderr": stderr})
    assert reason == "non-zero return code: " + stderr.strip().splitlines()[-1]
    assert failure.failure_message({"failed": True, "msg": "two\nlines"}) == "two\nlines"
