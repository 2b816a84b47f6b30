"""Scenario B against the real sandbox (supervisord, HAProxy, PostgreSQL), through `hadrill run`.

Each drill runs beside the test's own request log (IndependentLog): the figures the drill
computes from its probe are checked against what the test saw itself. Every test puts the
replicas back on the sandbox's current release afterwards (the drill leaves them on the
known-good release)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from hadrill import journal
from hadrill.events import read_lines
from tests.integration.rollback.rollback_support import (
    TEST_THRESHOLDS, IndependentLog, OnMarker, ServerWatch, all_backends_up, api_releases, assert_figures_match_own_log,
    run_drill, set_servers,
)
from tests.support.drill import BIN, REPO, drill_env
from tests.support.wait import wait_until

pytestmark = pytest.mark.integration

# Extra vars putting every sandbox program on the `command` platform adapter, with inventory commands
# doing what the supervisor adapter does (release link + supervisorctl), templated per host.
COMMAND_ADAPTER = Path(__file__).resolve().parent / "command_adapter.json"


def order(run, *names: str) -> list[float]:
    monos = [run.marker(name)["mono"] for name in names]
    assert monos == sorted(monos), list(zip(names, monos))
    return monos


def switch_windows(run) -> list[tuple[str, str, float, float]]:
    windows, open_ = [], {}
    for marker in run.markers():
        host = marker["data"].get("host")
        if marker["name"] == "host_drain_started":
            open_[host] = marker
        elif marker["name"] == "host_enabled" and host in open_:
            started = open_.pop(host)
            windows.append((host, started["data"]["phase"], started["mono"], marker["mono"]))
    return windows


def test_regressing_candidate_fires_the_abort_and_recovery_matches_the_independent_log(
        leaves_sandbox_serving, tmp_path):
    sandbox = leaves_sandbox_serving
    with IndependentLog(sandbox) as own:
        run = run_drill(sandbox, tmp_path)
    assert run.returncode == 0, run.output[-4000:]
    assert run.scenario["outcome"] == "pass", run.scenario["reasons"]
    assert run.figure("abort_fired")["value"] is True
    observation, aborted, rollback, restored, green = order(
        run, "observation_started", "abort_fired", "rollback_started", "previous_release_restored", "readiness_green")
    assert aborted - observation < 15.0, "the abort must cut the 15 s observation window short"
    assert run.markers("observation_finished") == []
    assert run.figure("rollback_seconds")["value"] == pytest.approx(green - rollback, abs=1e-3)

    # Ground truth: the fault was real and only while api-1 could run the candidate; the recovery,
    # availability and restart figures are what the test's own requests saw.
    windows = switch_windows(run)
    candidate = next(item for item in windows if item[1] == "candidate")
    rolled_back = next(item for item in windows if item[1] == "rollback")
    truth = assert_figures_match_own_log(run, own, candidate[2], rolled_back[3])
    print(f"\nrollback {run.figure('rollback_seconds')['value']}s, recovery reported "
          f"{run.figure('error_rate_recovery_seconds')['value']}s / independent {truth:.3f}s, own failures "
          f"{len(own.failures())}/{len(own.entries)}, error rate during {run.figure('error_rate_during')['value']}%")

    assert run.figure("startup_contract_failures")["value"] == 0
    assert {check["observed"]["host"] for check in run.checks("startup_contract")} == {"api-1", "api-2"}
    assert run.marker("abort_fired")["data"]["counted_from"] == "observation_started"
    assert [check["passed"] for check in run.scenario["checks"] if check["name"] == "untouched_replicas_up"] == [True]
    assert (run.bundle / "plots" / "rollback.svg").is_file()
    known_good = run.config["api_rollback_known_good_release"]
    assert api_releases(sandbox) == {"api-1": known_good, "api-2": known_good}, "every replica ends on the known-good release"
    assert all_backends_up(sandbox)


def test_healthy_candidate_is_rolled_back_after_the_window_without_a_failed_request(
        leaves_sandbox_serving, tmp_path):
    """Here the known-good release is the one the replicas run (the usual staging case): only the
    canary host is switched, twice, and nothing needs putting back afterwards. Every switch goes
    through the `command` platform adapter (inventory commands, see command_adapter.json)."""
    sandbox = leaves_sandbox_serving
    observation_seconds = 6.0
    current = sandbox.facts["current_release"]
    with IndependentLog(sandbox) as own:
        run = run_drill(sandbox, tmp_path, f"@{COMMAND_ADAPTER}", "api_rollback_candidate_release=v0.2.3-rc2",
                        f"api_rollback_known_good_release={current}",
                        f"api_rollback_observation_seconds={observation_seconds}",
                        # a health check that names no release: the command adapter's release read decides
                        '{"api_rollback_health_release_field": ""}')
    assert run.returncode == 0, run.output[-4000:]
    assert run.scenario["outcome"] == "pass", run.scenario["reasons"]
    assert run.figure("abort_fired")["value"] is False and run.markers("abort_fired") == []
    started, finished, rollback = order(run, "observation_started", "observation_finished", "rollback_started")
    assert finished - started >= observation_seconds - 0.1
    # Draining: the canary host switched twice under traffic, not one failed request.
    assert [(host, phase) for host, phase, _, _ in switch_windows(run)] == [("api-1", "candidate"), ("api-1", "rollback")]
    assert run.figure("restart_failed_requests")["value"] == 0
    assert run.scenario["details"]["failed"] == 0 and run.scenario["details"]["requests"] > 100
    assert own.failures() == [], [(entry.sent, entry.status) for entry in own.failures()]
    assert "0 of them caused by the drill's own restarts" in (run.bundle / "report.md").read_text()
    assert run.figure("longest_outage_seconds")["value"] == 0 and run.figure("rollback_error_rate_percent")["value"] == 0
    # Release identity without health support: every switch and the readiness check say where the
    # release was read, and no task claims a health answer named it.
    assert {marker["data"]["release_read_from"] for marker in run.markers("host_enabled")} == {
        "platform adapter (the health answer names no release)"}
    (ready,) = run.checks("replicas_on_known_good")
    assert ready["passed"] and "platform adapter" in ready["expected"], ready
    assert ready["observed"] == {"api-1": current, "api-2": current}
    tasks = [item["task"] for item in read_lines(run.bundle / "events.jsonl") if item.get("event") == "task"]
    assert not [task for task in tasks if "names the release" in task or "healthy on the release" in task], tasks
    assert any("the health answer names no release" in task for task in tasks)
    assert api_releases(sandbox) == {"api-1": current, "api-2": current}
    # the adapter really was the command one, and the startup contract read its log command
    hosts = json.loads((run.bundle / "drill.json").read_text())["config"]["hosts"]["api"]
    assert {host["platform_adapter"] for host in hosts.values()} == {"command"}
    contract = run.checks("startup_contract")
    assert [check["observed"]["host"] for check in contract] == ["api-1"] and contract[0]["passed"]
    assert contract[0]["observed"]["log_anchored"] is True


def test_known_good_release_that_cannot_start_fails_the_scenario_and_keeps_serving(
        leaves_sandbox_serving, tmp_path):
    sandbox = leaves_sandbox_serving
    with IndependentLog(sandbox) as own:
        run = run_drill(sandbox, tmp_path, "api_rollback_candidate_release=v0.2.3-rc2",
                        "api_rollback_known_good_release=v0.1.5", "api_rollback_observation_seconds=2")
    assert run.returncode == 1, run.output[-4000:]
    scenario = run.scenario
    assert scenario["outcome"] == "fail"
    assert any(reason.startswith("startup contract failure: release v0.1.5 on api-1: STARTUP CONTRACT FAILURE:")
               for reason in scenario["reasons"]), scenario["reasons"]
    assert run.figure("startup_contract_failures")["value"] == 1
    assert run.markers("previous_release_restored") == [] and run.markers("readiness_green") == []
    forward = run.marker("slice_rolled_forward")
    current = sandbox.facts["current_release"]
    assert forward["data"]["releases"] == {"api-1": current, "api-2": current}
    assert "could not start" in forward["data"]["mitigation"]
    assert [check["passed"] for check in run.checks("serving_state_restored")] == [True]

    # The serving state, seen independently: releases, load balancer, and the test's own requests.
    assert api_releases(sandbox) == {"api-1": current, "api-2": current}
    assert sandbox.healthy() and all_backends_up(sandbox)
    restored = max(marker["mono"] for marker in run.markers("host_enabled"))
    assert [entry.status for entry in own.entries if entry.sent > restored and not entry.ok] == []
    assert own.failures() == [], "draining kept even the failed start invisible"
    from hadrill import journal

    assert journal.open_entries(run.bundle) == []


def candidate_in_rotation(evidence_root: Path) -> Path | None:
    for events in evidence_root.glob("ha_drill_*/events.jsonl"):
        for item in read_lines(events):
            if item.get("event") == "marker" and item.get("name") == "host_enabled" \
                    and (item.get("data") or {}).get("phase") == "candidate":
                return events.parent
    return None


def test_recover_after_a_killed_controller_drains_the_canary_before_switching_it_back(
        leaves_sandbox_serving, tmp_path):
    """The controller dies (SIGKILL of its process group) while the canary serves the candidate in
    the load balancer. hadrill recover puts it back on the known-good release the way the drill
    would have: out of rotation first, back in once up. The test's own requests see no failure."""
    sandbox = leaves_sandbox_serving
    current = sandbox.facts["current_release"]
    process = subprocess.Popen(
        [str(BIN / "hadrill"), "run", *sandbox.inventory_args, "--scenario", "rollback", "-e", TEST_THRESHOLDS,
         "-e", "api_rollback_candidate_release=v0.2.3-rc2", "-e", f"api_rollback_known_good_release={current}",
         "-e", "api_rollback_observation_seconds=600"],
        cwd=REPO, env=drill_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        bundle = wait_until(lambda: candidate_in_rotation(tmp_path), timeout=300, interval=0.2,
                            what="the canary to serve the candidate")
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    assert api_releases(sandbox)["api-1"] == "v0.2.3-rc2" and all_backends_up(sandbox)
    assert "api_rollback-release-api-1" in {entry.id for entry in journal.open_entries(bundle)}

    with IndependentLog(sandbox) as own, ServerWatch(sandbox, "api-1") as watch:
        time.sleep(1.0)
        recovered = subprocess.run([str(BIN / "hadrill"), "recover", *sandbox.inventory_args], cwd=REPO,
                                   env=drill_env(tmp_path), capture_output=True, text=True, timeout=600)
        time.sleep(1.0)
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    # The order, seen from outside: out of rotation while still on the candidate, switched while out
    # of rotation, and back UP on the known-good release at the end.
    switched = next(index for index, (_, _, release) in enumerate(watch.seen) if release == current)
    assert watch.seen[switched][1].startswith("MAINT"), watch.seen[max(0, switched - 3):switched + 3]
    assert any(status.startswith("MAINT") and release == "v0.2.3-rc2" for _, status, release in watch.seen[:switched])
    assert watch.seen[-1][1:] == ("UP", current), watch.seen[-3:]
    assert journal.open_entries(bundle) == []
    assert api_releases(sandbox) == {"api-1": current, "api-2": current}
    assert sandbox.healthy() and all_backends_up(sandbox)
    assert len(own.entries) > 20
    assert own.failures() == [], [(entry.sent, entry.status) for entry in own.failures()]


def test_an_untouched_replica_going_down_during_the_rollback_fails_the_drill(leaves_sandbox_serving, tmp_path):
    """The outage of the issue: while the canary is drained for its rollback, the replica the drill
    never switches goes down (the test stops it with supervisorctl for about 3 s). Every request
    through the load balancer fails meanwhile. The drill must fail, name the replica, and measure
    the outage the test's own request log saw."""
    sandbox = leaves_sandbox_serving
    current = sandbox.facts["current_release"]
    fault: dict[str, float] = {}

    def take_api2_down(marker: dict) -> None:
        fault["stop"] = time.monotonic()
        sandbox.supervisorctl("stop", "api-2", check=True)
        fault["stopped"] = time.monotonic()
        time.sleep(3.0)
        fault["start"] = time.monotonic()
        sandbox.supervisorctl("start", "api-2", check=True)
        fault["started"] = time.monotonic()

    with IndependentLog(sandbox) as own, \
            OnMarker(tmp_path, "host_drain_started", take_api2_down, data={"host": "api-1", "phase": "rollback"}):
        run = run_drill(sandbox, tmp_path, "api_rollback_candidate_release=v0.2.3-rc2",
                        f"api_rollback_known_good_release={current}", "api_rollback_observation_seconds=3")
    assert fault.get("started"), "the test never took api-2 down"
    assert run.returncode == 1, run.output[-4000:]
    scenario = run.scenario
    assert scenario["outcome"] == "fail"
    # api-2 was never switched by the drill: only the canary's two switches
    assert [(host, phase) for host, phase, _, _ in switch_windows(run)] == [("api-1", "candidate"), ("api-1", "rollback")]
    named = [reason for reason in scenario["reasons"] if "api-2" in reason and "not switching" in reason]
    assert named, scenario["reasons"]

    # The replica watch saw api-2 go down when the test stopped it and come back after the start.
    check = next(item for item in scenario["checks"] if item["name"] == "untouched_replicas_up")
    assert check["passed"] is False
    (down,) = check["observed"]["api-2"]
    assert fault["stop"] - 0.5 <= down["start_mono"] <= fault["stopped"] + 1.0, (down, fault)
    assert fault["start"] <= down["end_mono"] <= fault["started"] + 15.0, (down, fault)  # its start-up, on a busy machine
    assert "api-1" not in check["observed"]

    # The availability figures against the test's own request log through the load balancer.
    deployed, finished = run.marker("candidate_deploy_started")["mono"], run.marker("recovery_window_finished")["mono"]
    truth = own.longest_outage(deployed, finished)
    assert truth >= 1.0, "the test's own requests did not see the outage"
    outage = run.figure("longest_outage_seconds")
    assert outage["verdict"] == "fail" and abs(outage["value"] - truth) <= 0.5, (outage, truth)
    assert outage["window"], outage
    rollback = run.marker("rollback_started")["mono"], run.marker("readiness_green")["mono"]
    own_rollback = [entry for entry in own.entries if rollback[0] <= entry.sent < rollback[1]]
    own_rate = 100.0 * sum(1 for entry in own_rollback if not entry.ok) / len(own_rollback)
    rate = run.figure("rollback_error_rate_percent")
    assert rate["verdict"] == "fail" and abs(rate["value"] - own_rate) <= 10.0, (rate, own_rate)
    restart = run.figure("restart_failed_requests")
    assert restart["verdict"] == "fail" and restart["value"] > 0
    # the load balancer's answers for no backend (503) or one that vanished mid-request (502), never the app's
    assert {entry.status for entry in own.failures()} <= {502, 503, 504, None}, {entry.status for entry in own.failures()}
    report = (run.bundle / "report.md").read_text()
    assert "api-2" in report and "Longest time without a successful request" in report
    print(f"\noutage reported {outage['value']}s / independent {truth:.3f}s; rollback error rate "
          f"{rate['value']}% / independent {own_rate:.1f}%; api-2 down {down['seconds']}s")


def test_an_error_burst_before_observation_does_not_abort_a_healthy_candidate(leaves_sandbox_serving, tmp_path):
    """Issue: the abort rule counted 503s answered before the candidate was observed. Here the load
    balancer answers 503 for everything while the canary is switched: when the drill starts draining
    the canary, the test drains every other server, and puts them back when the canary is back in
    rotation (host_enabled, one task before the observation starts) or after 1 s, whichever comes
    first. The burst is bounded (shorter than the 2 s outage threshold) and its length does not
    depend on how fast the drill goes from host_enabled to the observation (a burst started at
    host_enabled and ended at the next marker was sometimes too short for any request to meet it).
    The drill would count these 503s as failures of its own restart (they fall in the canary's
    switch window), so this run judges its restarts by 502 and 504 only. The healthy candidate must
    not be aborted; sustain 1 s makes the rule sensitive enough that counting the burst would fire it."""
    sandbox = leaves_sandbox_serving
    current = sandbox.facts["current_release"]
    canary = "api-1"
    others = [host for host in sandbox.api_urls if host != canary]
    burst: dict[str, float] = {}
    enabled = threading.Event()

    def make_burst(marker: dict) -> None:
        burst["start"] = time.monotonic()
        set_servers(sandbox, "drain", others)
        enabled.wait(1.0)
        set_servers(sandbox, "ready", others)
        burst["end"] = time.monotonic()

    canary_switch = {"host": canary, "phase": "candidate"}
    with IndependentLog(sandbox, interval=0.05) as own, \
            OnMarker(tmp_path, "host_drain_started", make_burst, data=canary_switch), \
            OnMarker(tmp_path, "host_enabled", lambda marker: enabled.set(), data=canary_switch):
        run = run_drill(sandbox, tmp_path, "api_rollback_candidate_release=v0.2.3-rc2",
                        f"api_rollback_known_good_release={current}", "api_rollback_observation_seconds=4",
                        "api_rollback_abort_sustain_seconds=1", '{"api_rollback_restart_failure_statuses": [502, 504]}')
    assert burst.get("end"), "the test never made the burst"
    # Ground truth: the burst was real, through the load balancer, and over before observation began.
    failures = own.failures()
    assert failures and all(entry.status == 503 for entry in failures), [(e.sent, e.status) for e in failures]
    assert all(burst["start"] - 0.05 <= entry.sent <= burst["end"] + 0.05 for entry in failures), (burst, failures)
    observation = run.marker("observation_started")["mono"]
    assert burst["end"] < observation + 0.1

    assert run.figure("abort_fired")["value"] is False and run.markers("abort_fired") == [], run.markers("abort_fired")
    assert run.returncode == 0, run.output[-4000:]
    assert run.scenario["outcome"] == "pass", run.scenario["reasons"]
    finished = run.marker("observation_finished")["data"]
    assert finished["counted_from"] == "observation_started" and finished["requests"] > 0
    # The drill's probe met the burst too, but the figure about the candidate counts only what was
    # sent once it was observed; the figure's window says so.
    assert run.scenario["details"]["statuses"].get("503", 0) > 0
    observed = run.figure("error_rate_observed")
    assert observed["value"] == 0.0 and "observation_started" in observed["window"], observed
    truth = own.longest_outage(run.marker("candidate_deploy_started")["mono"], run.marker("recovery_window_finished")["mono"])
    outage = run.figure("longest_outage_seconds")
    assert outage["verdict"] == "pass" and abs(outage["value"] - truth) <= 0.3, (outage, truth)
    assert run.figure("restart_failed_requests")["value"] == 0
    check = next(item for item in run.scenario["checks"] if item["name"] == "untouched_replicas_up")
    assert check["passed"] is True, check
    print(f"\nburst {burst['end'] - burst['start']:.2f}s, {len(failures)} own failures; outage reported "
          f"{outage['value']}s / independent {truth:.3f}s")
