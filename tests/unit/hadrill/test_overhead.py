"""hadrill.overhead: what counts as intrinsic (configured waits, services at work) and what is overhead."""

from __future__ import annotations

import pytest

from hadrill.overhead import OVERHEAD, SERVICE, WAIT, classify, kind_of, may_wait_or_serve, split


@pytest.mark.parametrize(("action", "args", "expected"), [
    ("ansible.builtin.pause", {"seconds": 5}, (WAIT, 5.0)),
    ("ansible.builtin.pause", {"minutes": 1}, (WAIT, 60.0)),
    ("ansible.builtin.wait_for", {"timeout": "12"}, (WAIT, 12.0)),
    ("ansible.builtin.wait_for", {"port": 5432, "timeout": 30}, (SERVICE, None)),
    ("hadrill.drills.backlog_watch", {"mode": "hold", "seconds": 10.0}, (WAIT, 10.0)),
    ("hadrill.drills.traffic_watch", {"duration_seconds": 15}, (WAIT, 15.0)),
    ("hadrill.drills.traffic_watch", {"duration_seconds": "{{ x }}"}, (WAIT, None)),
    # The platform adapter: a change is the service at work, a read is overhead.
    ("hadrill.drills.platform", {"operation": "deploy", "target": "api-1"}, (SERVICE, None)),
    ("hadrill.drills.platform", {"operation": "stop"}, (SERVICE, None)),
    ("hadrill.drills.platform", {"operation": "status"}, (OVERHEAD, None)),
    ("hadrill.drills.platform", {"operation": "release_present"}, (OVERHEAD, None)),
    ("hadrill.drills.platform", {"operation": "logs"}, (OVERHEAD, None)),
    ("hadrill.drills.platform", None, (OVERHEAD, None)),
    ("platform", {"operation": "start"}, (SERVICE, None)),  # the short name
    ("hadrill.drills.restore_instance", {}, (SERVICE, None)),  # present by default: the restore
    ("hadrill.drills.restore_instance", {"state": "prepared"}, (OVERHEAD, None)),
    ("hadrill.drills.restore_instance", {"state": "work_root"}, (OVERHEAD, None)),
    ("hadrill.drills.restore_process", {"state": "serving"}, (SERVICE, None)),
    ("hadrill.drills.restore_process", {"state": "port_free"}, (OVERHEAD, None)),
    ("hadrill.drills.haproxy_info", {"wait_all_up": True}, (SERVICE, None)),
    ("hadrill.drills.haproxy_info", {"wait_all_up": "true"}, (SERVICE, None)),
    ("hadrill.drills.haproxy_info", {}, (OVERHEAD, None)),
    ("hadrill.drills.drill_cleanup", {"state": "open"}, (OVERHEAD, None)),
    ("hadrill.drills.drill_cleanup", {"state": "done"}, (SERVICE, None)),
    ("hadrill.drills.haproxy_server", {"state": "maint"}, (SERVICE, None)),
    ("hadrill.drills.mark", {"name": "x"}, (OVERHEAD, None)),
    ("hadrill.drills.sampler", {"name": "x"}, (OVERHEAD, None)),
    ("ansible.builtin.set_fact", {"a": 1}, (OVERHEAD, None)),
    ("ansible.builtin.uri", {"url": "http://x"}, (OVERHEAD, None)),
])
def test_classify(action, args, expected):
    assert classify(action, args) == expected


def task(name, action, start, end, **extra):
    return {"event": "task", "task": name, "action": action, "role": extra.pop("role", None),
            "start_mono": start, "end_mono": end, "duration_s": end - start, **extra}


def test_split_counts_a_wait_only_up_to_its_configured_seconds():
    events = [
        task("start", "hadrill.drills.drill_start", 0.0, 1.0, time=OVERHEAD),
        task("warm up", "ansible.builtin.wait_for", 1.0, 14.5, time=WAIT, wait_s=12.0, role="db_restore"),
        task("mark", "hadrill.drills.mark", 14.6, 14.7, time=OVERHEAD, role="db_restore"),
        task("deploy", "hadrill.drills.platform", 15.0, 18.0, time=SERVICE, role="api_rollback"),
        task("read", "hadrill.drills.platform", 18.0, 18.5, time=OVERHEAD, role="api_rollback"),
        {"event": "marker", "name": "x", "mono": 3.0},
    ]
    result = split(events)
    assert result.wall_seconds == pytest.approx(18.5)
    assert result.wait_seconds == pytest.approx(12.0)
    assert result.service_seconds == pytest.approx(3.0)
    assert result.intrinsic_seconds == pytest.approx(15.0)
    assert result.overhead_seconds == pytest.approx(3.5)
    assert result.intrinsic_seconds + result.overhead_seconds == pytest.approx(result.wall_seconds)
    assert result.ratio == pytest.approx(3.5 / 15.0)
    assert result.tasks == 5
    # In tasks: 1.0 (start) + 1.5 (the wait beyond its 12 s) + 0.1 + 0.5; between them: 0.1 + 0.3.
    assert result.overhead_in_tasks_seconds == pytest.approx(3.1)
    assert result.between_tasks_seconds == pytest.approx(0.4)
    by_task = {key: (count, seconds) for key, count, seconds in result.overhead_by_task}
    assert by_task["db_restore: warm up"] == (1, pytest.approx(1.5))
    assert by_task["api_rollback: read"] == (1, pytest.approx(0.5))
    assert "api_rollback: deploy" not in by_task
    assert result.overhead_by_task[0][0] == "db_restore: warm up"
    by_action = {key: count for key, count, _ in result.overhead_by_action}
    assert by_action["hadrill.drills.platform (api_rollback)"] == 1


def test_overlapping_intrinsic_tasks_count_once():
    events = [
        task("a", "hadrill.drills.gate", 0.0, 4.0, time=SERVICE),
        task("b", "ansible.builtin.pause", 2.0, 5.0, time=WAIT, wait_s=3.0),
    ]
    result = split(events)
    assert result.intrinsic_seconds == pytest.approx(5.0)
    assert result.overhead_seconds == pytest.approx(0.0)


def test_events_without_a_recorded_kind_are_classified_from_their_action():
    assert kind_of({"action": "ansible.builtin.pause"}) == WAIT
    assert kind_of({"action": "hadrill.drills.gate"}) == SERVICE
    assert kind_of({"action": "hadrill.drills.platform"}) == OVERHEAD  # the operation is unknown
    assert kind_of({"action": "hadrill.drills.restore_instance"}) == SERVICE  # its default state
    assert kind_of({"action": "hadrill.drills.platform", "time": SERVICE}) == SERVICE
    assert kind_of({"action": "ansible.builtin.pause", "status": "skipped"}) == OVERHEAD


def test_a_skipped_task_is_overhead():
    assert classify("ansible.builtin.pause", {"seconds": 5}, skipped=True) == (OVERHEAD, None)
    assert classify("hadrill.drills.platform", {"operation": "deploy"}, skipped=True) == (OVERHEAD, None)


def test_no_tasks():
    result = split([{"event": "marker", "name": "x", "mono": 1.0}])
    assert (result.wall_seconds, result.intrinsic_seconds, result.tasks, result.ratio) == (0.0, 0.0, 0, None)


def test_only_waits_and_service_actions_may_be_anything_but_overhead():
    assert may_wait_or_serve("ansible.builtin.pause") and may_wait_or_serve("pause")
    assert may_wait_or_serve("hadrill.drills.restore_instance") and may_wait_or_serve("restore_instance")
    assert not may_wait_or_serve("ansible.builtin.debug")
    assert not may_wait_or_serve("hadrill.drills.mark")
    # every action classify can call a wait or a service is one of them
    for action, args in (("ansible.builtin.wait_for", {"timeout": 3}), ("hadrill.drills.gate", {}),
                         ("hadrill.drills.platform", {"operation": "deploy"})):
        assert classify(action, args)[0] != OVERHEAD and may_wait_or_serve(action)
