"""The worker's rehearsal faults: parsed strictly, re-read while the worker runs."""

from __future__ import annotations

import os

import pytest

from memstore.cli import _worker_options, build_parser
from memstore.worker import FaultFile, WorkerFaults, parse_worker_faults


def test_faults_are_parsed_strictly():
    assert parse_worker_faults("") == WorkerFaults()
    assert parse_worker_faults('{"event_delay_seconds": 0.2, "stop_delay_seconds": 3}') == \
        WorkerFaults(event_delay_seconds=0.2, stop_delay_seconds=3.0)
    for bad, message in (('{"event_delay": 1}', "unknown keys"), ('{"start_delay_seconds": -1}', ">= 0"),
                         ('{"start_delay_seconds": true}', ">= 0"), ("[1]", "JSON object")):
        with pytest.raises(ValueError, match=message):
            parse_worker_faults(bad)


def test_the_fault_file_is_re_read_when_it_changes(tmp_path):
    path = tmp_path / "faults.json"
    faults = FaultFile(str(path))
    assert faults.current() == WorkerFaults()
    path.write_text('{"start_delay_seconds": 3}')
    assert faults.current().start_delay_seconds == 3.0
    path.write_text('{"start_delay_seconds": 1.5, "event_delay_seconds": 0.1}')
    os.utime(path, ns=(1, 2))  # a rewrite within the same mtime tick still changes the size or time
    assert faults.current() == WorkerFaults(event_delay_seconds=0.1, start_delay_seconds=1.5)
    path.write_text("not json")
    assert faults.current() == WorkerFaults()  # invalid: no fault (logged)
    path.unlink()
    assert faults.current() == WorkerFaults()
    assert FaultFile(None).current() == WorkerFaults()


def test_the_cli_passes_the_fault_file_from_the_environment():
    args = build_parser().parse_args(["worker"])
    assert _worker_options(args, {}).fault_file is None
    assert _worker_options(args, {"MEMSTORE_WORKER_FAULT_FILE": "/x/faults.json"}).fault_file == "/x/faults.json"
