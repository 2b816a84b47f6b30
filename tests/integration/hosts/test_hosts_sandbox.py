"""The multi-host sandbox's own playbook on a running sandbox: what it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.hosts.conftest import PLAYBOOK, run_playbook

pytestmark = [pytest.mark.integration, pytest.mark.hosts]


def test_a_bring_up_with_fewer_api_replicas_than_the_sandbox_has_is_refused_before_anything_changes(hosts_sandbox):
    """Hosts left out of the inventory would keep running outside it: the bring-up names them and
    stops before the first change."""
    built = Path(hosts_sandbox.facts["hosts_root"]) / "hosts.json"
    before = built.read_text()
    api = hosts_sandbox.group("api")
    assert len(api) > 1
    run = run_playbook(PLAYBOOK, timeout=300, replicas=1)
    assert run.returncode != 0
    assert f"was built with hosts this inventory does not have ({', '.join(api[1:])})" in run.output, run.tail()
    assert run.changed == 0, run.tail()
    assert built.read_text() == before
    assert set(json.loads(before)["hosts"]) == set(hosts_sandbox.hosts)
    assert hosts_sandbox.healthy()
