"""Issue 15.1, 15.2 and 15.5: the three scenarios over SSH with become on the multi-host sandbox, run
as `ansible-playbook playbooks/drill.yml -i inventories/hosts-sandbox`, and every task ran on the
host the inventory names: the events' `delegated_to` against where the test itself saw each effect
appear (EffectWatch: the network namespace of each process, each host's release link, the load
balancer's state).

The sandbox has six API replicas (conftest.TEST_REPLICAS) and the drill's rollback a canary slice
of two, so nothing assumes two replicas or one canary: its figures are checked against the test's
own request log through lb-1 (IndependentLog, sent while the rollback runs) and against the links
and load balancer states the watch saw.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from hadrill.events import read_lines
from tests.integration.hosts.conftest import REPLICAS_VARIABLE, assert_at_baseline
from tests.integration.hosts.effects import EffectWatch
from tests.integration.rollback.rollback_support import DrillRun, IndependentLog, OnMarker, assert_figures_match_own_log
from tests.integration.rollback.test_rollback_drill import switch_windows
from tests.support.drill import ansible_playbook, drill_env

pytestmark = [pytest.mark.integration, pytest.mark.hosts]

REPLICAS = 6
CANARY_SLICE = 2


class RollbackRequestLog(ExitStack):
    """The test's own request log through the load balancer (IndependentLog), sent only while the
    drill's rollback runs: from its `scenario_started` marker to its `recovery_window_finished`
    (or the drill's end), so that the other scenarios' figures see none of its writes."""

    def __init__(self, box, evidence_root: Path):
        super().__init__()
        self.log = IndependentLog(box)
        self.evidence_root = evidence_root
        self._running = False

    def _start(self, _marker) -> None:
        self.log.__enter__()
        self._running = True

    def _stop(self, _marker=None) -> None:
        if self._running:
            self._running = False
            self.log.__exit__(None, None, None)

    def __enter__(self) -> IndependentLog:
        super().__enter__()
        self.callback(self._stop)  # runs last: the drill ended without the marker
        self.enter_context(OnMarker(self.evidence_root, "scenario_started", self._start))
        self.enter_context(OnMarker(self.evidence_root, "recovery_window_finished", self._stop))
        return self.log


@dataclass
class HostsDrill:
    bundle: Path
    watch: EffectWatch
    releases_before: dict[str, str]  # API host -> release its link pointed at before the drill
    rollback: DrillRun  # the rollback scenario's records in the bundle
    own: IndependentLog  # the test's own requests while the rollback ran


@pytest.fixture(scope="module")
def drill(hosts_sandbox, tmp_path_factory):
    """One three-scenario drill, watched, its rollback with a canary slice of two, judged without
    the thresholds of the machine's speed: its bundle, the watch, the releases before it, the
    rollback's records and the test's own request log of the rollback."""
    evidence_root = tmp_path_factory.mktemp("hosts-drill")
    canary = hosts_sandbox.group("api")[:CANARY_SLICE]
    releases_before = {host: hosts_sandbox.release(host) for host in hosts_sandbox.group("api")}
    watch = EffectWatch(hosts_sandbox).start()
    try:
        with RollbackRequestLog(hosts_sandbox, evidence_root) as own:
            run = ansible_playbook("playbooks/drill.yml", *hosts_sandbox.inventory_args,
                                   "-e", json.dumps({"api_rollback_canary_hosts": canary,
                                                     "drill_thresholds": hosts_sandbox.test_thresholds}),
                                   env=drill_env(evidence_root), timeout=1200)
    finally:
        watch.stop()
    bundles = sorted(evidence_root.glob("ha_drill_*"))
    assert run.returncode == 0 and bundles, f"the drill failed (rc {run.returncode}):\n{run.stdout[-6000:]}{run.stderr[-2000:]}"
    return HostsDrill(bundles[-1], watch, releases_before, DrillRun(run.returncode, run.stdout + run.stderr, bundles[-1]), own)


def tasks(bundle: Path) -> list[dict]:
    return [item for item in read_lines(bundle / "events.jsonl") if item.get("event") == "task"]


def ran_on(bundle: Path, name_part: str = "", *, action: str | None = None, changed: bool | None = None) -> set[str]:
    """The hosts the successful tasks whose name holds ``name_part`` (and whose action is ``action``)
    were delegated to (only those that changed something, or nothing, when ``changed`` is given)."""
    found = set()
    for item in tasks(bundle):
        if (name_part in item["task"] and item["status"] == "ok" and item.get("delegated_to")
                and (action is None or item.get("action") == action)
                and (changed is None or item.get("changed") == changed)):
            found.update(part.strip() for part in item["delegated_to"].split(","))
    return found


# Every change on an application host goes through the platform adapter (deploys, worker stops
# and starts); its reads change nothing.
PLATFORM = "hadrill.drills.platform"


def test_the_three_scenarios_pass_over_ssh_and_leave_the_hosts_at_baseline(drill, hosts_sandbox):
    bundle, watch, releases_before = drill.bundle, drill.watch, drill.releases_before
    summary = json.loads((bundle / "summary.json").read_text())
    assert summary["result"] == "pass", summary.get("result_reasons")
    assert {name: item["outcome"] for name, item in summary["scenarios"].items()} == {
        "restore": "pass", "rollback": "pass", "replay": "pass"}
    assert watch.samples > 100, "the test's own watch hardly sampled"
    assert_at_baseline(hosts_sandbox, releases_before)


def test_every_delegated_task_names_an_inventory_host(drill, hosts_sandbox):
    bundle = drill.bundle
    known = set(hosts_sandbox.hosts) | {"localhost"}
    delegated = [item for item in tasks(bundle) if item.get("delegated_to")]
    assert len(delegated) > 30
    unknown = {item["delegated_to"] for item in delegated
               if not {part.strip() for part in item["delegated_to"].split(",")} <= known}
    assert unknown == set(), f"tasks delegated to what is not an inventory host: {unknown}"
    # Nothing of a drill runs on the repository host: pgBackRest reaches it on its own, over SSH.
    assert not any("backup-1" in item["delegated_to"] for item in delegated)


def test_the_restore_ran_on_the_database_host_and_read_the_repository_on_its_host(drill, hosts_sandbox):
    bundle, watch = drill.bundle, drill.watch
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
    bundle, watch = drill.bundle, drill.watch
    lb = hosts_sandbox.group("lb")
    # The platform operations that changed something on an API host are its deploys (reads do not).
    switched = ran_on(bundle, action=PLATFORM, changed=True) & set(hosts_sandbox.group("api"))
    assert switched, "no deploy recorded on an API host"
    assert watch.moved_links() == switched, (watch.links, switched)
    assert ran_on(bundle, action=PLATFORM, changed=True) - switched == set(hosts_sandbox.group("worker"))
    assert ran_on(bundle, "Drain the host and wait for its last request") == set(lb)
    assert ran_on(bundle, "Put the host back into rotation") == set(lb)
    drained = {server for server, statuses in watch.lb.items() if "MAINT" in statuses}
    assert drained == switched, (dict(watch.lb), switched)
    restarted = {host for host, programs in watch.stopped.items() if programs & set(hosts_sandbox.group("api"))}
    assert restarted <= switched


def test_the_worker_paused_and_the_gates_ran_where_their_tasks_ran(drill, hosts_sandbox):
    bundle, watch = drill.bundle, drill.watch
    worker = hosts_sandbox.group("worker")
    # The worker's stop and start are platform operations that changed something, on worker-1 only.
    assert ran_on(bundle, action=PLATFORM, changed=True) & set(hosts_sandbox.group("worker")) == set(worker)
    assert {host for host, programs in watch.stopped.items() if any(p.startswith("worker") for p in programs)} == set(worker)
    assert ran_on(bundle, action="hadrill.drills.gate") == set(worker)
    assert watch.seen["validation gate"] == set(worker)
    # Nothing but the database host's primary and its copy ever ran PostgreSQL.
    assert not watch.stopped.get(hosts_sandbox.facts["restore"]["host"])


def test_the_rollback_on_six_replicas_with_a_canary_slice_of_two_matches_what_the_test_saw(drill, hosts_sandbox):
    api = hosts_sandbox.group("api")
    assert len(api) == REPLICAS, f"the multi-host tests run on {REPLICAS} API replicas ({REPLICAS_VARIABLE}), found {api}"
    run, watch, own = drill.rollback, drill.watch, drill.own
    canary = api[:CANARY_SLICE]
    assert run.config["api_rollback_canary_hosts"] == canary
    assert run.scenario["outcome"] == "pass", run.scenario["reasons"]
    candidate, known_good = run.config["api_rollback_candidate_release"], run.config["api_rollback_known_good_release"]
    others = [host for host in api if host not in canary and drill.releases_before[host] != known_good]

    # The drill's switch windows (its markers), one host at a time: the candidate on the slice, the
    # rollback of the slice, then every other replica not yet on the known-good release aligned.
    windows = switch_windows(run)
    phases = [phase for _, phase, _, _ in windows]
    assert phases == ["candidate"] * len(canary) + ["rollback"] * len(canary) + ["align"] * len(others), windows
    assert [host for host, phase, _, _ in windows if phase != "align"] == canary + canary, windows
    assert sorted(host for host, phase, _, _ in windows if phase == "align") == others, windows
    assert all(earlier[3] <= later[2] for earlier, later in zip(windows, windows[1:])), "two hosts switched at once"

    # Ground truth, the release links and HAProxy's states the test's watch saw: the candidate ran
    # on the slice and nowhere else, each switched host was drained, every replica ends on the
    # known-good release, and the replicas the drill did not switch never left rotation.
    assert {host for host, releases in watch.links.items() if candidate in releases} == set(canary), dict(watch.links)
    for host in api:
        expected = [drill.releases_before[host]] + ([candidate] if host in canary else []) + [known_good]
        expected = [release for index, release in enumerate(expected) if index == 0 or release != expected[index - 1]]
        assert watch.links[host] == expected, (host, watch.links[host])
    switched = set(canary) | set(others)
    assert {server for server, statuses in watch.lb.items() if "MAINT" in statuses} == switched, dict(watch.lb)
    for host in set(api) - switched:
        assert watch.lb[host] == {"UP"}, (host, watch.lb[host])
    # The drill's replica watch asked all six replicas, and found none it was not switching down.
    watched = {item["host"] for item in read_lines(run.bundle / "samples" / "rollback_replicas.jsonl")}
    assert watched == set(api)
    assert [check["passed"] for check in run.scenario["checks"] if check["name"] == "untouched_replicas_up"] == [True]
    assert {check["observed"]["host"] for check in run.checks("startup_contract")} == switched
    assert all(check["passed"] for check in run.checks("startup_contract"))

    # The figures against the test's own requests through lb-1, sent while the rollback ran: its
    # failures only while a host of the slice could run the candidate.
    rollback, green = run.marker("rollback_started")["mono"], run.marker("readiness_green")["mono"]
    assert run.figure("rollback_seconds")["value"] == pytest.approx(green - rollback, abs=1e-3)
    assert len(own.entries) > 100, "the test's own request log hardly ran"
    slice_from = next(start for _, phase, start, _ in windows if phase == "candidate")
    slice_until = max(end for host, phase, _, end in windows if phase == "rollback" and host in canary)
    truth = assert_figures_match_own_log(run, own, slice_from, slice_until)
    print(f"\nsix replicas, slice {canary}: rollback {run.figure('rollback_seconds')['value']} s, recovery reported "
          f"{run.figure('error_rate_recovery_seconds')['value']} s / own {truth:.3f} s, own failures "
          f"{len(own.failures())}/{len(own.entries)}, switched {sorted(switched)}")
