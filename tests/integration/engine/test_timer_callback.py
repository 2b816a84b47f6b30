"""The timer callback against an independent clock: tasks that sleep a known time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from hadrill.clock import parse_utc
from hadrill.events import read_lines
from hadrill.redact import REDACTED
from hadrill.runtime import secrets_file

REPO = Path(__file__).resolve().parents[3]
# A task that sleeps a known time and reads the clock itself: the independent clock.
SLEEP_PLUGIN = """
import time
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        began = time.monotonic()
        time.sleep(float(self._task.args["seconds"]))
        return {"began": began, "ended": time.monotonic()}
"""

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: sleep one second
      sleep_known: {seconds: 1}
      register: first
    - name: sleep two seconds
      sleep_known: {seconds: 2}
      register: second
    - name: sleep half a second
      sleep_known: {seconds: 0.5}
      register: third
    - name: keep the independent readings
      ansible.builtin.copy:
        content: "{{ {'sleep one second': first, 'sleep two seconds': second, 'sleep half a second': third} | to_json }}"
        dest: "{{ readings }}"
    - name: a failing task
      ansible.builtin.fail:
        msg: planned failure
      ignore_errors: true
"""

pytestmark = pytest.mark.integration


def ansible_env(evidence: Path | None, plugins: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    if plugins is not None:
        env["ANSIBLE_ACTION_PLUGINS"] = str(plugins)
    env["PATH"] = str(REPO / ".venv" / "bin") + os.pathsep + env.get("PATH", "")
    if evidence is not None:
        env["HADRILL_EVIDENCE_DIR"] = str(evidence)
    return env


def write_plugin(tmp_path: Path) -> Path:
    plugins = tmp_path / "action_plugins"
    plugins.mkdir()
    (plugins / "sleep_known.py").write_text(SLEEP_PLUGIN)
    return plugins


GAP_BOUND = 0.5  # seconds between a task's recorded edge and its action's own reading: Ansible's work only


def run_playbook(tmp_path: Path, text: str, evidence: Path, readings: Path) -> None:
    playbook = tmp_path / "sleep.yml"
    playbook.write_text(text)
    subprocess.run(
        ["ansible-playbook", "-i", "localhost,", "-c", "local", "-e", f"readings={readings}",
         "-e", "ansible_python_interpreter=" + str(REPO / ".venv" / "bin" / "python"), str(playbook)],
        env=ansible_env(evidence, write_plugin(tmp_path)), check=True, capture_output=True, timeout=120,
    )


def test_task_timings_bracket_each_tasks_own_readings(tmp_path):
    """Each task's recorded interval contains the interval its action measured itself, and only
    Ansible's own work around the action lies between them. The bound on that gap is loose on
    purpose (a timer that recorded another task's times is off by seconds; a loaded machine adds
    tens of milliseconds of fork and module start-up, which is not a timing error)."""
    evidence, readings = tmp_path / "evidence", tmp_path / "readings.json"
    before_wall = datetime.now(timezone.utc)
    before = time.monotonic()
    run_playbook(tmp_path, PLAYBOOK, evidence, readings)
    after = time.monotonic()
    after_wall = datetime.now(timezone.utc)
    tasks = [item for item in read_lines(evidence / "events.jsonl") if item["event"] == "task"]
    by_name = {item["task"]: item for item in tasks}
    independent = json.loads(readings.read_text())
    for name, expected in (("sleep one second", 1.0), ("sleep two seconds", 2.0), ("sleep half a second", 0.5)):
        recorded, truth = by_name[name], independent[name]
        assert truth["ended"] - truth["began"] >= expected, truth
        assert 0 <= truth["began"] - recorded["start_mono"] < GAP_BOUND, (recorded, truth)
        assert 0 <= recorded["end_mono"] - truth["ended"] < GAP_BOUND, (recorded, truth)
        assert recorded["duration_s"] >= truth["ended"] - truth["began"], (recorded, truth)
    # wall and monotonic readings agree with each other and sit inside the test's own clock readings
    for item in tasks:
        assert before <= item["start_mono"] <= item["end_mono"] <= after
        start, end = parse_utc(item["start_ts"]), parse_utc(item["end_ts"])
        assert before_wall <= start <= end <= after_wall
        assert abs((end - start).total_seconds() - item["duration_s"]) < 0.005
    ordered = sorted(tasks, key=lambda item: item["start_mono"])
    assert [item["task"] for item in ordered] == [
        "sleep one second", "sleep two seconds", "sleep half a second", "keep the independent readings", "a failing task"]
    failed = by_name["a failing task"]
    assert failed["status"] == "failed" and failed["ignored"] is True and failed["msg"] == "planned failure"
    assert [item["event"] for item in read_lines(evidence / "events.jsonl")][-1] == "playbook_end"


def test_events_are_on_disk_while_the_playbook_still_runs(tmp_path):
    playbook = tmp_path / "long.yml"
    playbook.write_text(PLAYBOOK.replace("seconds: 2}", "seconds: 30}"))
    evidence = tmp_path / "evidence"
    process = subprocess.Popen(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e", "readings=/dev/null",
                                str(playbook)],
                               env=ansible_env(evidence, write_plugin(tmp_path)),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            names = [item.get("task") for item in read_lines(evidence / "events.jsonl")]
            if "sleep one second" in names:
                break
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGKILL)  # a crash of the whole controller: nothing gets to flush
        process.wait(timeout=30)
        names = [item.get("task") for item in read_lines(evidence / "events.jsonl")]
        assert "sleep one second" in names
        assert "sleep two seconds" not in names
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        kill_matching(str(playbook))


def kill_matching(needle: str) -> None:
    """Ansible's workers call setsid(), so they outlive a kill of the process group: find them."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if needle in cmdline:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except ProcessLookupError:
                pass


QUIET_PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: mark the wait's start
      ansible.builtin.file: {path: "{{ marks }}/a", state: touch}
    - name: a configured wait
      ansible.builtin.wait_for: {timeout: 3}
    - name: mark the wait's end
      ansible.builtin.file: {path: "{{ marks }}/b", state: touch}
    - name: a task the callback counts as overhead, as long as the wait
      ansible.builtin.command: sleep 3
    - name: mark its end
      ansible.builtin.file: {path: "{{ marks }}/c", state: touch}
"""


def controller_wakeups(tmp_path: Path, quiet_poll_interval: str | None) -> tuple[int, int]:
    """The controller's voluntary context switches (its main thread: the one that polls for
    results) during the wait and during the overhead task of QUIET_PLAYBOOK, read from /proc as
    each mark appears."""
    marks = tmp_path / f"marks-{quiet_poll_interval}"
    marks.mkdir()
    playbook = tmp_path / "quiet.yml"
    playbook.write_text(QUIET_PLAYBOOK)
    env = ansible_env(tmp_path / f"evidence-{quiet_poll_interval}")
    if quiet_poll_interval is not None:
        env["HADRILL_QUIET_POLL_INTERVAL"] = quiet_poll_interval
    process = subprocess.Popen(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e", f"marks={marks}",
                                "-e", "ansible_python_interpreter=" + str(REPO / ".venv" / "bin" / "python"),
                                str(playbook)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    status = Path(f"/proc/{process.pid}/status")
    seen: dict[str, int] = {}
    try:
        deadline = time.monotonic() + 90
        while len(seen) < 3 and time.monotonic() < deadline and process.poll() is None:
            for mark in "abc":
                if mark not in seen and (marks / mark).exists():
                    line = next(line for line in status.read_text().splitlines() if line.startswith("voluntary_ctxt"))
                    seen[mark] = int(line.split()[1])
            time.sleep(0.05)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert set(seen) == set("abc"), seen
    return seen["b"] - seen["a"], seen["c"] - seen["b"]


def test_the_controller_polls_quietly_while_a_configured_wait_runs(tmp_path):
    """While a wait (or a service task) runs, ansible-playbook checks for results every
    quiet_poll_interval (20 ms) instead of every 1 ms, and the configured interval is back for the
    next task; with quiet_poll_interval 0 every task keeps the configured interval. Counted in the
    controller's own wake-ups over two tasks of the same length (about 3000 at 1 ms)."""
    during_wait, during_overhead = controller_wakeups(tmp_path, None)
    assert during_overhead > 1000, (during_wait, during_overhead)  # the configured 1 ms interval
    assert during_wait < during_overhead / 3, (during_wait, during_overhead)
    during_wait, during_overhead = controller_wakeups(tmp_path, "0")
    assert during_wait > during_overhead / 3, (during_wait, during_overhead)


# Names with every kind of character a line must escape, on every field the callback writes.
ODD_HOSTS = ['db "primary" \\ é', "api→1"]
MARKER_PLUGIN = """
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        return {"changed": True, "hadrill_marker": {"name": self._task.args["name"]}}
"""
ODD_PLAYBOOK = r"""
- name: drill "odd" \ play ✓
  hosts: all
  gather_facts: false
  tasks:
    - name: say "hi" \ {{ 'templated' }}	tab é 🎉
      ansible.builtin.debug: {msg: hello}
      changed_when: true
    - name: delegated to the second host
      ansible.builtin.debug: {msg: delegated}
      delegate_to: "{{ groups['all'][1] }}"
    - name: a loop delegated to every host
      ansible.builtin.debug: {msg: "{{ item }}"}
      delegate_to: "{{ item }}"
      loop: "{{ groups['all'] }}"
    - name: a configured wait
      ansible.builtin.pause: {seconds: 0}
    - name: a marker
      mark_known: {name: 'the "odd" marker é'}
    - name: never runs
      ansible.builtin.debug: {msg: skipped}
      when: false
    - name: a role's task
      ansible.builtin.include_role: {name: api_rollback}
    - name: a failing task
      ansible.builtin.fail: {msg: 'failed "here" \ é 🎉'}
      ignore_errors: true
"""


def test_every_line_is_what_the_json_encoder_writes_whatever_the_names(tmp_path):
    """The callback formats each task's line itself (it runs right after every worker fork); each
    line must be exactly what ``json.dumps`` writes for the same record, and every name must come
    back as it was, for names with quotes, backslashes, tabs, non-ASCII letters and emoji."""
    inventory = tmp_path / "inventory.yml"
    python = str(REPO / ".venv" / "bin" / "python")
    inventory.write_text(json.dumps({"all": {"hosts": {
        name: {"ansible_connection": "local", "ansible_python_interpreter": python} for name in ODD_HOSTS}}}))
    (tmp_path / "roles" / "api_rollback" / "tasks").mkdir(parents=True)
    (tmp_path / "roles" / "api_rollback" / "tasks" / "main.yml").write_text(
        "- ansible.builtin.include_tasks: verify.yml\n")
    (tmp_path / "roles" / "api_rollback" / "tasks" / "verify.yml").write_text(
        "- name: check it\n  ansible.builtin.debug: {msg: checked}\n")
    plugins = write_plugin(tmp_path)
    (plugins / "mark_known.py").write_text(MARKER_PLUGIN)
    playbook = tmp_path / "odd.yml"
    playbook.write_text(ODD_PLAYBOOK)
    evidence = tmp_path / "evidence"
    subprocess.run(["ansible-playbook", "-i", str(inventory), str(playbook)], env=ansible_env(evidence, plugins),
                   cwd=tmp_path, check=True, capture_output=True, timeout=180)

    lines = (evidence / "events.jsonl").read_text(encoding="ascii").splitlines()
    for line in lines:
        assert json.dumps(json.loads(line), separators=(",", ":")) == line
    tasks = [json.loads(line) for line in lines if json.loads(line)["event"] == "task"]
    by_name: dict[str, list[dict]] = {}
    for item in tasks:
        by_name.setdefault(item["task"], []).append(item)
        assert item["play"] == 'drill "odd" \\ play ✓'
        assert item["host"] in ODD_HOSTS
        assert isinstance(item["start_mono"], float) and item["duration_s"] == round(
            item["end_mono"] - item["start_mono"], 6)
    greeting = by_name['say "hi" \\ templated\ttab é 🎉']
    assert sorted(item["host"] for item in greeting) == sorted(ODD_HOSTS)
    assert all(item["changed"] is True and item["status"] == "ok" and item["time"] == "overhead" for item in greeting)
    assert {item["delegated_to"] for item in by_name["delegated to the second host"]} == {ODD_HOSTS[1]}
    assert {item["delegated_to"] for item in by_name["a loop delegated to every host"]} == {
        ", ".join(sorted(ODD_HOSTS))}
    waits = by_name["a configured wait"]
    assert waits and all(item["time"] == "wait" and item["wait_s"] == 0 for item in waits)
    assert all(item["markers"] == ['the "odd" marker é'] for item in by_name["a marker"])
    assert all(item["status"] == "skipped" for item in by_name["never runs"])
    checked = by_name["api_rollback : check it"]
    assert {(item["role"], item["scenario"], item["phase"]) for item in checked} == {("api_rollback", "rollback", "verify")}
    failed = by_name["a failing task"]
    assert all(item["status"] == "failed" and item["ignored"] is True and item["msg"] == 'failed "here" \\ é 🎉'
               for item in failed)
    assert all("role" in item and item["role"] is None for item in greeting)


EVIDENCE_PLUGIN = """
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        return {"hadrill_evidence_dir": self._task.args["path"]}
"""
LATE_EVIDENCE_PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: fails before the evidence directory is known
      ansible.builtin.fail: {msg: "{{ failure }}"}
      ignore_errors: true
    - name: says where the evidence goes
      evidence_known: {path: "{{ evidence }}"}
    - name: after
      ansible.builtin.debug: {msg: after}
"""


def test_lines_made_before_the_evidence_directory_is_known_are_written_once_it_is(tmp_path):
    """Without an evidence directory configured, the callback keeps its lines until a task returns
    one (the drill's start), then writes them in order, a failure message redacted with the drill's
    secrets before it is escaped into the line."""
    evidence = tmp_path / "evidence"
    secret = 's3cret-"quoted"-é-value'
    secrets = secrets_file(evidence)
    secrets.parent.mkdir(parents=True)
    secrets.write_text(json.dumps([secret]))
    plugins = write_plugin(tmp_path)
    (plugins / "evidence_known.py").write_text(EVIDENCE_PLUGIN)
    playbook = tmp_path / "late.yml"
    playbook.write_text(LATE_EVIDENCE_PLAYBOOK)
    subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e", f"evidence={evidence}",
                    "-e", json.dumps({"failure": f"denied with {secret} here"}), str(playbook)],
                   env=ansible_env(None, plugins), check=True, capture_output=True, timeout=120)

    text = (evidence / "events.jsonl").read_text()
    assert secret not in text and json.dumps(secret)[1:-1] not in text
    events = list(read_lines(evidence / "events.jsonl"))
    assert [item["event"] for item in events] == ["playbook_start", "play_start", "task", "task", "task", "playbook_end"]
    failed, known, after = events[2:5]
    assert failed["task"] == "fails before the evidence directory is known" and failed["status"] == "failed"
    assert failed["msg"] == f"denied with {REDACTED} here" and failed["ignored"] is True
    assert known["task"] == "says where the evidence goes" and after["task"] == "after"
    assert failed["end_mono"] <= known["start_mono"] <= known["end_mono"] <= after["start_mono"]
