"""The interruption campaign: interrupt every phase of every scenario with SIGINT, SIGTERM and
SIGKILL of the whole controller process group, recover, and check the sandbox is back at baseline.

`make campaign` runs every (scenario, phase, signal). `make test` runs a subset that covers
every scenario and every signal once. The table of what was tried is printed at the end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from hadrill import journal, processes
from hadrill.events import read_lines
from hadrill.runner import PRIVATE_DIR_PREFIX
from tests.support.wait import wait_until
from tests.support.drill import BIN, REPO, drill_env

ROLES = {"restore": "db_restore", "rollback": "api_rollback", "replay": "worker_replay"}
PHASES = ("prepare", "inject", "observe", "recover", "verify")
SIGNALS = ("SIGINT", "SIGTERM", "SIGKILL")
# One case per scenario and per signal, for CI.
CI_SUBSET = {("restore", "inject", "SIGKILL"), ("rollback", "observe", "SIGINT"), ("replay", "observe", "SIGTERM")}
RESULTS: list[dict] = []

pytestmark = pytest.mark.integration


def cases() -> list:
    params = []
    for scenario in ROLES:
        for phase in PHASES:
            for name in SIGNALS:
                marks = [] if (scenario, phase, name) in CI_SUBSET else [pytest.mark.campaign]
                params.append(pytest.param(scenario, phase, name, marks=marks, id=f"{scenario}-{phase}-{name}"))
    return params


@dataclass
class Interrupted:
    controller_pid: int
    bundle: Path
    interrupted_at: str
    returncode: int | None
    output: str


def phase_reached(evidence_root: Path, scenario: str, phase: str) -> Path | None:
    for events in evidence_root.glob("ha_drill_*/events.jsonl"):
        for item in read_lines(events):
            if item.get("event") == "task" and item.get("scenario") == scenario and item.get("phase") == phase:
                return events.parent
    return None


def interrupt(sandbox, evidence_root: Path, scenario: str, phase: str, name: str) -> Interrupted:
    process = subprocess.Popen(
        [str(BIN / "hadrill"), "run", *sandbox.inventory_args, "--scenario", scenario, "--evidence-root", str(evidence_root)],
        cwd=REPO, env=drill_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # the controller's own process group, as a terminal would give it
    )
    def reached() -> Path | None:
        found = phase_reached(evidence_root, scenario, phase)
        if found is None and process.poll() is not None:
            # Ended before the phase: say why now rather than after the whole wait.
            pytest.fail(f"hadrill run ended (rc {process.returncode}) before the {scenario} drill reached its "
                        f"{phase} phase:\n{process.stdout.read()[-4000:]}")
        return found

    try:
        bundle = wait_until(reached, timeout=600, interval=0.1, what=f"the {scenario} drill to reach its {phase} phase")
        interrupted_at = time.strftime("%H:%M:%S")
        if name == "SIGKILL":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            os.kill(process.pid, getattr(signal, name))
        output, _ = process.communicate(timeout=900)
        return Interrupted(process.pid, bundle, interrupted_at, process.returncode, output)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=60)


def recover(sandbox) -> subprocess.CompletedProcess:
    """`hadrill recover -i INVENTORY` and nothing else (issue 16.6): not the drill's --evidence-root. It finds
    the open actions in the drill journal on the target database, and the bundle where that journal says it is."""
    return subprocess.run([str(BIN / "hadrill"), "recover", *sandbox.inventory_args], cwd=REPO,
                          env=drill_env(), capture_output=True, text=True, timeout=900)


def processes_matching(needle: str, *, orphans_only: bool = False, evidence_root: Path | None = None) -> list[str]:
    """Live processes whose command line holds `needle` (only those whose parent is gone, if asked).
    With `evidence_root`, not those that provably belong to another test's drill (the other half of
    the integration suite runs beside this one): their environment names another evidence root. A
    process whose environment cannot be read, or names none, counts."""
    pids = processes.children().get(1, []) if orphans_only else \
        [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    return [f"{pid}: {processes.cmdline(pid).strip()}" for pid in pids
            if needle in processes.cmdline(pid) and processes.state(pid) not in {"Z", None}
            and (evidence_root is None or not _of_another_drill(pid, evidence_root))]


def _of_another_drill(pid: int, evidence_root: Path) -> bool:
    environment = processes.environ(pid) or {}
    return environment.get("HADRILL_EVIDENCE_ROOT", str(evidence_root)) != str(evidence_root)


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def acknowledged_ids(bundle: Path) -> set[int]:
    ids = set()
    for samples in (bundle / "samples").glob("*.jsonl"):
        for item in read_lines(samples):
            captured = item.get("captured") or {}
            if item.get("ok") and isinstance(captured.get("id"), int):
                ids.add(captured["id"])
    return ids


def assert_baseline(sandbox, outcome: Interrupted, releases_before: dict[str, str], evidence_root: Path) -> None:
    """Worker running, replicas serving on a safe release and UP, no verification leftovers,
    no sampler, no raw runner output, journal closed, no acknowledged write lost."""
    bundle = outcome.bundle
    sandbox.ensure_running(sandbox.worker_program, timeout=5)
    wait_until(sandbox.healthy, timeout=60, interval=0.5, what="the sandbox to serve")
    for host, url in sandbox.api_urls.items():
        link = Path(sandbox.facts["sandbox_root"]) / "hosts" / host / "current"
        release = Path(os.readlink(link)).name
        assert release in {releases_before[host], sandbox.facts["known_good_release"]}, (host, release)
        assert sandbox.http("GET", url + sandbox.facts["api_health_path"]).status == 200
    admin = subprocess.run([str(BIN / "python"), "-c", (
        "import socket,sys;s=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1]);"
        "s.sendall(b'show stat\\n');print(s.makefile().read())"), sandbox.facts["haproxy_admin_socket"]],
        capture_output=True, text=True, timeout=30)
    rows = [line.split(",") for line in admin.stdout.splitlines() if line.startswith(sandbox.facts["haproxy_backend"] + ",")]
    servers = {row[1]: row[17] for row in rows if row[1] not in {"FRONTEND", "BACKEND"}}
    assert servers and all(status.startswith("UP") for status in servers.values()), servers
    # Other drills may run on this machine (other sandboxes): look only at this drill's processes.
    assert [item for item in processes_matching("hadrill.samplers") if str(evidence_root) in item] == []
    orphans = processes_matching("drill.yml", orphans_only=True, evidence_root=evidence_root)
    assert orphans == [], f"an orphaned ansible worker is still running: {orphans}"
    root = sandbox.facts.get("restore_work_root")
    if root:
        # The root itself is hadrill's (its marker stays); nothing of a drill may be left in it.
        leftovers = [path for path in Path(root).iterdir() if path.name != ".hadrill-work-root"] if Path(root).exists() else []
        assert leftovers == [], f"verification leftovers: {leftovers}"
    for port in sandbox.facts.get("restore_ports", []):
        assert not port_open(port), f"port {port} still open"
    runner_dirs = list(Path(tempfile.gettempdir()).glob(f"{PRIVATE_DIR_PREFIX}{outcome.controller_pid}-*"))
    assert runner_dirs == [], f"ansible-runner directory of the interrupted controller left behind: {runner_dirs}"
    assert journal.open_entries(bundle) == []
    ids = acknowledged_ids(bundle)
    if ids:
        with psycopg.connect(sandbox.db_admin_dsn) as connection:
            found = {row[0] for row in connection.execute("select id from memories where id = any(%s)", (list(ids),))}
        # A scenario's drill_cleanup (journaled before its first write, run by its always path or by
        # recovery) removes the drill's own writes by design: then none of them may be left.
        cleaned = [entry.id for entry in journal.entries(bundle) if entry.id.startswith("cleanup-") and entry.closed_at]
        if cleaned:
            assert found == set(), f"the drill's cleanup ({cleaned}) left {len(found)} of its {len(ids)} writes"
        else:
            assert ids <= found, f"acknowledged writes lost: {sorted(ids - found)[:10]}"


@pytest.mark.parametrize("scenario,phase,name", cases())
def test_interrupt_and_recover(sandbox, tmp_path, scenario, phase, name):
    releases_before = {host: Path(os.readlink(Path(sandbox.facts["sandbox_root"]) / "hosts" / host / "current")).name
                       for host in sandbox.api_urls}
    outcome = interrupt(sandbox, tmp_path, scenario, phase, name)
    recovered_by = "hadrill run (automatic)"
    if name == "SIGKILL" or journal.open_entries(outcome.bundle):
        result = recover(sandbox)
        assert result.returncode == 0, result.stdout + result.stderr
        recovered_by = "hadrill recover"
    assert (outcome.bundle / "MANIFEST.sha256").exists(), "the interrupted bundle was not sealed"
    summary = json.loads((outcome.bundle / "summary.json").read_text())
    assert summary["run_status"] in {"interrupted", "stopped", "completed"}
    assert_baseline(sandbox, outcome, releases_before, tmp_path)
    verified = subprocess.run([str(BIN / "hadrill"), "verify", str(outcome.bundle)], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
    RESULTS.append({"scenario": scenario, "phase": phase, "signal": name, "recovered_by": recovered_by,
                    "result": summary["result"]})


def teardown_module(module):
    if RESULTS:
        print("\n[campaign] scenario  phase    signal   recovered by               drill result")
        for row in RESULTS:
            print(f"[campaign] {row['scenario']:<9} {row['phase']:<8} {row['signal']:<8} {row['recovered_by']:<26} {row['result']}")
        print(f"[campaign] {len(RESULTS)} interruption(s) tried, {len(RESULTS)} recovered to baseline")
