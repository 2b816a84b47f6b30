"""Scenario C against the real sandbox: `hadrill run --scenario replay`, checked by the test's own
observer of the outbox (a separate connection polling the backlog and the processed count every
50 ms).

1. The backlog grows during the pause and drains after the resume; every figure agrees with the
   recorded samples, and the drain time agrees with the observer within one sample interval.
   The worker stops slowly (it stops processing on SIGTERM and exits 3 s later) and starts
   slowly (3 s before its first claim): the real outage the drill measures agrees with the
   processing the observer saw, and the replay proof covers every write acknowledged in it.
   (sql backlog source, HTTP read-back proof: the sandbox inventory as it is)
2. A poison event inserted while the worker is paused is dead-lettered: the scenario fails on
   "failed events grew". (prometheus backlog source, SQL proof, the hard cap ends the pause,
   the `command` platform adapter)
3. A worker whose start fails (its release link points at a release that is not installed)
   fails the scenario with a clear reason within the drain timeout, and the role still tries to
   resume it. (command backlog source)
4. A worker that slows down as the baseline starts: the backlog rises during the baseline, so
   nothing is paused and the scenario is incomplete with the reason.
5. A slow worker drains after the drain timeout: the drill keeps watching, still proves the
   replay and records "slow, nothing lost". (sql processed reading)

Worker faults are the sandbox worker's fault file (memstore's MEMSTORE_WORKER_FAULT_FILE).

Every test leaves the sandbox serving: worker running on its release, poison rows deleted.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from hadrill.events import read_lines
from hadrill.journal import open_entries
from tests.support.background import BackgroundObserver
from tests.support.wait import wait_until

REPO = Path(__file__).resolve().parents[3]
BIN = REPO / ".venv" / "bin"
DRILL_TIMEOUT = 480
OBSERVER_INTERVAL = 0.05
WORKER = "worker-1"  # the sandbox's worker host (and its supervisord program)
COUNTS = ("SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'failed'), "
          "count(*) FILTER (WHERE status = 'done'), count(*) FROM outbox")

# The platform adapter `command` driving the sandbox's supervisord, as a real inventory would
# drive systemd or Kubernetes; set for every host, templated with each host's own variables.
COMMAND_ADAPTER = {
    "platform_adapter": "command",
    "platform_stop_command": "{{ supervisor_ctl }} stop {{ supervisor_program }}",
    "platform_start_command": "{{ supervisor_ctl }} start {{ supervisor_program }}",
    "platform_status_command": "{{ supervisor_ctl }} status {{ supervisor_program }} | grep -q RUNNING",
    "platform_release_present_command": "test -d {{ release_root }}/{release}",
}

pytestmark = pytest.mark.integration


# --- running a drill ------------------------------------------------------------------------

def env_for(evidence_root: Path) -> dict[str, str]:
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "HADRILL_EVIDENCE_ROOT": str(evidence_root),
           "ANSIBLE_NOCOLOR": "1"}
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    return env


@dataclass
class Drill:
    evidence_root: Path
    process: subprocess.Popen
    log: Path

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait(self) -> int:
        try:
            return self.process.wait(timeout=DRILL_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
            raise

    @property
    def bundle(self) -> Path:
        found = sorted(path for path in self.evidence_root.glob("ha_drill_*") if path.is_dir())
        assert len(found) == 1, found
        return found[0]

    def events(self) -> list[dict[str, Any]]:
        bundles = sorted(path for path in self.evidence_root.glob("ha_drill_*") if path.is_dir())
        return list(read_lines(bundles[0] / "events.jsonl")) if bundles else []

    def marker(self, name: str) -> dict[str, Any] | None:
        return next((item for item in self.events() if item.get("event") == "marker" and item.get("name") == name
                     and item.get("scenario") == "replay"), None)

    def wait_marker(self, name: str, timeout: float = 240) -> dict[str, Any]:
        def seen() -> dict[str, Any] | None:
            if self.process.poll() is not None:
                raise AssertionError(f"the drill ended before {name}:\n{self.output[-3000:]}")
            return self.marker(name)

        return wait_until(seen, timeout=timeout, interval=0.1, what=f"marker {name}")

    def summary(self) -> dict[str, Any]:
        return json.loads((self.bundle / "summary.json").read_text())

    def setting(self, name: str) -> Any:
        """A worker_replay_* value as the drill validated it (drill.json)."""
        drill = json.loads((self.bundle / "drill.json").read_text())
        return drill["config"]["scenarios"]["replay"][name]


def start_drill(sandbox, workdir: Path, *extra: str) -> Drill:
    evidence_root = workdir / "evidence"
    evidence_root.mkdir()
    # Output to a file, not a pipe: nobody reads a pipe while the test waits, and a full pipe
    # would block the drill.
    log = workdir / "drill.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            [str(BIN / "hadrill"), "run", *sandbox.inventory_args, "--scenario", "replay", "--evidence-root",
             str(evidence_root), *extra],
            cwd=REPO, env=env_for(evidence_root), stdout=handle, stderr=subprocess.STDOUT, text=True,
        )
    return Drill(evidence_root, process, log)


def inventory_thresholds() -> dict[str, Any]:
    return yaml.safe_load((REPO / "inventories" / "local" / "group_vars" / "all" / "drill.yml").read_text())[
        "drill_thresholds"]


def extra_vars(**values: Any) -> list[str]:
    # The archive check of the preconditions (a forced WAL switch) is not what these tests are about.
    return ["-e", json.dumps({"preconditions_check_archive": False, **values})]


# --- the independent observer ---------------------------------------------------------------

@dataclass
class Observer(BackgroundObserver):
    """Polls the outbox counts on its own connection: (monotonic time before the read, after the
    read, pending, failed, done, all events)."""

    dsn: str
    readings: list[tuple[float, int, int]] = field(default_factory=list)
    counts: list[tuple[float, float, int, int, int, int]] = field(default_factory=list)

    def observe(self, stop: threading.Event) -> None:
        deadline = time.monotonic() + DRILL_TIMEOUT
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            while not stop.is_set() and time.monotonic() < deadline:
                before = time.monotonic()
                pending, failed, done, total = connection.execute(COUNTS).fetchone()
                after = time.monotonic()
                self.readings.append((after, int(pending), int(failed)))
                self.counts.append((before, after, int(pending), int(failed), int(done), int(total)))
                stop.wait(OBSERVER_INTERVAL)

    def processing_stopped(self, resumed: float) -> tuple[float, float]:
        """Bounds (read before, read after) of the last processing the observer saw before the resume."""
        rises = [(self.counts[index - 1][0], self.counts[index][1]) for index in range(1, len(self.counts))
                 if self.counts[index][1] <= resumed and self.counts[index][4] > self.counts[index - 1][4]]
        return rises[-1]

    def processing_resumed(self, resumed: float) -> tuple[float, float]:
        """Bounds of the first processing the observer saw after the resume."""
        return next((self.counts[index - 1][0], self.counts[index][1]) for index in range(1, len(self.counts))
                    if self.counts[index - 1][0] >= resumed and self.counts[index][4] > self.counts[index - 1][4])

    def events_written(self, start: float, end: float) -> tuple[int, int]:
        """Fewest and most events written between two moments, from the total counts around them."""
        before_start = max((item for item in self.counts if item[1] <= start), key=lambda item: item[1])
        after_start = min((item for item in self.counts if item[0] >= start), key=lambda item: item[0])
        before_end = max((item for item in self.counts if item[1] <= end), key=lambda item: item[1])
        after_end = min((item for item in self.counts if item[0] >= end), key=lambda item: item[0])
        return before_end[5] - after_start[5], after_end[5] - before_start[5]

    def drained_at(self, resumed: float, upper: float, steady: int, interval: float) -> float | None:
        """First reading after the resume inside the envelope that stays inside for K-1 sample intervals."""
        span = (steady - 1) * interval
        for moment, pending, _ in self.readings:
            if moment < resumed or pending > upper:
                continue
            if all(other <= upper for when, other, _ in self.readings if moment <= when <= moment + span):
                return moment
        return None


# --- worker faults --------------------------------------------------------------------------

def fault_file(sandbox) -> Path:
    return sandbox.root / "hosts" / WORKER / "worker-faults.json"


def set_worker_faults(sandbox, **faults: float) -> None:
    """The sandbox worker re-reads this file while it runs (event delays) and at start and stop."""
    path = fault_file(sandbox)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(faults))
    temporary.chmod(0o644)
    os.replace(temporary, path)


def clear_worker_faults(sandbox) -> None:
    fault_file(sandbox).unlink(missing_ok=True)


# --- sandbox hygiene ------------------------------------------------------------------------

def worker_link(sandbox) -> Path:
    return sandbox.root / "hosts" / WORKER / "current"


def point_link(link: Path, target: Path) -> None:
    temporary = link.with_name(link.name + ".replay-test")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target)
    os.replace(temporary, link)


def leave_serving(sandbox, release_target: Path | None = None) -> None:
    """Worker on its release and RUNNING, backlog drained (bounded waits)."""
    if release_target is not None and os.readlink(worker_link(sandbox)) != str(release_target):
        point_link(worker_link(sandbox), release_target)

    program = sandbox.worker_program

    def running() -> bool:
        state = sandbox.program_states().get(program)
        if state == "BACKOFF":  # waiting for its next retry: start it now instead
            sandbox.supervisorctl("stop", program)
            state = "STOPPED"
        if state in {"FATAL", "STOPPED", "EXITED"}:
            sandbox.supervisorctl("start", program)
        return state == "RUNNING"

    wait_until(running, timeout=90, interval=0.5, what=f"{program} RUNNING")

    def drained() -> bool:
        with psycopg.connect(sandbox.db_admin_dsn, autocommit=True) as connection:
            return connection.execute(COUNTS).fetchone()[0] <= 5

    wait_until(drained, timeout=60, interval=0.5, what="the outbox backlog to drain")


def sample_gap(samples: list[dict[str, Any]], moment: float, around: float = 5.0) -> float:
    """The longest time between two backlog samples near a moment."""
    near = [item["mono"] for item in samples if moment - around <= item["mono"] <= moment + around]
    return max(later - earlier for earlier, later in zip(near, near[1:]))


def replay_markers(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for item in events:
        if item.get("event") == "marker" and item.get("scenario") == "replay":
            found.setdefault(item["name"], item)
    return found


def figures_of(summary: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item for item in summary["scenarios"]["replay"]["figures"]}


# --- 1. the backlog grows and drains; the figures agree with the samples and the observer -------

STOP_DELAY = 3.0  # the worker stops processing on SIGTERM, and exits this much later
START_DELAY = 3.0  # the worker claims nothing for this long after it started


def test_replay_backlog_grows_drains_and_figures_match_the_samples(sandbox, tmp_path):
    try:
        set_worker_faults(sandbox, stop_delay_seconds=STOP_DELAY, start_delay_seconds=START_DELAY)
        with Observer(sandbox.db_admin_dsn) as observer:
            drill = start_drill(sandbox, tmp_path)
            rc = drill.wait()
        assert rc == 0, drill.output[-4000:]
        summary = drill.summary()
        replay = summary["scenarios"]["replay"]
        assert summary["result"] == "pass" and replay["outcome"] == "pass", replay["reasons"]
        bundle = drill.bundle
        markers = replay_markers(list(read_lines(bundle / "events.jsonl")))
        order = ("worker_stop_requested", "worker_paused", "worker_resumed", "drained", "scenario_finished")
        for name in ("scenario_started", "traffic_started", "backlog_sampler_started", "baseline_started",
                     "baseline_finished", "worker_stop_requested", "worker_paused", "worker_resumed", "drained",
                     "replay_verified", "gates_finished", "traffic_stopped", "scenario_finished"):
            assert name in markers, name
        assert [markers[name]["mono"] for name in order] == sorted(markers[name]["mono"] for name in order)
        assert markers["baseline_finished"]["data"]["trend"]["steady"] is True

        # Recompute every figure from the recorded samples, with the test's own code.
        samples = list(read_lines(bundle / "samples" / "replay_backlog.jsonl"))
        writes = list(read_lines(bundle / "samples" / "replay_writes.jsonl"))
        assert samples and all(item["source"] == "sql" and item["ok"] for item in samples)
        paused, resumed = markers["worker_paused"]["mono"], markers["worker_resumed"]["mono"]
        interval = drill.setting("worker_replay_sample_interval_seconds")
        steady = drill.setting("worker_replay_steady_samples")
        rate = drill.setting("worker_replay_write_rate")
        ratio, absolute = drill.setting("worker_replay_envelope_ratio"), drill.setting("worker_replay_envelope_absolute")
        base = statistics.median(item["backlog"] for item in samples
                                 if markers["baseline_started"]["mono"] <= item["mono"] <= markers["baseline_finished"]["mono"])
        upper = max(bound for bound in (ratio * base if ratio is not None else None, absolute) if bound is not None)
        after = [item for item in samples if item["mono"] >= resumed]
        first_steady = next(index for index in range(len(after))
                            if all(item["backlog"] <= upper for item in after[index:index + steady])
                            and len(after[index:index + steady]) == steady)
        drain = after[first_steady]["mono"] - resumed
        peak = max(item["backlog"] for item in samples if paused <= item["mono"] <= after[first_steady]["mono"])
        before_failed = [item["failed"] for item in samples if item["mono"] <= paused][-1]
        during_pause = [item for item in writes if item["ok"] and paused <= item["mono"] <= resumed]

        figures = figures_of(summary)
        assert figures["pause_seconds"]["value"] == pytest.approx(resumed - paused)
        assert figures["baseline_backlog"]["value"] == pytest.approx(base)
        assert figures["peak_backlog"]["value"] == pytest.approx(peak)
        if base > 0:
            assert figures["backlog_peak_ratio"]["value"] == pytest.approx(peak / base, rel=1e-3)
        else:
            assert figures["backlog_peak_ratio"]["verdict"] == "info"
        assert figures["drain_seconds"]["value"] == pytest.approx(drain, abs=1e-3)
        assert figures["failed_before"]["value"] == before_failed == figures["failed_after"]["value"] == samples[-1]["failed"]
        assert figures["writes_during_pause"]["value"] == len(during_pause)

        # The backlog grew during the pause (by the writes acknowledged in it) and drained after.
        assert len(during_pause) >= 0.5 * rate * drill.setting("worker_replay_pause_seconds"), len(during_pause)
        assert peak >= 0.8 * len(during_pause), (peak, len(during_pause))
        assert all(item["backlog"] <= upper for item in samples[-steady:])
        observed_peak = max(pending for moment, pending, _ in observer.readings if paused <= moment <= resumed + 5)
        assert observed_peak >= 0.8 * len(during_pause), observed_peak

        # The drain time agrees with the independent observer within one sample interval.
        observed = observer.drained_at(resumed, upper, steady, interval)
        assert observed is not None, "the observer never saw the backlog drain"
        difference = figures["drain_seconds"]["value"] - (observed - resumed)
        print(f"\ndrain: reported {figures['drain_seconds']['value']:.3f}s, observer {observed - resumed:.3f}s, "
              f"difference {difference:+.3f}s (sample interval {interval}s); peak {peak}, baseline {base}")
        assert abs(difference) <= interval + OBSERVER_INTERVAL

        # The real outage: the worker stopped processing on SIGTERM, seconds before the platform said
        # stopped (worker_paused), and began again seconds after its start (worker_resumed). The
        # drill's figure covers what the observer saw (its processed count), to within the samples.
        stop_from, stop_to = observer.processing_stopped(resumed)
        start_from, start_to = observer.processing_resumed(resumed)
        outage = replay["details"]["outage"]
        real = figures["real_outage_seconds"]["value"]
        assert real == pytest.approx(outage["resumed_mono"] - outage["stopped_mono"], abs=1e-3)
        assert outage["stopped_mono"] <= stop_to and outage["resumed_mono"] >= start_from  # never shorter
        # Within about one sample interval each: bounded here by the gaps between the samples taken
        # around the moment (a loaded machine stretches them).
        assert stop_to - outage["stopped_mono"] <= 2 * sample_gap(samples, stop_to) + OBSERVER_INTERVAL
        assert outage["resumed_mono"] - start_from <= 3 * sample_gap(samples, start_from) + OBSERVER_INTERVAL
        assert markers["worker_stop_requested"]["mono"] <= outage["stopped_mono"] < paused - STOP_DELAY + 1.0
        assert outage["resumed_mono"] >= resumed + START_DELAY
        assert real >= figures["pause_seconds"]["value"] + START_DELAY + STOP_DELAY - 1.0
        print(f"real outage: reported {real:.3f}s (pause {figures['pause_seconds']['value']:.3f}s), observer "
              f"{start_from - stop_to:.3f}..{start_to - stop_from:.3f}s")

        # The replay proof checked every write acknowledged from the stop command to the first
        # processing after the resume, all processed: as many as the observer saw written while the
        # worker processed nothing (its own count of outbox events), and more than the pause's.
        window = replay["details"]["proof_window"]
        assert window["from_mono"] == markers["worker_stop_requested"]["mono"]
        assert window["to_mono"] == outage["resumed_mono"]
        during_outage = [item for item in writes if item["ok"] and window["from_mono"] <= item["mono"] <= window["to_mono"]]
        proof = next(item for item in replay["checks"] if item["name"] == "replay_proof")
        assert proof["passed"] and proof["observed"]["checked"] == len(during_outage) == proof["observed"]["processed"]
        assert figures["writes_during_outage"]["value"] == len(during_outage)
        fewest, _ = observer.events_written(stop_to, start_from)
        assert len(during_outage) >= fewest - 1, (len(during_outage), fewest)
        assert len(during_outage) >= len(during_pause) + 0.5 * rate * (STOP_DELAY + START_DELAY)
        record = json.loads((bundle / "records" / "replay_proof.json").read_text())
        assert sorted(record["checked_ids"]) == sorted(item["captured"]["id"] for item in during_outage)
        # Every write acknowledged while the observer saw no processing is among them.
        waited = {item["captured"]["id"] for item in writes if item["ok"] and stop_to <= item["mono"] <= start_from}
        assert waited <= set(record["checked_ids"])
        assert {gate["name"] for gate in replay["checks"] if gate["name"].startswith("gate:")} == \
            {"gate:health-gate", "gate:consistency-check-cross-tenant"}

        report = (bundle / "report.md").read_text()
        assert "Worker paused for `" in report and "under controlled write traffic" in report
        assert "Real outage, no processing: `" in report and "Real outage (no processing): `" in report
        assert "Processing stopped (measured): `" in report and "Processing resumed (measured): `" in report
        assert "Real outage (no processing)" in drill.output  # the console summary
        assert "Worker resumed and backlog drained in `" in report and "Post-recovery gates passed: `" in report
        svg = (bundle / "plots" / "replay.svg").read_text()
        assert all(label in svg for label in ("paused", "resumed", "drained"))

        # Safety: nothing left open, no secret in the bundle, the bundle verifies.
        assert open_entries(bundle) == []
        secrets = [sandbox.facts["db"]["password"], *sandbox.api_keys.values()]
        for path in bundle.rglob("*"):
            if path.is_file():
                text = path.read_text(errors="replace")
                assert not any(secret in text for secret in secrets), path
        verified = subprocess.run([str(BIN / "hadrill"), "verify", str(bundle)], capture_output=True, text=True,
                                  env=env_for(tmp_path), timeout=60)
        assert verified.returncode == 0, verified.stderr
        assert sandbox.program_states()[sandbox.worker_program] == "RUNNING"
    finally:
        clear_worker_faults(sandbox)
        leave_serving(sandbox)


# --- 2. a poison event dead-lettered during the drill fails it on "failed events grew" --------

def test_replay_poison_event_fails_on_failed_events_grew(sandbox, tmp_path):
    poison_id: list[int] = []
    try:
        with psycopg.connect(sandbox.db_admin_dsn, autocommit=True) as connection:
            missing = connection.execute("SELECT coalesce(max(id), 0) + 1000000000 FROM memories").fetchone()[0]
        drill = start_drill(sandbox, tmp_path, *extra_vars(
            worker_replay_backlog_source="prometheus", worker_replay_proof_method="sql",
            # The hard cap ends the 60 s pause after about 3 s of writes.
            worker_replay_baseline_seconds=2, worker_replay_pause_seconds=60, worker_replay_backlog_cap=30,
            # The command platform adapter, with the inventory's commands (templated per host).
            **COMMAND_ADAPTER,
        ))
        try:
            drill.wait_marker("worker_paused")
            with psycopg.connect(sandbox.db_admin_dsn, autocommit=True) as connection:
                # An event whose memory does not exist: the worker retries it, then dead-letters it.
                poison_id.append(connection.execute(
                    "INSERT INTO outbox (memory_id, tenant, event_type, payload) "
                    "VALUES (%s, 'default', 'memory.written', %s) RETURNING id",
                    (missing, json.dumps({"memory_id": missing})),
                ).fetchone()[0])
        finally:
            rc = drill.wait()
        assert rc == 1, drill.output[-4000:]
        summary = drill.summary()
        replay = summary["scenarios"]["replay"]
        assert replay["outcome"] == "fail"
        assert any("failed events grew" in reason for reason in replay["reasons"]), replay["reasons"]
        # The scenario ran to its end: the dead letter is a finding, not a crash of the drill.
        markers = replay_markers(list(read_lines(drill.bundle / "events.jsonl")))
        assert {"drained", "gates_finished", "scenario_finished"} <= set(markers) and "scenario_failed" not in markers
        gate = next(item for item in replay["checks"] if item["name"] == "gate:health-gate")
        assert not gate["passed"]  # --strict-warnings: a failed event is a warning
        figures = figures_of(summary)
        assert figures["failed_after"]["value"] == figures["failed_before"]["value"] + 1
        with psycopg.connect(sandbox.db_admin_dsn, autocommit=True) as connection:
            status = connection.execute("SELECT status FROM outbox WHERE id = %s", (poison_id[0],)).fetchone()[0]
        assert status == "failed"
        report = (drill.bundle / "report.md").read_text()
        assert "failed events grew" in report
        # The work the drill itself wrote was replayed (SQL read-back) and measured from the gauge.
        proof = next(item for item in replay["checks"] if item["name"] == "replay_proof")
        assert proof["passed"] and proof["observed"]["checked"] > 0, proof
        samples = list(read_lines(drill.bundle / "samples" / "replay_backlog.jsonl"))
        assert samples and all(item["source"] == "prometheus" for item in samples)
        assert figures["drain_seconds"]["verdict"] == "pass"
        # Resumed early at the cap: the first sample above 30 ended the pause.
        cap = markers["backlog_cap_reached"]
        assert cap["data"]["sample"]["backlog"] > 30 and markers["worker_resumed"]["data"]["why"] == "backlog cap reached"
        first_above = next(item for item in samples if item["mono"] >= markers["worker_paused"]["mono"] and item["backlog"] > 30)
        assert cap["data"]["sample"]["mono"] == pytest.approx(first_above["mono"])
        assert figures["pause_seconds"]["value"] < 30 and figures["peak_backlog"]["value"] > 30
        assert "resumed early: the backlog passed the cap of 30" in replay["execution"][0]
        # Paused and resumed through the command adapter: the drill's worker host had it, and the
        # adapter's stop and start ran on that host.
        hosts = json.loads((drill.bundle / "drill.json").read_text())["config"]["hosts"]
        assert hosts["worker"][WORKER]["platform_adapter"] == "command"
        changes = [item["task"] for item in read_lines(drill.bundle / "events.jsonl") if item.get("event") == "task"
                   and item.get("action") == "hadrill.drills.platform" and item.get("delegated_to") == WORKER
                   and item.get("time") == "service" and item["status"] == "ok"]
        assert any("Stop every worker" in task for task in changes) and any("Start every paused worker" in task for task in changes), changes
    finally:
        if poison_id:
            with psycopg.connect(sandbox.db_admin_dsn, autocommit=True) as connection:
                connection.execute("DELETE FROM outbox WHERE id = %s", (poison_id[0],))
        leave_serving(sandbox)


# --- 3. a worker that does not come back fails the scenario within the drain timeout ---------

def test_replay_worker_that_does_not_start_fails_with_a_clear_reason(sandbox, tmp_path):
    link = worker_link(sandbox)
    original = Path(os.readlink(link))
    # A release that is not installed: supervisord cannot even enter the release directory, so
    # every start fails at once whatever the machine's load (a release that exits at startup,
    # such as v0.1.5 against schema 3, can outlive startsecs on a busy machine and look RUNNING).
    broken = sandbox.release_dir("v0.0.0-not-installed")
    assert not broken.exists() and original != broken
    psql = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
    count = "{psql} -XAtq -d '{dsn}' -c \"SELECT count(*) FROM outbox WHERE status = '{status}'\""
    try:
        drill = start_drill(sandbox, tmp_path, *extra_vars(
            worker_replay_backlog_source="command",
            worker_replay_backlog_command=count.format(psql=psql, dsn=sandbox.db_admin_dsn, status="pending"),
            worker_replay_failed_command=count.format(psql=psql, dsn=sandbox.db_admin_dsn, status="failed"),
            worker_replay_baseline_seconds=2, worker_replay_pause_seconds=5,
        ))
        try:
            drill.wait_marker("worker_paused")
            point_link(link, broken)
        finally:
            rc = drill.wait()
        assert rc == 1, drill.output[-4000:]
        summary = drill.summary()
        replay = summary["scenarios"]["replay"]
        assert replay["outcome"] == "fail"
        reason = next(reason for reason in replay["reasons"] if "did not come back" in reason)
        assert WORKER in reason and any(state in reason for state in ("BACKOFF", "FATAL", "STARTING", "EXITED"))
        markers = replay_markers(list(read_lines(drill.bundle / "events.jsonl")))
        assert markers["scenario_failed"]["mono"] - markers["worker_resumed"]["mono"] <= \
            drill.setting("worker_replay_drain_timeout_seconds")
        # The always section tried again, recorded that it could not, and left the undo open.
        assert markers["worker_resume_failed"]["data"]["worker"] == WORKER
        assert [entry.id for entry in open_entries(drill.bundle)] == [f"replay-pause-{WORKER}"]
        assert "scenario_finished" not in markers and "traffic_stopped" in markers
        samples = list(read_lines(drill.bundle / "samples" / "replay_backlog.jsonl"))
        assert samples and all(item["source"] == "command" and item["ok"] for item in samples)
        drill_json = (drill.bundle / "drill.json").read_text()
        assert sandbox.facts["db"]["password"] not in drill_json and "REDACTED" in drill_json
    finally:
        leave_serving(sandbox, original)
        # The undo left open (in the journal on the target side too) refuses every later drill of
        # the sandbox until recovered, as an operator would.
        subprocess.run([str(BIN / "hadrill"), "recover", *sandbox.inventory_args], cwd=REPO, env=env_for(tmp_path),
                       capture_output=True, text=True, timeout=600)


# --- 4. a backlog rising during the baseline: nothing is paused, the scenario is incomplete ----

def test_replay_rising_baseline_is_incomplete_and_pauses_nothing(sandbox, tmp_path):
    try:
        with Observer(sandbox.db_admin_dsn) as observer:
            drill = start_drill(sandbox, tmp_path, *extra_vars(worker_replay_baseline_seconds=5))
            try:
                # The worker slows down to about 2 events/s under 10 writes/s as the baseline starts.
                drill.wait_marker("backlog_sampler_started")
                set_worker_faults(sandbox, event_delay_seconds=0.5)
            finally:
                rc = drill.wait()
        assert rc == 2, drill.output[-4000:]
        summary = drill.summary()
        replay = summary["scenarios"]["replay"]
        assert summary["result"] == "partial" and replay["outcome"] == "incomplete"
        reason = replay["reasons"][0]
        assert reason.startswith("the backlog was not steady during the baseline: rising (Theil-Sen slope"), reason
        assert reason.endswith("; the workers were not paused")
        assert any(reason in item for item in summary["result_reasons"])
        markers = replay_markers(list(read_lines(drill.bundle / "events.jsonl")))
        assert {"baseline_unsteady", "scenario_finished", "traffic_stopped"} <= set(markers)
        assert not {"worker_stop_requested", "worker_paused", "worker_resumed"} & set(markers)
        assert open_entries(drill.bundle) == []
        trend = replay["details"]["baseline_trend"]
        assert trend["steady"] is False and trend["slope_per_second"] > 0 and trend["drift"] > trend["allowed"]
        assert set(figures_of(summary)) == {"baseline_backlog", "baseline_drift"}
        # The test's own counter saw the backlog rise by more than the envelope allows during the
        # baseline window, and the worker was never stopped (it processed throughout).
        start = markers["baseline_started"]["mono"]
        end = start + drill.setting("worker_replay_baseline_seconds")
        window = [pending for moment, pending, _ in observer.readings if start <= moment <= end]
        assert window[-1] - window[0] > trend["allowed"], (window[0], window[-1], trend)
        done = [item[4] for item in observer.counts if start <= item[1] <= markers["scenario_finished"]["mono"]]
        assert done[-1] > done[0]
        report = (drill.bundle / "report.md").read_text()
        assert "so the worker was not paused" in report and "Result: `incomplete`" in report
    finally:
        clear_worker_faults(sandbox)
        leave_serving(sandbox)


# --- 5. a slow drain past its timeout: watched on, the replay still proven ---------------------

def test_replay_drain_timeout_still_proves_the_replay_slow_nothing_lost(sandbox, tmp_path):
    drain_timeout = 2
    try:
        # About 6-9 events/s against 3 writes/s: a steady baseline, but a slow drain.
        set_worker_faults(sandbox, event_delay_seconds=0.1)
        with Observer(sandbox.db_admin_dsn) as observer:
            drill = start_drill(sandbox, tmp_path, *extra_vars(
                worker_replay_write_rate=3, worker_replay_pause_seconds=6,
                worker_replay_drain_timeout_seconds=drain_timeout, worker_replay_drain_overtime_seconds=90,
                # A drain timeout may not be shorter than the drain threshold.
                drill_thresholds={**inventory_thresholds(), "drain_seconds": drain_timeout},
                worker_replay_resume_check_seconds=0,
                worker_replay_processed_query="SELECT count(*) FROM outbox WHERE status = 'done'",
            ))
            rc = drill.wait()
        assert rc == 1, drill.output[-4000:]
        summary = drill.summary()
        replay = summary["scenarios"]["replay"]
        assert replay["outcome"] == "fail"
        markers = replay_markers(list(read_lines(drill.bundle / "events.jsonl")))
        resumed = markers["worker_resumed"]["mono"]
        assert markers["drain_overtime"]["data"]["watching"] is True
        assert resumed < markers["drain_timeout"]["mono"] < markers["drained"]["mono"] < markers["scenario_finished"]["mono"]
        assert "scenario_failed" not in markers  # every phase ran: the proof, the gates

        # The drain the drill reports is the one the test's own counter saw, after the timeout.
        figures = figures_of(summary)
        drain = figures["drain_seconds"]["value"]
        assert drain > drain_timeout and "in the extra watch" in figures["drain_seconds"]["source"]
        upper = replay["details"]["envelope"]["upper"]
        observed = observer.drained_at(resumed, upper, drill.setting("worker_replay_steady_samples"),
                                       drill.setting("worker_replay_sample_interval_seconds"))
        assert observed is not None and observed - resumed > drain_timeout
        assert abs(drain - (observed - resumed)) <= drill.setting("worker_replay_sample_interval_seconds") + OBSERVER_INTERVAL

        # The proof ran and found every write of the outage processed: slow, nothing lost.
        proof = next(item for item in replay["checks"] if item["name"] == "replay_proof")
        assert proof["passed"] and proof["observed"]["checked"] == proof["observed"]["processed"] > 0
        reason = next(item for item in replay["reasons"] if "did not drain within" in item)
        assert f"did not drain within {drain_timeout}s after the resume" in reason
        assert f"it drained {drain:.1f}s after the resume, in the extra watch" in reason
        assert reason.endswith(f"slow, nothing lost: {proof['observed']['checked']}/{proof['observed']['checked']} "
                               "writes acknowledged during the outage were processed")
        assert any("slow, nothing lost" in line for line in replay["execution"])
        assert "slow, nothing lost" in (drill.bundle / "report.md").read_text()
        # The outage was told from the processed reading; the test's own counter saw at least as many
        # events processed from the stop command to the drain as the proof checked (the drill's
        # cleanup removes its writes afterwards, so the counts are read while it runs).
        assert replay["details"]["outage"]["method"] == "processed"
        done_at = {item[1]: item[4] for item in observer.counts}
        stop, drained = markers["worker_stop_requested"]["mono"], markers["drained"]["mono"]
        before = max((moment for moment in done_at if moment <= stop))
        after = min((moment for moment in done_at if moment >= drained))
        assert done_at[after] - done_at[before] >= proof["observed"]["checked"]
        samples = list(read_lines(drill.bundle / "samples" / "replay_backlog.jsonl"))
        assert all(item["processed"] is not None for item in samples)
        assert open_entries(drill.bundle) == []
    finally:
        clear_worker_faults(sandbox)
        leave_serving(sandbox)
