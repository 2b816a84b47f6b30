"""hadrill recover of one environment stops only that environment's orphaned drill playbooks: two
environments may run drills on one controller. Real orphaned processes shaped like drill
playbooks (their command line names ansible-playbook and drill.yml), each with the environment
hadrill run gives its playbook, and one without (a plain ansible-playbook run)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from hadrill import processes
from hadrill.recover import drill_environment_of, stop_orphans, unattributed_orphans
from hadrill.runner import DRILL_ENVIRONMENT_VARIABLE

FAKE = "import sys, time\nopen(sys.argv[1], 'w').write('ready')\ntime.sleep(120)\n"


def orphan(tmp_path: Path, name: str, environment: str | None) -> int:
    """A fake drill playbook whose parent exits at once (orphaned, as after a SIGKILL of its controller)."""
    ready = tmp_path / f"{name}.ready"
    env = {key: value for key, value in os.environ.items() if key != DRILL_ENVIRONMENT_VARIABLE}
    if environment:
        env[DRILL_ENVIRONMENT_VARIABLE] = environment
    subprocess.run(["sh", "-c", f'"{sys.executable}" -c "$1" "{ready}" ansible-playbook playbooks/drill.yml {name} & '
                                f'echo $! > "{tmp_path}/{name}.pid"; exit 0', "sh", FAKE],
                   check=True, timeout=30, env=env)
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert time.monotonic() < deadline, f"{name} never started"
        time.sleep(0.02)
    return int((tmp_path / f"{name}.pid").read_text())


def test_recovery_of_one_environment_leaves_the_other_environments_orphans_alone(tmp_path):
    suffix = uuid.uuid4().hex[:8]
    mine, theirs = f"envA{suffix}", f"envB{suffix}"
    pids = {name: orphan(tmp_path, name, environment) for name, environment in
            (("mine", mine), ("theirs", theirs), ("plain", None))}
    try:
        assert all(processes.parent_pid(pid) == 1 for pid in pids.values())
        assert drill_environment_of(pids["mine"]) == mine and drill_environment_of(pids["plain"]) is None
        assert pids["plain"] in unattributed_orphans() and pids["mine"] not in unattributed_orphans()
        stopped = stop_orphans(mine, timeout=20)
        assert stopped == [pids["mine"]]
        assert not processes.alive(pids["mine"])
        assert processes.alive(pids["theirs"]) and processes.alive(pids["plain"])
        assert stop_orphans(theirs, timeout=20) == [pids["theirs"]]
        assert processes.alive(pids["plain"])
    finally:
        for pid in pids.values():
            subprocess.run(["kill", "-9", str(pid)], capture_output=True)


def test_an_environment_is_required():
    try:
        stop_orphans(timeout=1)
    except ValueError as exc:
        assert "environment" in str(exc)
    else:
        raise AssertionError("stop_orphans without an environment must refuse")


def test_recovery_removes_only_its_own_environments_runner_directories(tmp_path):
    from hadrill.runner import PRIVATE_DIR_PREFIX, remove_leftover_private_dirs

    dead = subprocess.Popen(["true"])
    dead.wait(timeout=30)
    mine = tmp_path / f"{PRIVATE_DIR_PREFIX}{dead.pid}-staging-abc123"
    theirs = tmp_path / f"{PRIVATE_DIR_PREFIX}{dead.pid}-staging2-def456"
    for path in (mine, theirs):
        (path / "artifacts").mkdir(parents=True)
    assert remove_leftover_private_dirs(tmp_path, environment="staging") == [mine]
    assert theirs.is_dir()
