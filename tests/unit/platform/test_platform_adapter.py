"""The platform adapters as one shell command per operation, run for real with /bin/sh against a
fake supervisorctl and the inventory's own commands (no Ansible: the action only runs the command
through the connection)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hadrill.platform_adapter import AdapterError, HostSettings, command, result


@pytest.fixture
def supervisor(tmp_path: Path) -> HostSettings:
    """A release layout and a supervisorctl stand-in that keeps the program's state in a file."""
    (tmp_path / "releases" / "v1").mkdir(parents=True)
    (tmp_path / "releases" / "v2").mkdir()
    (tmp_path / "current").symlink_to(tmp_path / "releases" / "v1")
    state = tmp_path / "state"
    state.write_text("RUNNING")
    ctl = tmp_path / "ctl"
    ctl.write_text(
        "#!/bin/sh\n"
        f"S={state}\n"
        'case "$1" in\n'
        '  status) echo "$2                            $(cat $S)   pid 42, uptime 0:00:07"; [ "$(cat $S)" = RUNNING ];;\n'
        '  stop) echo STOPPED > $S; echo "$2: stopped";;\n'
        '  start|restart) echo RUNNING > $S; echo "$2: started";;\n'
        '  tail) echo "tail of $3 $4";;\n'
        "esac\n")
    ctl.chmod(0o755)
    return HostSettings("supervisor", {"supervisor_ctl": str(ctl), "supervisor_program": "api-1",
                                       "release_root": str(tmp_path / "releases"), "release_link": str(tmp_path / "current")})


def run(host: HostSettings, operation: str, **kwargs) -> dict:
    shell = command(host, operation, **kwargs)
    proc = subprocess.run(["/bin/sh", "-c", shell], capture_output=True, text=True, timeout=30)
    return result(host, operation, "api-1", release=kwargs.get("release", ""), rc=proc.returncode,
                  stdout=proc.stdout, stderr=proc.stderr)


def test_supervisor_status_stop_start_and_deploy_in_one_command_each(supervisor, tmp_path):
    status = run(supervisor, "status")
    assert (status["running"], status["state"], status["release"], status["action_rc"]) == (True, "RUNNING", "v1", None)
    stopped = run(supervisor, "stop")
    assert (stopped["running"], stopped["state"], stopped["action_rc"]) == (False, "STOPPED", 0)
    assert "api-1: stopped" in stopped["detail"]
    deployed = run(supervisor, "deploy", release="v2")
    assert (deployed["running"], deployed["release"], deployed["action_rc"]) == (True, "v2", 0)
    assert (tmp_path / "current").resolve() == tmp_path / "releases" / "v2"
    missing = run(supervisor, "deploy", release="v9")
    assert missing["action_rc"] != 0 and missing["release"] == "v2", "a missing release directory switches nothing"


def test_supervisor_release_present_and_logs(supervisor):
    assert run(supervisor, "release_present", release="v2")["present"] is True
    assert run(supervisor, "release_present", release="v9")["present"] is False
    logs = run(supervisor, "logs")["logs"]
    assert logs == {"stdout": "tail of api-1 stdout\n", "stderr": "tail of api-1 stderr\n"}


def test_command_adapter_runs_the_inventorys_commands(tmp_path):
    flag = tmp_path / "running"
    host = HostSettings("command", {
        "platform_status_command": f"test -f {flag}",
        "platform_start_command": f"touch {flag}",
        "platform_stop_command": f"rm -f {flag}",
        "platform_deploy_command": f"echo {{release}} > {tmp_path}/release && touch {flag}",
        "platform_release_command": f"cat {tmp_path}/release",
        "platform_release_present_command": "test {release} = v2",
        "platform_log_command": "echo since {since} bytes {bytes}",
    })
    assert run(host, "stop")["running"] is False
    deployed = run(host, "deploy", release="v2")
    assert (deployed["running"], deployed["state"], deployed["release"]) == (True, "RUNNING", "v2")
    assert run(host, "release_present", release="v2")["present"] and not run(host, "release_present", release="v3")["present"]
    assert run(host, "logs", log_since="2026-12-02T00:00:00Z", log_bytes=10)["logs"] == {
        "log": "since 2026-12-02T00:00:00Z bytes 10\n"}


def test_a_slow_operation_is_stopped_at_its_timeout_and_reported(tmp_path):
    host = HostSettings("command", {"platform_status_command": "false", "platform_start_command": "sleep 30"})
    started = run(host, "start", timeout_seconds=0.5)
    assert started["action_rc"] == 124 and not started["running"]


def test_missing_settings_and_releases_are_named():
    with pytest.raises(AdapterError, match="supervisor_program is not set"):
        command(HostSettings("supervisor", {"supervisor_ctl": "supervisorctl"}), "status")
    with pytest.raises(AdapterError, match="the deploy operation needs a release"):
        command(HostSettings("command", {}), "deploy")
    with pytest.raises(AdapterError, match="unknown platform_adapter 'k8s'"):
        command(HostSettings("k8s", {}), "status")
