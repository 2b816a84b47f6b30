"""Issue 15.3: the interruption campaign's CI subset once on the multi-host sandbox. The controller
is interrupted (SIGKILL of its whole process group, SIGINT, SIGTERM) in the middle of each scenario;
`hadrill recover -i inventories/hosts-sandbox` (only the inventory: the journal is on the target
database) or the drill itself undoes what it changed, and every host is back at baseline: nothing
of the drill left on any host (no verification instance or API, no work directory, no command of
the killed controller still running there), every replica serving and UP, the journal closed, no
acknowledged write lost. The interruption and recovery are the campaign's own (one way to do it).
"""

from __future__ import annotations

import json
import subprocess

import psycopg
import pytest

from hadrill import journal
from hadrill.events import read_lines
from tests.integration.campaign.test_interruption_campaign import (
    BIN, CI_SUBSET, acknowledged_ids, interrupt, processes_matching, recover,
)
from tests.integration.hosts.conftest import assert_at_baseline

pytestmark = [pytest.mark.integration, pytest.mark.hosts]


@pytest.mark.parametrize("scenario,phase,name", sorted(CI_SUBSET), ids=lambda value: str(value))
def test_a_killed_or_stopped_controller_leaves_nothing_behind_on_any_host(hosts_sandbox, tmp_path, scenario, phase, name):
    releases_before = {host: hosts_sandbox.release(host) for host in hosts_sandbox.group("api")}
    outcome = interrupt(hosts_sandbox, tmp_path, scenario, phase, name)
    if name == "SIGKILL" or journal.open_entries(outcome.bundle):
        result = recover(hosts_sandbox)
        assert result.returncode == 0, result.stdout + result.stderr
    assert (outcome.bundle / "MANIFEST.sha256").exists(), "the interrupted bundle was not sealed"
    summary = json.loads((outcome.bundle / "summary.json").read_text())
    assert summary["run_status"] in {"interrupted", "stopped", "completed"}
    assert_at_baseline(hosts_sandbox, releases_before)
    assert journal.open_entries(outcome.bundle) == []
    # The controller's side: no sampler of this drill, no orphaned ansible worker.
    assert [item for item in processes_matching("hadrill.samplers") if str(tmp_path) in item] == []
    assert processes_matching("drill.yml", orphans_only=True) == [], "an orphaned ansible worker is still running"
    # What the drill wrote lands in a scope of its own, which its cleanup (drill_cleanup, journaled
    # before the first write and undone by the drill or by recovery) removes: then nothing of it may
    # be left; without a cleanup, no acknowledged write may be lost.
    ids = acknowledged_ids(outcome.bundle)
    cleaned = any(item.get("id", "").startswith("cleanup-") for item in read_lines(outcome.bundle / "journal.jsonl"))
    if ids:
        with psycopg.connect(hosts_sandbox.db_admin_dsn) as connection:
            found = {row[0] for row in connection.execute("select id from memories where id = any(%s)", (list(ids),))}
        if cleaned:
            assert found == set(), f"the drill's writes were not cleaned up: {sorted(found)[:10]}"
        else:
            assert ids <= found, f"acknowledged writes lost: {sorted(ids - found)[:10]}"
    verified = subprocess.run([str(BIN / "hadrill"), "verify", str(outcome.bundle)], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
