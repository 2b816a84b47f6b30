"""The drill run the way AWX runs it (issue 14, first "Done when"): ansible-runner with a private data
directory per job, the collection installed from its built tarball and the wheel installed into a
fresh virtualenv outside the checkout (what an execution environment holds), AWX's environment
variables and awx_* extra variables, no hadrill CLI.

One job is cancelled mid-rollback through ansible-runner's cancel callback (it SIGKILLs
ansible-playbook's process group; then every process of the job is killed, and its private data
directory and evidence are deleted: the container is gone). The next drill job refuses to start;
the recover job, from a fresh private data directory with only the inventory, undoes what the
journal on the target side says is open; the sandbox is back at baseline; the next drill job
passes and its result reaches AWX's job artifacts (set_stats). A partial drill fails the job.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from hadrill import processes
from hadrill.events import read_lines
from tests.integration.conftest import SANDBOX_VARS
from tests.integration.rollback.rollback_support import TEST_THRESHOLDS, all_backends_up, api_releases, restore_current_release
from tests.support.wait import wait_until

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
DRIVER = Path(__file__).resolve().parent / "runner_job.py"
AWX_HOST = f"https://awx.test.invalid/{uuid.uuid4().hex[:8]}"  # marks this module's jobs' processes
PROJECT_REVISION = "0123456789abcdef0123456789abcdef01234567"
# The project's ansible.cfg, as the repository's enables the timer callback for AWX's project checkout.
ANSIBLE_CFG = """[defaults]
callbacks_enabled = hadrill.drills.timer
interpreter_python = auto_silent
retry_files_enabled = False
host_key_checking = False
"""


def _run(command: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def awx(dist: dict[str, Path], packaging_root: Path, sandbox) -> dict[str, Path]:
    """An execution environment's contents: a fresh venv with the wheel (and so ansible-runner),
    a collections path with the tarball. Nothing of the checkout is on its paths."""
    base = packaging_root / "awx"
    base.mkdir()
    venv = base / "venv"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "HADRILL_", "VIRTUAL_ENV", "PYTHON"))}
    made = _run(["/usr/bin/python3", "-m", "venv", str(venv)], cwd=base, env=env)
    assert made.returncode == 0, made.stderr
    pip = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(dist["wheel"])], cwd=base, env=env)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    collections = base / "collections"
    galaxy = _run([str(venv / "bin" / "ansible-galaxy"), "collection", "install", "-p", str(collections), str(dist["tarball"])],
                  cwd=base, env=env)
    assert galaxy.returncode == 0, galaxy.stdout + galaxy.stderr
    return {"base": base, "venv": venv, "collections": collections}


class Jobs:
    """AWX's side: one private data directory per job (project, inventory, env/), run by the venv's
    ansible-runner through runner_job.py."""

    def __init__(self, awx: dict[str, Path], sandbox):
        self.awx = awx
        self.sandbox = sandbox
        self.next_id = 9000 + (os.getpid() % 1000)
        self.jobs: dict[int, Path] = {}

    def private_dir(self, playbook: str, extravars: dict[str, Any]) -> tuple[int, Path]:
        job_id = self.next_id
        self.next_id += 1
        private = self.awx["base"] / f"job-{job_id}"
        (private / "project").mkdir(parents=True)
        (private / "env").mkdir()
        (private / "project" / "ansible.cfg").write_text(ANSIBLE_CFG)
        (private / "project" / f"{playbook}.yml").write_text(
            f"---\n- name: hadrill {playbook}\n  ansible.builtin.import_playbook: hadrill.drills.{playbook}\n")
        shutil.copytree(REPO / "inventories" / "local", private / "inventory")
        # What AWX gives ansible-playbook (awx/main/tasks/jobs.py RunJob.build_env), and where an
        # execution environment keeps its collections and Python.
        envvars = {"JOB_ID": str(job_id), "INVENTORY_ID": "7", "PROJECT_REVISION": PROJECT_REVISION, "AWX_HOST": AWX_HOST,
                   "ANSIBLE_COLLECTIONS_PATH": str(self.awx["collections"]), "ANSIBLE_NOCOLOR": "1",
                   "PATH": f"{self.awx['venv'] / 'bin'}:/usr/bin:/bin"}
        (private / "env" / "envvars").write_text(json.dumps(envvars))
        # AWX's own extra variables (UnifiedJob.awx_meta_vars), the inventory overlay of a private
        # sandbox (an AWX inventory would hold it), then the job's.
        meta = {"awx_job_id": job_id, "awx_job_launch_type": "manual", "awx_user_name": "alice",
                "awx_job_template_name": f"hadrill {playbook} (sandbox)", "awx_project_revision": PROJECT_REVISION,
                "awx_inventory_name": "hadrill sandbox"}
        overlay = yaml.safe_load(Path(SANDBOX_VARS).read_text()) if SANDBOX_VARS else {}
        (private / "env" / "extravars").write_text(json.dumps({**meta, **overlay, **extravars}))
        self.jobs[job_id] = private
        return job_id, private

    def start(self, playbook: str, extravars: dict[str, Any] | None = None) -> tuple[int, Path, subprocess.Popen]:
        job_id, private = self.private_dir(playbook, extravars or {})
        env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "HADRILL_", "VIRTUAL_ENV", "PYTHON"))}
        env["PATH"] = f"{self.awx['venv'] / 'bin'}:/usr/bin:/bin"
        process = subprocess.Popen([str(self.awx["venv"] / "bin" / "python"), str(DRIVER), str(private), f"{playbook}.yml",
                                    str(private / "cancel"), str(private / "result.json")],
                                   cwd=self.awx["base"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return job_id, private, process

    def run(self, playbook: str, extravars: dict[str, Any] | None = None, timeout: float = 900) -> tuple[int, Path, dict]:
        job_id, private, process = self.start(playbook, extravars)
        output, _ = process.communicate(timeout=timeout)
        return job_id, private, self.result(private, output)

    @staticmethod
    def result(private: Path, output: str = "") -> dict[str, Any]:
        path = private / "result.json"
        assert path.exists(), f"the job left no result: {output[-3000:]}"
        return json.loads(path.read_text())

    def kill_container(self, job_id: int) -> list[int]:
        """Every process of the job (its environment carries the job's JOB_ID and AWX_HOST): what
        deleting its container does. Repeated until none is left (a dying worker may have forked)."""
        killed: list[int] = []
        for _ in range(50):
            found = [pid for pid in _pids() if _of_job(pid, job_id)]
            if not found:
                return killed
            for pid in found:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            killed += found
            time.sleep(0.1)
        raise AssertionError(f"processes of job {job_id} still alive: {[pid for pid in _pids() if _of_job(pid, job_id)]}")


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit() and int(entry.name) != os.getpid()]


def _of_job(pid: int, job_id: int | None = None) -> bool:
    env = processes.environ(pid) or {}
    return env.get("AWX_HOST") == AWX_HOST and (job_id is None or env.get("JOB_ID") == str(job_id)) \
        and processes.state(pid) not in {"Z", None}


def _bundles(private: Path) -> list[Path]:
    return sorted((private / "project" / "artifacts" / "ha_drill").glob("ha_drill_*"))


def _rollback_phase_reached(private: Path, phase: str) -> Path | None:
    for bundle in _bundles(private):
        for item in read_lines(bundle / "events.jsonl"):
            if item.get("event") == "task" and item.get("scenario") == "rollback" and item.get("phase") == phase:
                return bundle
    return None


def _journal(sandbox, where: str, *params: Any) -> list[dict[str, Any]]:
    with psycopg.connect(sandbox.db_admin_dsn, autocommit=True, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute(f"select * from hadrill_journal where {where} order by opened_at", params).fetchall()


def _assert_at_baseline(sandbox, releases_before: dict[str, str]) -> None:
    """Replicas on a safe release and UP in HAProxy, the worker running, no verification instance,
    port or directory, no process of any of these jobs, nothing open in the journal."""
    known_good = sandbox.facts["known_good_release"]
    assert all(release in {releases_before[host], known_good} for host, release in api_releases(sandbox).items()), \
        api_releases(sandbox)
    assert all_backends_up(sandbox)
    assert sandbox.program_states().get(sandbox.worker_program) == "RUNNING"
    wait_until(sandbox.healthy, timeout=60, interval=0.5, what="the sandbox to serve")
    root = Path(sandbox.facts["restore_work_root"])
    leftovers = [path for path in root.iterdir() if path.name != ".hadrill-work-root"] if root.exists() else []
    assert leftovers == [], leftovers
    listening = Path("/proc/net/tcp").read_text()
    assert not [port for port in sandbox.facts["restore_ports"] if f":{port:04X} " in listening]
    assert [pid for pid in _pids() if _of_job(pid)] == []
    environment = sandbox.facts["drill_environment"]
    assert _journal(sandbox, "environment = %s and kind = 'entry' and closed_at is null", environment) == []


def test_a_cancelled_job_is_recovered_from_the_inventory_alone(awx, sandbox):
    restore_current_release(sandbox)
    releases_before = api_releases(sandbox)
    jobs = Jobs(awx, sandbox)
    rollback = {"drill_scenarios": "rollback", "drill_owner": "awx-it", **json.loads(TEST_THRESHOLDS)}
    try:
        # 1. A drill job, cancelled mid-rollback (AWX's cancel: SIGKILL of ansible-playbook's group).
        killed_id, killed_dir, process = jobs.start("drill", rollback)
        try:
            bundle = wait_until(lambda: _rollback_phase_reached(killed_dir, "recover") if process.poll() is None else
                                pytest.fail(f"the job ended before the rollback: {process.stdout.read()[-2000:]}"
                                            f"{json.dumps(jobs.result(killed_dir), indent=1)[-6000:]}"),
                                timeout=600, interval=0.1, what="the rollback drill to roll back")
            (killed_dir / "cancel").touch()
            process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
        assert jobs.result(killed_dir)["status"] == "canceled"
        killed_drill = bundle.name
        # The container is gone: its processes, its private data directory, the evidence in it.
        jobs.kill_container(killed_id)
        shutil.rmtree(killed_dir)
        left_open = _journal(sandbox, "drill_id = %s and kind = 'entry' and closed_at is null", killed_drill)
        assert left_open, "the cancelled drill left nothing open: it was not cancelled mid-rollback"
        [row] = _journal(sandbox, "drill_id = %s and kind = 'drill'", killed_drill)
        assert row["detail"]["evidence_dir"] == str(bundle) and str(row["detail"]["launch"]["job_id"]) == str(killed_id)
        assert "seal" not in row["detail"], "the killed drill never sealed its bundle"

        # 2. The next drill job refuses to start, and creates nothing.
        refused_id, refused_dir, refused = jobs.run("drill", rollback)
        assert refused["status"] == "failed", refused["stdout_tail"]
        message = refused["failures"][0]["msg"]
        assert f"previous drill {killed_drill}" in message and "stopped without undoing" in message, message
        assert "recover" in message and "Nothing was changed" in message
        assert _bundles(refused_dir) == []
        assert _journal(sandbox, "kind = 'drill' and detail->'launch'->>'job_id' = %s", str(refused_id)) == []

        # 3. The recover job, from a fresh private data directory with only the inventory.
        _, recover_dir, recovered = jobs.run("recover")
        assert recovered["status"] == "successful", recovered["stdout_tail"]
        outcome = recovered["artifacts"]["hadrill_recovery"]
        [drill] = [item for item in outcome["drills"] if item["drill_id"] == killed_drill]
        assert drill["undone"] == len(left_open) and drill["failed"] == 0 and drill["still_open"] == []
        assert "never sealed" in drill["where"] and str(bundle) in drill["where"], drill["where"]
        [row] = _journal(sandbox, "drill_id = %s and kind = 'drill'", killed_drill)
        assert row["detail"]["recovered"]["bundle"] == "not on the recovering controller"
        assert sorted(row["detail"]["recovered"]["undone"]) == sorted(item["entry_id"] for item in left_open)

        # 4. Back at baseline.
        _assert_at_baseline(sandbox, releases_before)

        # 5. The next drill job passes, and AWX sees its result.
        passed_id, passed_dir, passed = jobs.run("drill", rollback)
        assert passed["status"] == "successful" and passed["rc"] == 0, passed["stdout_tail"]
        [bundle] = _bundles(passed_dir)
        summary = json.loads((bundle / "summary.json").read_text())
        assert summary["result"] == "pass", summary["result_reasons"]
        artifacts = passed["artifacts"]
        digest = hashlib.sha256((bundle / "MANIFEST.sha256").read_bytes()).hexdigest()
        assert artifacts["drill_id"] == bundle.name and artifacts["hadrill_result"] == "pass"
        assert artifacts["hadrill_manifest_sha256"] == digest
        assert artifacts["hadrill_evidence"].endswith(f":{bundle}")
        assert artifacts["hadrill_figures"] == {f"rollback.{item['name']}": item["value"]
                                                for item in summary["scenarios"]["rollback"]["figures"]}
        drill_json = json.loads((bundle / "drill.json").read_text())
        assert str(drill_json["launch"]["job_id"]) == str(passed_id) and drill_json["launch"]["launched_by"] == "alice"
        assert drill_json["launch"]["project_revision"] == PROJECT_REVISION
        assert drill_json["launch"]["job_url"] == f"{AWX_HOST}/#/jobs/playbook/{passed_id}/output"
        assert drill_json["collection"] == {"name": "hadrill.drills", "version": summary["hadrill_version"], "source": "installed"}
        [row] = _journal(sandbox, "drill_id = %s and kind = 'drill'", bundle.name)
        assert row["detail"]["seal"]["manifest_sha256"] == digest and row["detail"]["seal"]["result"] == "pass"
        verify = _run([str(REPO / ".venv" / "bin" / "hadrill"), "verify", str(bundle)], cwd=REPO, env=dict(os.environ))
        assert verify.returncode == 0, verify.stdout + verify.stderr
    finally:
        for job_id in list(jobs.jobs):
            jobs.kill_container(job_id)
        restore_current_release(sandbox)


PARTIAL_PLAYBOOK = """---
- name: The drill playbook's last task, on a drill whose result is {result}
  hosts: localhost
  gather_facts: false
  vars:
    drill_id: ha_drill_20260101_awx_01
    drill_evidence: {{result: {result}, result_reasons: [a scenario did not finish]}}
    drill_evidence_stored: {{location: "controller:/evidence/ha_drill_20260101_awx_01", upload_failed: false}}
  tasks:
{task}
"""


@pytest.mark.parametrize("result,fail_on_partial,status", [
    ("partial", None, "failed"), ("partial", False, "successful"), ("pass", None, "successful"), ("fail", False, "failed")])
def test_partial_fails_the_job_by_default(tmp_path, result, fail_on_partial, status):
    """The real final task of collection/playbooks/drill.yml, run by ansible-runner on the drill's
    registered results: a partial drill is a failed job unless drill_fail_job_on_partial is false."""
    import ansible_runner

    plays = yaml.safe_load((REPO / "collection" / "playbooks" / "drill.yml").read_text())
    [task] = [item for item in plays[0]["tasks"] if item["name"] == "Fail the run when the drill failed"]
    private = tmp_path / "job"
    (private / "project").mkdir(parents=True)
    (private / "project" / "final.yml").write_text(
        PARTIAL_PLAYBOOK.format(result=result, task="    " + yaml.safe_dump([task]).replace("\n", "\n    ")))
    extravars = {} if fail_on_partial is None else {"drill_fail_job_on_partial": fail_on_partial}
    runner = ansible_runner.run(private_data_dir=str(private), playbook="final.yml", extravars=extravars, quiet=True,
                                envvars={"PATH": str(REPO / ".venv" / "bin") + os.pathsep + os.environ["PATH"]})
    assert runner.status == status, runner.stdout.read()[-2000:]
    if status == "failed":
        failed = [event["event_data"]["res"]["msg"] for event in runner.events if event["event"] == "runner_on_failed"]
        assert failed and f"Drill ha_drill_20260101_awx_01 {'was partial' if result == 'partial' else 'failed'}" in failed[0]
