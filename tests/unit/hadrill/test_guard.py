"""The fault guard's rules (pure logic; the integration tests start real drills every way a user can)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hadrill import lock
from hadrill.guard import GuardRefused, check_fault, class_not_overridden, drill_record, environment_class, tag_selection

ALL = ["restore", "rollback", "replay"]


def test_scenario_tags_narrow_the_selection_and_neutral_tags_keep_it():
    assert tag_selection(ALL, [], []) == ALL
    assert tag_selection(ALL, ["all"], []) == ALL
    assert tag_selection(ALL, ["restore"], []) == ["restore"]
    assert tag_selection(ALL, ["replay", "restore"], []) == ["restore", "replay"]
    assert tag_selection(ALL, [], ["rollback"]) == ["restore", "replay"]
    assert tag_selection(ALL, ["restore", "rollback"], ["rollback"]) == ["restore"]


@pytest.mark.parametrize("tags, skip", [(["preconditions"], []), (["restor"], []), ([], ["gates"]), ([], ["always"]), ([], ["all"])])
def test_any_other_tag_is_refused_naming_it(tags, skip):
    with pytest.raises(GuardRefused) as refused:
        tag_selection(ALL, tags, skip)
    assert any(tag in str(refused.value) for tag in tags + skip)


def test_a_scenario_tag_outside_drill_scenarios_is_refused():
    with pytest.raises(GuardRefused, match="--tags restore: not among this drill's scenarios"):
        tag_selection(["rollback"], ["restore"], [])


def test_the_class_must_be_set_on_every_host_and_the_same_everywhere():
    assert environment_class({"db-1": "production", "localhost": "production"}) == "production"
    with pytest.raises(GuardRefused, match="not set for localhost"):
        environment_class({"db-1": "production", "localhost": None})
    with pytest.raises(GuardRefused, match=r"the same class on every host of the inventory, got 'production' on db-1; 'staging' on api-1, localhost"):
        environment_class({"db-1": "production", "api-1": "staging", "localhost": "staging"})


def test_the_class_cannot_be_lowered_for_a_run():
    class_not_overridden("production", extra_vars={}, play_value="production", fact_hosts=[])
    with pytest.raises(GuardRefused, match="drill_environment_class: given as an extra var"):
        class_not_overridden("production", extra_vars={"drill_environment_class": "production"}, play_value=None, fact_hosts=[])
    with pytest.raises(GuardRefused, match="drill_environment: given as an extra var on a production inventory"):
        class_not_overridden("production", extra_vars={"drill_environment": "prod"}, play_value=None, fact_hosts=[])
    class_not_overridden("sandbox", extra_vars={"drill_environment": "sbx2"}, play_value=None, fact_hosts=[])
    with pytest.raises(GuardRefused, match="play or task variables"):
        class_not_overridden("production", extra_vars={}, play_value="staging", fact_hosts=[])
    with pytest.raises(GuardRefused, match="fact on localhost"):
        class_not_overridden("production", extra_vars={}, play_value=None, fact_hosts=["localhost"])


def _started(tmp_path, pid, drill_id="ha_drill_20261201_prod_01", environment="prod"):
    bundle = tmp_path / drill_id
    bundle.mkdir()
    (bundle / "drill.json").write_text(json.dumps({"drill_id": drill_id, "environment": environment,
                                                   "environment_class": "production", "scenarios": ["restore"]}))
    lock.acquire(tmp_path, environment, drill_id, pid)
    return bundle


def test_a_started_drill_is_recognised_only_from_a_process_under_its_lock_holder(tmp_path):
    bundle = _started(tmp_path, os.getpid())
    record = drill_record(str(bundle), "ha_drill_20261201_prod_01", os.getpid())
    assert record["environment"] == "prod"
    # a child process of the holder (an Ansible worker under ansible-playbook) is recognised too
    child = subprocess.run(
        [sys.executable, "-c", "import os, sys; from hadrill.guard import drill_record; "
         "drill_record(sys.argv[1], 'ha_drill_20261201_prod_01', os.getpid()); print('ok')", str(bundle)],
        capture_output=True, text=True, check=False)
    assert child.stdout.strip() == "ok", child.stderr


def test_a_bundle_of_another_run_is_refused(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        bundle = _started(tmp_path, holder.pid)
        with pytest.raises(GuardRefused, match="not started by this run"):
            drill_record(str(bundle), "ha_drill_20261201_prod_01", os.getpid())
    finally:
        holder.kill()
        holder.wait()


def test_no_drill_or_a_foreign_record_is_refused(tmp_path):
    with pytest.raises(GuardRefused, match="no drill was started in this run"):
        drill_record(None, None, os.getpid())
    bundle = _started(tmp_path, os.getpid())
    with pytest.raises(GuardRefused, match="does not belong to drill"):
        drill_record(str(bundle), "ha_drill_20261201_prod_02", os.getpid())


def test_a_fault_needs_its_scenario_selected_the_same_class_and_the_production_opt_in():
    record = {"drill_id": "ha_drill_20261201_prod_01", "environment_class": "production", "scenarios": ["restore"]}
    check_fault(record, scenario="restore", live_class="production", allow_production=True, confirm_id="ha_drill_20261201_prod_01")
    with pytest.raises(GuardRefused, match="scenario rollback was not selected"):
        check_fault(record, scenario="rollback", live_class="production", allow_production=True,
                    confirm_id="ha_drill_20261201_prod_01")
    with pytest.raises(GuardRefused, match="without its confirmed opt-in"):
        check_fault(record, scenario="restore", live_class="production", allow_production=True, confirm_id="other")
    with pytest.raises(GuardRefused, match="without its confirmed opt-in"):
        check_fault(record, scenario="restore", live_class="production", allow_production=False,
                    confirm_id="ha_drill_20261201_prod_01")
    with pytest.raises(GuardRefused, match="started as 'production'"):
        check_fault(record, scenario="restore", live_class="staging", allow_production=False, confirm_id=None)


def test_a_statement_changed_the_database_only_when_the_server_says_so():
    from hadrill.db import Outcome

    assert not Outcome(rows=[], statuses=["SELECT 3"]).changed
    assert not Outcome(rows=[], statuses=["UPDATE 0"]).changed
    assert Outcome(rows=[], statuses=["UPDATE 2"]).changed
    assert Outcome(rows=[], statuses=["INSERT 0 1"]).changed
    assert Outcome(rows=[], statuses=["SELECT 1", "DROP TABLE"]).changed
    assert Outcome(rows=[], statuses=["CREATE TABLE", "INSERT 0 3"]).status == "CREATE TABLE; INSERT 0 3"
