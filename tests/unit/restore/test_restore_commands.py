"""The shell commands of the verification instance: isolation settings, quoting, placeholders."""

from __future__ import annotations

import shlex
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from hadrill.scenarios.restore import instance, placeholders
from hadrill.scenarios.restore.targets import ArchivePin, Target

LAYOUT = instance.Layout("/srv/pg verify", "ha_drill_20260228_staging_01")
TARGET = Target("time", datetime(2026, 2, 28, 10, 10, tzinfo=timezone.utc))


def test_layout_keeps_everything_under_the_drills_work_directory():
    assert LAYOUT.work_dir == "/srv/pg verify/ha_drill_20260228_staging_01"
    for path in (LAYOUT.data_dir, LAYOUT.log_file, LAYOUT.archive_get, LAYOUT.frozen_wal):
        assert path.startswith(LAYOUT.work_dir + "/")


def test_pgbackrest_time_restore_promotes_with_archiving_off():
    command = instance.pgbackrest_restore_command(config="/etc/pgbackrest.conf", stanza="main", layout=LAYOUT,
                                                  target=TARGET, options=["--process-max=4"])
    argv = shlex.split(command)
    assert argv[0] == "pgbackrest" and argv[-1] == "restore"
    assert "--pg1-path=/srv/pg verify/ha_drill_20260228_staging_01/data" in argv
    assert "--type=time" in argv and "--target=2026-02-28 10:10:00.000000+00" in argv
    assert "--target-action=promote" in argv and "--archive-mode=off" in argv and "--process-max=4" in argv
    assert not any(item.startswith("--repo1-path") for item in argv)


PIN = ArchivePin(backup="20260228-090000F", wal="000000010000000000000011", archive_id="15-1")


def test_pgbackrest_latest_restores_the_pinned_set_reading_no_newer_wal():
    argv = shlex.split(instance.pgbackrest_restore_command(
        config=None, stanza="main", layout=LAYOUT, target=Target("latest"), options=[], pin=PIN))
    assert "--type=default" in argv and "--set=20260228-090000F" in argv
    assert f'--recovery-option=restore_command={LAYOUT.archive_get} %f "%p"' in argv
    assert not any(item.startswith(("--target", "--config", "--repo1-path")) for item in argv)
    unpinned = shlex.split(instance.pgbackrest_restore_command(
        config=None, stanza="main", layout=LAYOUT, target=Target("latest"), options=[]))
    assert not any(item.startswith(("--set", "--recovery-option")) for item in unpinned)


def test_the_pinned_archive_get_answers_newer_wal_as_missing(tmp_path):
    layout = instance.Layout(str(tmp_path), "ha_drill_20260228_staging_01")
    (tmp_path / layout.drill_id).mkdir()
    written = subprocess.run(["sh", "-c", instance.pinned_archive_get_command(
        layout, config="/etc/pgbackrest.conf", stanza="main", pin=PIN)], capture_output=True, text=True)
    assert written.returncode == 0, written.stderr
    script = Path(layout.archive_get)
    assert oct(script.stat().st_mode & 0o777) == "0o700"
    # Stand-in for pgBackRest: the script's last line execs it; here it echoes what it was asked.
    script.write_text(script.read_text().replace("exec pgbackrest", "exec echo pgbackrest"))

    def ask(name):
        return subprocess.run(["sh", str(script), name, "pg_wal/RECOVERYXLOG"], capture_output=True, text=True)

    for name in ("000000010000000000000010", "000000010000000000000011", "000000010000000000000011.partial",
                 "00000001.history"):
        answer = ask(name)
        assert answer.returncode == 0 and answer.stdout.split() == [
            "pgbackrest", "--config=/etc/pgbackrest.conf", "--stanza=main", f"--pg1-path={layout.data_dir}",
            "archive-get", name, "pg_wal/RECOVERYXLOG"], name
    for name in ("000000010000000000000012", "000000020000000000000003", "00000002.history"):
        answer = ask(name)
        assert answer.returncode == 1 and answer.stdout == "", name


def test_basebackup_restore_configures_archive_recovery():
    command = instance.basebackup_restore_command(backup_path="/bb/20260228T090000Z", layout=LAYOUT, target=TARGET,
                                                  wal_dir="/wal archive/")
    assert "cp -a /bb/20260228T090000Z '/srv/pg verify/ha_drill_20260228_staging_01/data'" in command
    assert "recovery.signal" in command
    settings = shlex.split(command.rsplit(" && ", 1)[1])[2]  # printf '%s' TEXT >> FILE
    assert "restore_command = 'cp /wal archive/%f \"%p\"'" in settings
    assert "recovery_target_time = '2026-02-28 10:10:00.000000+00'" in settings
    assert "recovery_target_action = 'promote'" in settings
    latest = instance.basebackup_restore_command(backup_path="/bb/x", layout=LAYOUT, target=Target("latest"), wal_dir="/w")
    assert "recovery_target" not in latest


def test_the_instance_is_isolated_from_the_primary():
    settings = instance.instance_settings(5433, {"shared_buffers": "64MB", "port": 1}, LAYOUT.drill_id)
    assert settings["archive_mode"] == "off" and settings["unix_socket_directories"] == ""
    assert settings["shared_buffers"] == "64MB"
    command = instance.append_settings_command(LAYOUT, instance.instance_settings(5433, {}, LAYOUT.drill_id))
    argv = shlex.split(command)
    assert argv[:2] == ["printf", "%s"] and argv[3:] == [">>", LAYOUT.data_dir + "/postgresql.auto.conf"]
    assert "\nport = 5433\n" in argv[2] and "archive_mode = 'off'" in argv[2]
    assert "unix_socket_directories = ''" in argv[2] and f"cluster_name = 'hadrill_verify_{LAYOUT.drill_id}'" in argv[2]


def test_commands_are_bounded_and_quoted():
    bounded = instance.bounded("echo 'a b'", 30)
    assert bounded.startswith("timeout --kill-after=5 30 sh -c ")
    assert shlex.split(bounded)[-1] == "echo 'a b'"
    assert "pg_ctl' start -W -D" in instance.start_command("/usr/lib/postgresql/15/bin", LAYOUT) or \
        "pg_ctl start -W -D" in instance.start_command("/usr/lib/postgresql/15/bin", LAYOUT)
    assert instance.prepare_command(LAYOUT).startswith("test ! -e '/srv/pg verify/")
    assert instance.freeze_command("/var/lib/wal archive/", LAYOUT.frozen_wal) == \
        f"cp -al '/var/lib/wal archive' {shlex.quote(LAYOUT.frozen_wal)}"


def test_placeholders_fill_strings_lists_and_mappings():
    values = {"db_host": "127.0.0.1", "db_port": 5433}
    assert placeholders.fill("postgresql://u@${db_host}:${db_port}/app ${other}", values) == \
        "postgresql://u@127.0.0.1:5433/app ${other}"
    assert placeholders.fill({"a": ["${db_port}"], "b": 1}, values) == {"a": ["5433"], "b": 1}
    assert placeholders.unknown(["${db_host} $${literal} ${x}"], placeholders.PROCESS) == ["x"]




def test_a_sample_that_covered_no_rows_on_either_side_compared_nothing():
    from hadrill.scenarios.restore import snapshot

    empty = {"memories": [{"rows": 0, "max_id": 0, "checksum": "d41d8cd98f00b204e9800998ecf8427e"}]}
    full = {"memories": [{"rows": 2000, "max_id": 6000, "checksum": "x"}]}
    assert "covered 0 rows on the primary and on the copy (memories)" in snapshot.compared_nothing(empty, empty)
    assert snapshot.compared_nothing({"q": []}, {"q": []})
    assert snapshot.compared_nothing(full, full) == ""
    assert snapshot.compared_nothing({"q": [{"id": 1}]}, {"q": [{"id": 1}]}) == ""  # no count column: compared a row
    assert snapshot.compared_nothing({}, {}) == "no sample query"


def test_the_work_root_is_made_with_a_marker_and_an_unmarked_one_is_refused(tmp_path):
    import getpass
    import subprocess

    def run(root):
        return subprocess.run(["sh", "-c", instance.work_root_command(str(root), getpass.getuser())],
                              capture_output=True, text=True, timeout=30)

    root = tmp_path / "work root"
    made = run(root)
    assert made.returncode == 0 and made.stdout.strip() == "created"
    assert (root / instance.WORK_ROOT_MARKER).is_file() and oct(root.stat().st_mode & 0o777) == "0o700"
    assert run(root).stdout.strip() == "existing"
    foreign = tmp_path / "etc"
    foreign.mkdir(mode=0o755)
    (foreign / "passwd").write_text("x")
    refused = run(foreign)
    assert refused.returncode == 3 and "was not created by hadrill" in refused.stderr
    assert sorted(path.name for path in foreign.iterdir()) == ["passwd"] and oct(foreign.stat().st_mode & 0o777) == "0o755"
    (tmp_path / "link").symlink_to(foreign)
    assert "is a symbolic link" in run(tmp_path / "link").stderr
    assert "parent directory" in run(tmp_path / "missing" / "root").stderr
    assert not (tmp_path / "missing").exists()


def _fake_bindir(tmp_path, rc):
    """A pg_ctl stand-in that records how it was called and exits with ``rc``."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "pg_ctl").write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path}/pg_ctl.args\nexit {rc}\n")
    (bindir / "pg_ctl").chmod(0o755)
    return bindir


def _restore_and_start(tmp_path, restore, start_rc=0):
    layout = instance.Layout(str(tmp_path), "ha_drill_20260228_staging_01")
    Path(layout.data_dir).mkdir(parents=True)
    command = instance.restore_and_start_command(
        restore, restore_timeout_seconds=30, layout=layout, bindir=str(_fake_bindir(tmp_path, start_rc)),
        settings=instance.instance_settings(5433, {}, layout.drill_id))
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=60)
    return layout, done, instance.command_steps(done.stdout)


def test_restore_settings_and_start_are_one_command_each_step_timed_on_the_host(tmp_path):
    layout, done, steps = _restore_and_start(tmp_path, "sleep 0.3; echo restored")
    assert done.returncode == 0, done.stderr
    assert steps.rcs == {"restore": 0, "settings": 0, "start": 0} and steps.ok("start")
    assert 0.3 <= steps.seconds["restore"] < 5 and 0 <= steps.seconds["settings"] < 1 and 0 <= steps.seconds["start"] < 1
    assert abs(steps.total_seconds - sum(steps.seconds.values())) < 1e-9
    assert steps.before_end["start"] == 0 and steps.before_end["restore"] == pytest.approx(
        steps.seconds["settings"] + steps.seconds["start"])
    assert steps.output.strip() == "restored"  # the commands' own output, without the step lines
    assert "port = 5433" in Path(layout.data_dir, "postgresql.auto.conf").read_text()
    assert (tmp_path / "pg_ctl.args").read_text().split()[:2] == ["start", "-W"]


def test_a_failed_restore_stops_the_command_before_the_settings_and_the_start(tmp_path):
    layout, done, steps = _restore_and_start(tmp_path, "echo 'FATAL: no backup' >&2; exit 7")
    assert done.returncode == 7 and steps.rcs == {"restore": 7} and not steps.ok("restore")
    assert not Path(layout.data_dir, "postgresql.auto.conf").exists() and not (tmp_path / "pg_ctl.args").exists()
    assert "FATAL: no backup" in done.stderr


def test_a_failed_start_is_reported_after_a_restore_that_worked(tmp_path):
    _, done, steps = _restore_and_start(tmp_path, "true", start_rc=1)
    assert done.returncode == 1 and steps.ok("restore") and steps.rcs["start"] == 1


def test_a_restore_over_its_time_is_stopped(tmp_path):
    layout = instance.Layout(str(tmp_path), "ha_drill_20260228_staging_01")
    command = instance.restore_and_start_command("sleep 30", restore_timeout_seconds=0.3, layout=layout,
                                                 bindir=str(tmp_path), settings={})
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=60)
    assert done.returncode == 124 and instance.command_steps(done.stdout).rcs == {"restore": 124}


def test_steps_without_the_hosts_timings_give_exit_statuses_only():
    steps = instance.command_steps("hadrill-step begin 0 %s.N\nrestored\nhadrill-step restore 0 %s.N\n"
                                   "hadrill-step settings 0 %s.N\nhadrill-step start 0 %s.N\n")
    assert steps.ok("start") and steps.seconds == {} and steps.before_end == {} and steps.total_seconds is None
    assert steps.output == "restored"
    assert instance.command_steps("nothing of ours").rcs == {}
