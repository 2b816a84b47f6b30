"""Issue 15.2 and 15.5: the three scenarios over SSH with become on the multi-host sandbox, run as
`ansible-playbook playbooks/drill.yml -i inventories/hosts-sandbox`, and every task ran on the host
the inventory names: the events' `delegated_to` against where the test itself saw each effect
appear (EffectWatch: the network namespace of each process, each host's release link, the load
balancer's state).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hadrill.events import read_lines
from tests.integration.hosts.conftest import assert_at_baseline
from tests.integration.hosts.effects import EffectWatch
from tests.support.drill import ansible_playbook, drill_env

pytestmark = [pytest.mark.integration, pytest.mark.hosts]


@pytest.fixture(scope="module")
def drill(hosts_sandbox, tmp_path_factory):
    """One three-scenario drill, watched; its bundle, the watch and the releases before it."""
    evidence_root = tmp_path_factory.mktemp("hosts-drill")
    releases_before = {host: hosts_sandbox.release(host) for host in hosts_sandbox.group("api")}
    watch = EffectWatch(hosts_sandbox).start()
    try:
        run = ansible_playbook("playbooks/drill.yml", *hosts_sandbox.inventory_args,
                               env=drill_env(evidence_root), timeout=1200)
    finally:
        watch.stop()
    bundles = sorted(evidence_root.glob("ha_drill_*"))
    assert run.returncode == 0 and bundles, f"the drill failed (rc {run.returncode}):\n{run.stdout[-6000:]}{run.stderr[-2000:]}"
    return bundles[-1], watch, releases_before


def tasks(bundle: Path) -> list[dict]:
    return [item for item in read_lines(bundle / "events.jsonl") if item.get("event") == "task"]


def ran_on(bundle: Path, name_part: str, *, changed: bool | None = None) -> set[str]:
    """The hosts the successful tasks whose name holds ``name_part`` were delegated to (only those
    that changed something, or nothing, when ``changed`` is given)."""
    found = set()
    for item in tasks(bundle):
        if (name_part in item["task"] and item["status"] == "ok" and item.get("delegated_to")
                and (changed is None or item.get("changed") == changed)):
            found.update(part.strip() for part in item["delegated_to"].split(","))
    return found


PLATFORM = "Run the operation through the platform adapter of"


def test_the_three_scenarios_pass_over_ssh_and_leave_the_hosts_at_baseline(drill, hosts_sandbox):
    bundle, watch, releases_before = drill
    summary = json.loads((bundle / "summary.json").read_text())
    assert summary["result"] == "pass", summary.get("result_reasons")
    assert {name: item["outcome"] for name, item in summary["scenarios"].items()} == {
        "restore": "pass", "rollback": "pass", "replay": "pass"}
    assert watch.samples > 100, "the test's own watch hardly sampled"
    assert_at_baseline(hosts_sandbox, releases_before)


def test_every_delegated_task_names_an_inventory_host(drill, hosts_sandbox):
    bundle, _, _ = drill
    known = set(hosts_sandbox.hosts) | {"localhost"}
    delegated = [item for item in tasks(bundle) if item.get("delegated_to")]
    assert len(delegated) > 30
    unknown = {item["delegated_to"] for item in delegated
               if not {part.strip() for part in item["delegated_to"].split(",")} <= known}
    assert unknown == set(), f"tasks delegated to what is not an inventory host: {unknown}"
    # Nothing of a drill runs on the repository host: pgBackRest reaches it on its own, over SSH.
    assert not any("backup-1" in item["delegated_to"] for item in delegated)


def test_the_restore_ran_on_the_database_host_and_read_the_repository_on_its_host(drill, hosts_sandbox):
    bundle, watch, _ = drill
    db, api = hosts_sandbox.facts["restore"]["host"], hosts_sandbox.facts["restore"]["api_host"]
    repository = hosts_sandbox.group("backup_repo")
    assert ran_on(bundle, "Restore into the verification instance") == {db}
    assert watch.seen["pgbackrest restore"] == {db}
    assert watch.seen["verification instance"] == {db}, "the restored copy ran elsewhere than on the database host"
    assert watch.seen["pgbackrest repository remote"] == set(repository), \
        "pgBackRest did not read the repository on the repository host"
    assert ran_on(bundle, "Start the verification processes against the restored copy") == {api}
    assert watch.seen["verification api"] == {api} and watch.seen["verification worker"] == {api}


def test_the_rollback_switched_releases_and_drained_servers_where_its_tasks_ran(drill, hosts_sandbox):
    bundle, watch, _ = drill
    lb = hosts_sandbox.group("lb")
    # The platform operations that changed something on an API host are its deploys (reads do not).
    switched = ran_on(bundle, PLATFORM, changed=True) & set(hosts_sandbox.group("api"))
    assert switched, "no deploy recorded on an API host"
    assert watch.moved_links() == switched, (watch.links, switched)
    assert ran_on(bundle, PLATFORM, changed=True) - switched == set(hosts_sandbox.group("worker"))
    assert ran_on(bundle, "Drain the host and wait for its last request") == set(lb)
    assert ran_on(bundle, "Put the host back into rotation") == set(lb)
    drained = {server for server, statuses in watch.lb.items() if "MAINT" in statuses}
    assert drained == switched, (dict(watch.lb), switched)
    restarted = {host for host, programs in watch.stopped.items() if programs & set(hosts_sandbox.group("api"))}
    assert restarted <= switched


def test_the_worker_paused_and_the_gates_ran_where_their_tasks_ran(drill, hosts_sandbox):
    bundle, watch, _ = drill
    worker = hosts_sandbox.group("worker")
    # The worker's stop and start are platform operations that changed something, on worker-1 only.
    assert ran_on(bundle, PLATFORM, changed=True) & set(hosts_sandbox.group("worker")) == set(worker)
    assert {host for host, programs in watch.stopped.items() if any(p.startswith("worker") for p in programs)} == set(worker)
    gates = ran_on(bundle, "Run each validation command") | ran_on(bundle, "Run the post-recovery gates")
    assert gates == set(worker)
    assert watch.seen["validation gate"] == set(worker)
    # Nothing but the database host's primary and its copy ever ran PostgreSQL.
    assert not watch.stopped.get(hosts_sandbox.facts["restore"]["host"])
