"""An interrupt of `hadrill run` stops the drill before it takes another step.

`hadrill run` answers an interrupt (SIGINT or SIGTERM) by cancelling ansible-runner, which kills
the controller's process group; recovery then undoes what the drill's journal holds open. Until
this test, ansible-runner looked at the cancellation only every 5 seconds (its default
``pexpect_timeout``, its wait for the playbook's output): an interrupt 3 s before the restore
scenario's warm-up ended let the drill go on to snapshot the primary, declare the incident and
restore (seen on the sandbox: the interrupt took effect after the verification instance had been
restored and started).

Here the interrupt comes ``BEFORE_END`` seconds before the warm-up ends, and nothing that the
inject phase records after it (the snapshot, the incident, the restore) may be in the bundle.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from hadrill.events import read_lines
from tests.support.drill import BIN, REPO, drill_env

pytestmark = pytest.mark.integration

WARMUP_SECONDS = 8
BEFORE_END = 3.0
# The last line `hadrill run` prints before the warm-up pause starts (the end of the prepare phase).
BEFORE_WARMUP = "Mark that the canary writer started"
AFTER_WARMUP = {"snapshot_taken", "incident", "restore_target", "restore_started"}


def test_an_interrupt_stops_the_drill_before_its_next_step(sandbox, tmp_path):
    process = subprocess.Popen(
        [str(BIN / "hadrill"), "run", *sandbox.inventory_args, "--scenario", "restore",
         "--evidence-root", str(tmp_path), "-e", f"db_restore_canary_warmup_seconds={WARMUP_SECONDS}",
         "-e", '{"validation_gates_commands": []}'],
        cwd=REPO, env=drill_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # the controller's own process group, as a terminal would give it
    )
    output: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:  # ends when the run does: bounded by the drill's own limits
            output.append(line)
            if BEFORE_WARMUP in line:
                break
        assert process.poll() is None, "the drill ended before its warm-up:\n" + "".join(output[-60:])
        time.sleep(WARMUP_SECONDS - BEFORE_END)
        os.killpg(process.pid, signal.SIGINT)
        rest, _ = process.communicate(timeout=600)
        output.append(rest)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
    text = "".join(output)
    bundles = sorted(path for path in tmp_path.glob("ha_drill_*") if path.is_dir())
    assert len(bundles) == 1, text[-3000:]
    markers = [item["name"] for item in read_lines(bundles[0] / "events.jsonl") if item.get("event") == "marker"]
    assert "canary_started" in markers, (markers, text[-3000:])  # the drill did reach its warm-up
    assert not AFTER_WARMUP & set(markers), (markers, text[-3000:])
    assert "the drill was interrupted before it finished" in text, text[-3000:]
