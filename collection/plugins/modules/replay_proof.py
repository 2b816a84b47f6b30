#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: replay_proof
short_description: Prove that every write acknowledged in a time window was processed
version_added: "0.1.0"
description:
  - Runs on the controller. Reads the write traffic's records (C(samples/<sampler>.jsonl),
    written by an C(http_probe) sampler with a C(capture) of the written id) and selects the
    writes acknowledged between O(from_mono) and O(to_mono), normally C(worker_stop_requested)
    and C(worker_resumed).
  - With O(backlog_sampler), the window ends at the first processing after O(to_mono) instead,
    as the backlog samples show it (the inventory's processed reading, else the backlog and the
    acknowledged writes; C(hadrill.scenarios.replay.outage)). A worker begins processing some
    time after its start was requested, and the writes acknowledged meanwhile waited too.
  - Checks each one (or O(sample_size) of them, spread evenly over the window) with the
    inventory's read-back, retrying the unproven ones until O(timeout_seconds).
    C(sql) runs O(query) once per attempt with the parameter C(%(ids)s) (the list of ids);
    every row returned is a processed id (column C(id), else the first column). C(http) sends
    O(request) per write with C(${id}) and C(${token}) filled; a successful answer (expected
    status and body) means processed.
  - Records a check event (O(name)) with the counts and up to 20 missing ids, and
    C(records/replay_proof.json) with every id checked and missing. When no write was
    acknowledged in the window the check compared nothing, and it is recorded as a warning
    (C(compared_nothing)), never as passed.
author:
  - hadrill maintainers (!UNKNOWN)
options:
  sampler:
    description: Name of the write traffic sampler.
    type: str
    required: true
  id_field:
    description: Key of the write request's C(capture) holding the written id.
    type: str
    default: id
  from_mono:
    description: Start of the window (controller monotonic time).
    type: float
    required: true
  to_mono:
    description: End of the window (controller monotonic time); with O(backlog_sampler), the resume request.
    type: float
    required: true
  backlog_sampler:
    description: Name of the backlog sampler; the window then ends at the first processing after O(to_mono).
    type: str
  method:
    description: How a write is checked.
    type: str
    required: true
    choices: [sql, http]
  query:
    description: SQL read-back (method C(sql)), run read-only with C(%(ids)s).
    type: str
  database:
    description: Inventory host whose C(db_*) variables give the connection (default the first C(db_primary) host).
    type: str
  request:
    description: HTTP read-back (method C(http)), in the inventory's request format.
    type: dict
  base_url:
    description: Base URL of the HTTP read-back (normally the load balancer).
    type: str
  headers:
    description: Headers sent with every read-back (values never recorded).
    type: dict
    default: {}
  sample_size:
    description: Check only this many writes, spread evenly; all of them when unset.
    type: int
  timeout_seconds:
    description: How long unproven writes are checked again.
    type: float
    default: 60.0
  retry_interval_seconds:
    description: Time between attempts.
    type: float
    default: 1.0
  scenario:
    description: Scenario of the check.
    type: str
  name:
    description: Name of the check event.
    type: str
    default: replay_proof
  fail_when_not_passed:
    description: Fail the task when the proof fails (it is recorded either way).
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: "Skipped in check mode: the proof reads a running drill's records."
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill
"""

EXAMPLES = r"""
- name: Prove the writes made during the pause were processed
  hadrill.drills.replay_proof:
    sampler: replay_writes
    from_mono: "{{ _paused.mono }}"
    to_mono: "{{ _resumed.mono }}"
    method: sql
    query: "SELECT event_key AS id FROM outbox WHERE event_key = ANY(%(ids)s) AND status = 'done'"
    scenario: replay
"""

RETURN = r"""
passed:
  description: Every checked write was processed (true also when none was checked, see RV(compared_nothing)).
  returned: always
  type: bool
compared_nothing:
  description: Why the proof compared nothing (no write acknowledged in the window); empty otherwise.
  returned: always
  type: str
window:
  description: The window of the writes checked (C(from_mono), C(to_mono), C(end)) and the real outage seen in it.
  returned: always
  type: dict
checked:
  description: Writes checked.
  returned: always
  type: int
processed:
  description: Writes proven processed.
  returned: always
  type: int
missing_ids_sample:
  description: Up to 20 ids not proven processed.
  returned: always
  type: list
  elements: raw
record:
  description: Bundle-relative path of the full record.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "sampler": {"type": "str", "required": True},
    "id_field": {"type": "str", "default": "id"},
    "from_mono": {"type": "float", "required": True},
    "to_mono": {"type": "float", "required": True},
    "backlog_sampler": {"type": "str"},
    "method": {"type": "str", "required": True, "choices": ["sql", "http"]},
    "query": {"type": "str"},
    "database": {"type": "str"},
    "request": {"type": "dict"},
    "base_url": {"type": "str"},
    "headers": {"type": "dict", "default": {}},
    "sample_size": {"type": "int"},
    "timeout_seconds": {"type": "float", "default": 60.0},
    "retry_interval_seconds": {"type": "float", "default": 1.0},
    "scenario": {"type": "str"},
    "name": {"type": "str", "default": "replay_proof"},
    "fail_when_not_passed": {"type": "bool", "default": False},
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
    )
    module.fail_json(msg="hadrill.drills.replay_proof runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
