"""A local webhook receiver for tests: the collection's test HTTP service
(collection/tests/integration/targets/setup_http_server/files/hadrill_test_http.py) on a free port
of 127.0.0.1. POST /hooks/<code> records the request and answers <code>; /hooks/sleep/<s>
answers after <s> seconds. It stops by itself after its lifetime."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVER = REPO / "collection" / "tests" / "integration" / "targets" / "setup_http_server" / "files" / "hadrill_test_http.py"


@dataclass
class Receiver:
    base_url: str
    state_dir: Path
    pid: int

    def requests(self) -> list[dict[str, Any]]:
        """What it received, in order: path, headers, body (text)."""
        path = self.state_dir / "requests.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def start_receiver(state_dir: Path, lifetime: float = 900.0) -> Receiver:
    state_dir.mkdir(parents=True, exist_ok=True)
    started = subprocess.run([sys.executable, str(SERVER), "--state-dir", str(state_dir), "--lifetime", str(lifetime)],
                             capture_output=True, text=True, check=True, timeout=30)
    found = json.loads(started.stdout)
    return Receiver(f"http://127.0.0.1:{found['port']}", state_dir, int(found["pid"]))


def stop_receiver(receiver: Receiver) -> None:
    try:
        os.kill(receiver.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


@pytest.fixture
def receiver(tmp_path) -> Iterator[Receiver]:
    started = start_receiver(tmp_path / "receiver")
    try:
        yield started
    finally:
        stop_receiver(started)
