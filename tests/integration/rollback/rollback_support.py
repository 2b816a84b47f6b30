"""Helpers of the rollback integration tests: the drill run, an independent request log, and
putting the sandbox back on its current release."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hadrill.events import read_lines
from tests.integration.conftest import REPO, VENV_BIN, ansible_env, run_playbook
from tests.support.background import BackgroundObserver
from tests.support.http import request

RESTORE_PLAYBOOK = Path(__file__).resolve().parent / "restore_current_release.yml"
DRILL_TIMEOUT = 600
# An observer stops by itself after this long even if its test never ends the `with` block.
OBSERVER_BUDGET = DRILL_TIMEOUT + 300
# Tests never judge wall-clock speed: the drills of the tests keep only the thresholds that do not
# depend on how loaded the machine is (rollback_seconds does; recovery is measured from traffic and
# must fit the sandbox's 5 s recovery window). The availability thresholds keep their defaults.
TEST_THRESHOLDS = '{"drill_thresholds": {"error_rate_recovery_seconds": 5}}'


@dataclass
class DrillRun:
    returncode: int
    output: str
    bundle: Path

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads((self.bundle / "summary.json").read_text())

    @property
    def config(self) -> dict[str, Any]:
        """The rollback section of the configuration the drill validated (drill.json)."""
        return json.loads((self.bundle / "drill.json").read_text())["config"]["scenarios"]["rollback"]

    @property
    def scenario(self) -> dict[str, Any]:
        return self.summary["scenarios"]["rollback"]

    def figure(self, name: str) -> Any:
        return next(item for item in self.scenario["figures"] if item["name"] == name)

    def markers(self, name: str | None = None) -> list[dict[str, Any]]:
        return [item for item in read_lines(self.bundle / "events.jsonl")
                if item.get("event") == "marker" and item.get("scenario") == "rollback"
                and (name is None or item["name"] == name)]

    def marker(self, name: str) -> dict[str, Any]:
        found = self.markers(name)
        assert found, f"no marker {name} in {self.bundle}"
        return found[0]

    def checks(self, name: str) -> list[dict[str, Any]]:
        return [item for item in read_lines(self.bundle / "events.jsonl")
                if item.get("event") == "check" and item.get("name") == name]


def run_drill(sandbox, evidence_root: Path, *extra_vars: str) -> DrillRun:
    env = {**ansible_env(), "HADRILL_EVIDENCE_ROOT": str(evidence_root)}
    args = [str(VENV_BIN / "hadrill"), "run", *sandbox.inventory_args, "--scenario", "rollback",
            "--owner", "rollback-it", "-e", TEST_THRESHOLDS]
    for item in extra_vars:
        args += ["-e", item]
    proc = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=DRILL_TIMEOUT)
    bundles = sorted(path for path in evidence_root.glob("ha_drill_*") if path.is_dir())
    assert len(bundles) == 1, f"expected one bundle in {evidence_root}: {bundles}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    return DrillRun(proc.returncode, proc.stdout + proc.stderr, bundles[0])


@dataclass
class Entry:
    sent: float  # monotonic, the same clock as the drill's markers (CLOCK_MONOTONIC is system wide)
    done: float
    status: int | None

    @property
    def ok(self) -> bool:
        return self.status in (200, 201)


@dataclass
class IndependentLog(BackgroundObserver):
    """The test's own request log: the inventory's verify write through the load balancer, ~10/s,
    sent by the test process itself (not by hadrill's probe)."""

    sandbox: Any
    interval: float = 0.1
    entries: list[Entry] = field(default_factory=list)

    def observe(self, stop: threading.Event) -> None:
        spec = self.sandbox.facts["verify"]["write"]
        headers = self.sandbox.facts["verify"]["headers"]
        url = f"{self.sandbox.lb_url}{spec['path']}"
        seq = 0
        started = time.monotonic()
        while not stop.is_set() and time.monotonic() < started + OBSERVER_BUDGET:
            seq += 1
            body = json.loads(json.dumps(spec["body"]).replace("@@TOKEN@@", f"rollback-it-{os.getpid()}-{seq}"))
            sent = time.monotonic()
            try:
                status: int | None = request(spec["method"], url, body, headers=headers, timeout=5).status
            except OSError:
                status = None
            self.entries.append(Entry(sent, time.monotonic(), status))
            stop.wait(max(0.0, started + seq * self.interval - time.monotonic()))

    def failures(self) -> list[Entry]:
        return [entry for entry in self.entries if not entry.ok]

    def longest_outage(self, start: float, end: float) -> float:
        """The test's own longest time without a successful request among its requests sent in
        [start, end): from the first failure of a run to the next success (or `end`)."""
        longest, since = 0.0, None
        for entry in sorted(self.entries, key=lambda item: item.sent):
            if not start <= entry.sent < end:
                continue
            if not entry.ok:
                since = entry.sent if since is None else since
            elif since is not None:
                longest, since = max(longest, entry.sent - since), None
        return max(longest, end - since) if since is not None else longest


def assert_figures_match_own_log(run: DrillRun, own: IndependentLog, faulty_from: float, faulty_until: float) -> float:
    """The rollback's traffic figures against the test's own request log: its failures are the
    candidate's 500s, sent while a host could run it (`faulty_from` .. `faulty_until`, monotonic);
    the error-rate recovery is the time from the restore to the last of them (within one window);
    none failed through the drill's own restarts; the longest outage (within 0.5 s) and the error
    rate while the rollback ran (within 5 points) are what the test saw. Returns the test's own
    recovery time."""
    failures = own.failures()
    assert failures, "the test's own requests never met the regressing candidate"
    assert all(faulty_from <= entry.sent <= faulty_until for entry in failures), (
        [entry.sent for entry in failures], faulty_from, faulty_until)
    assert all(entry.status == 500 for entry in failures)
    # Error-rate recovery: the test's own answer is the time from the restore to its last failure.
    truth = max(0.0, max(entry.sent for entry in failures) - run.marker("previous_release_restored")["mono"])
    reported = run.figure("error_rate_recovery_seconds")["value"]
    window = run.config["api_rollback_window_seconds"]
    assert reported is not None and abs(reported - truth) <= window, (reported, truth, window)
    assert run.figure("restart_failed_requests")["value"] == 0
    # Availability: the candidate's 500s never made an outage, and the rollback's own error rate is
    # what the test saw in the same window.
    own_outage = own.longest_outage(run.marker("candidate_deploy_started")["mono"], run.marker("recovery_window_finished")["mono"])
    outage = run.figure("longest_outage_seconds")
    assert outage["verdict"] == "pass" and abs(outage["value"] - own_outage) <= 0.5, (outage, own_outage)
    rollback, green = run.marker("rollback_started")["mono"], run.marker("readiness_green")["mono"]
    own_rollback = [entry for entry in own.entries if rollback <= entry.sent < green]
    own_rate = 100.0 * sum(1 for entry in own_rollback if not entry.ok) / len(own_rollback)
    rate = run.figure("rollback_error_rate_percent")
    assert rate["verdict"] == "pass" and abs(rate["value"] - own_rate) <= 5.0, (rate, own_rate)
    return truth


def api_releases(sandbox) -> dict[str, str]:
    """host -> release its link points at (the sandbox's supervisor adapter)."""
    return {host: (sandbox.root / "hosts" / host / "current").resolve().name for host in sandbox.api_urls}


def all_backends_up(sandbox) -> bool:
    """HAProxy's view, through the sandbox's admin helper."""
    proc = subprocess.run(
        [str(sandbox.root / "bin" / "sandbox-haproxy-admin"), sandbox.facts["haproxy_admin_socket"],
         "--servers", sandbox.facts["haproxy_backend"]],
        capture_output=True, text=True, timeout=30,
    )
    if proc.returncode != 0:
        return False
    view = json.loads(proc.stdout)
    return view["total"] > 0 and view["up"] == view["total"]


def restore_current_release(sandbox) -> None:
    current = sandbox.facts["current_release"]
    if all(release == current for release in api_releases(sandbox).values()) and sandbox.healthy() \
            and all_backends_up(sandbox):
        return
    run = run_playbook(RESTORE_PLAYBOOK, timeout=300)
    assert run.returncode == 0, f"putting the replicas back on the current release failed:\n{run.tail()}"
    from tests.support.wait import wait_until

    wait_until(sandbox.healthy, timeout=60, interval=0.5, what="the sandbox to be healthy")


def haproxy_command(sandbox, command: str) -> str:
    """One command on HAProxy's admin socket (the test's own access, not hadrill's)."""
    with socket.socket(socket.AF_UNIX) as admin:
        admin.settimeout(2)
        admin.connect(sandbox.facts["haproxy_admin_socket"])
        admin.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := admin.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def set_servers(sandbox, state: str, servers: list[str] | None = None) -> None:
    """The backend's `servers` (all of them by default) to `state` (ready, drain, maint) at once."""
    for host in sandbox.api_urls if servers is None else servers:
        answer = haproxy_command(sandbox, f"set server {sandbox.facts['haproxy_backend']}/{host} state {state}").strip()
        assert not answer, answer


def server_status(sandbox, server: str) -> str:
    """HAProxy's status of one server (UP, DOWN, MAINT...), read from its admin socket directly:
    fast enough to sample every few tens of milliseconds."""
    for line in haproxy_command(sandbox, "show stat").splitlines():
        row = line.split(",")
        if len(row) > 17 and row[0] == sandbox.facts["haproxy_backend"] and row[1] == server:
            return row[17]
    return "ABSENT"


@dataclass
class ServerWatch(BackgroundObserver):
    """What the load balancer and the host showed, every `interval` seconds: (mono, HAProxy status
    of the server, release the host's link points at). The test's own ground truth for the order of
    drain, switch and re-enable."""

    sandbox: Any
    host: str
    interval: float = 0.05
    seen: list[tuple[float, str, str]] = field(default_factory=list)

    def observe(self, stop: threading.Event) -> None:
        link = self.sandbox.root / "hosts" / self.host / "current"
        deadline = time.monotonic() + OBSERVER_BUDGET
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                self.seen.append((time.monotonic(), server_status(self.sandbox, self.host), link.resolve().name))
            except OSError:
                pass
            stop.wait(self.interval)


@dataclass
class OnMarker(BackgroundObserver):
    """Acts the moment a running drill records a marker: tails the events of the drill's bundle under
    `evidence_root` every 20 ms and calls `action` (in this thread) for the first marker of the
    rollback scenario named `name` whose data holds `data`. `acted` keeps (monotonic time, marker)."""

    evidence_root: Path
    name: str
    action: Callable[[dict[str, Any]], None]
    data: dict[str, Any] = field(default_factory=dict)
    acted: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    join_timeout: float = 30.0

    def observe(self, stop: threading.Event) -> None:
        from hadrill.scenarios.rollback.watch import SampleTail

        tail = None
        deadline = time.monotonic() + OBSERVER_BUDGET
        while not stop.is_set() and time.monotonic() < deadline and not self.acted:
            if tail is None:
                found = sorted(self.evidence_root.glob("ha_drill_*/events.jsonl"))
                tail = SampleTail(found[0]) if found else None
            for item in tail.read() if tail else []:
                if item.get("event") == "marker" and item.get("scenario") == "rollback" and item.get("name") == self.name \
                        and all((item.get("data") or {}).get(key) == value for key, value in self.data.items()):
                    self.acted.append((time.monotonic(), item))
                    self.action(item)
                    break
            stop.wait(0.02)
