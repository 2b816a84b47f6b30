#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: sampler
short_description: Start or stop a background sampler of a drill
version_added: "0.1.0"
description:
  - Starts a sampler process on the controller that takes one sample every O(interval_seconds)
    and appends it to C(samples/<name>.jsonl) of the evidence directory, stamped with the
    controller's UTC and monotonic clocks; or stops it and returns its counts.
  - Kinds are C(http_probe) (weighted HTTP request mix, one record per request),
    C(advisory_lock) (holds the drill lock on the target database),
    C(canary) (acknowledged inserts into a canary table) and C(backlog) (SQL query, Prometheus
    gauge or command).
  - Every sampler is bounded by O(max_duration_seconds) and stops by itself when the
    ansible-playbook process that started it is gone. Starting one opens a drill journal entry
    so that C(hadrill recover) can stop it after a crash.
author:
  - hadrill maintainers (!UNKNOWN)
options:
  name:
    description:
      - Sampler name; also the sample file name.
      - Required unless O(samplers) names several samplers.
    type: str
  state:
    description: Start or stop the sampler.
    type: str
    choices: [started, stopped]
    default: started
  kind:
    description: Sampler kind, required to start.
    type: str
  scenario:
    description: Scenario the sampler belongs to.
    type: str
  interval_seconds:
    description: Time between samples (an open-loop schedule; slow samples do not lower the rate).
    type: float
    default: 1.0
  max_duration_seconds:
    description: The sampler stops by itself after this long.
    type: float
    default: 3600.0
  concurrency:
    description: Samples that may be in flight at once.
    type: int
    default: 8
  config:
    description: Kind-specific settings (validated by the sampler, errors name the field).
    type: dict
    default: {}
  database:
    description:
      - Inventory host (normally the C(db_primary) host) whose C(db_*) variables give the
        sampler's database connection; it is passed as C(config.dsn) through a private spec
        file, never as a task argument or into the evidence bundle.
    type: str
  samplers:
    description:
      - Several samplers started or stopped by one task, instead of O(name) and its settings; each
        item takes O(name), O(kind), O(interval_seconds), O(max_duration_seconds), O(concurrency),
        O(config) and O(database) (O(scenario) is the task's).
      - Their processes start side by side and the task waits until each one runs; if one does not,
        the others are stopped again and the task fails naming it. Each one has its own journal
        entry, opened before its process starts, and its own C(sampler_started) marker.
    type: list
    elements: dict
    suboptions:
      name:
        description: Sampler name.
        type: str
        required: true
      kind:
        description: Sampler kind, required to start.
        type: str
      interval_seconds:
        description: Time between samples.
        type: float
        default: 1.0
      max_duration_seconds:
        description: The sampler stops by itself after this long.
        type: float
        default: 3600.0
      concurrency:
        description: Samples that may be in flight at once.
        type: int
        default: 8
      config:
        description: Kind-specific settings.
        type: dict
        default: {}
      database:
        description: Inventory host whose C(db_*) variables give the sampler's database connection.
        type: str
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: "Skipped in check mode: it would start or stop a background process."
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill
  - hadrill.drills.drill.marks
"""

EXAMPLES = r"""
- name: Start the traffic probe through the load balancer
  hadrill.drills.sampler:
    name: traffic
    kind: http_probe
    scenario: rollback
    interval_seconds: 0.05
    config:
      base_url: http://lb.example:8080
      requests:
        - {name: health, path: /health}

- name: Stop the traffic probe
  hadrill.drills.sampler:
    name: traffic
    state: stopped

- name: Start the write traffic and the backlog sampler side by side, then mark the baseline's start
  hadrill.drills.sampler:
    scenario: replay
    samplers:
      - name: writes
        kind: http_probe
        interval_seconds: 0.1
        config:
          base_url: http://lb.example:8080
          requests:
            - {name: write, method: POST, path: /items, body: {text: "@@TOKEN@@"}}
      - name: backlog
        kind: backlog
        interval_seconds: 0.5
        database: db-1
        config:
          source: sql
          sql:
            backlog_query: select count(*) from outbox where processed_at is null
    marks:
      - name: baseline_started
"""

RETURN = r"""
pid:
  description: Process id of the started sampler.
  returned: state=started with O(name)
  type: int
pids:
  description: Process id of each started sampler, by name.
  returned: state=started with O(samplers)
  type: dict
sampler:
  description: Counts of the stopped sampler (samples, errors, stop_reason, started_at, stopped_at).
  returned: state=stopped with O(name)
  type: dict
samplers:
  description: Counts of each stopped sampler, by name.
  returned: state=stopped with O(samplers)
  type: dict
marks:
  description: The milestones recorded after the action's work (O(marks)), as written to events.jsonl (each with C(ts) and C(mono)).
  returned: when O(marks) is set
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hadrill.drills.plugins.module_utils.drill_mark import MARKS_OPTION


ARGUMENT_SPEC = {
    "name": {"type": "str"},
    "state": {"type": "str", "choices": ["started", "stopped"], "default": "started"},
    "kind": {"type": "str"},
    "scenario": {"type": "str"},
    "interval_seconds": {"type": "float", "default": 1.0},
    "max_duration_seconds": {"type": "float", "default": 3600.0},
    "concurrency": {"type": "int", "default": 8},
    "config": {"type": "dict", "default": {}},
    "database": {"type": "str"},
    "samplers": {
        "type": "list",
        "elements": "dict",
        "options": {
            "name": {"type": "str", "required": True},
            "kind": {"type": "str"},
            "interval_seconds": {"type": "float", "default": 1.0},
            "max_duration_seconds": {"type": "float", "default": 3600.0},
            "concurrency": {"type": "int", "default": 8},
            "config": {"type": "dict", "default": {}},
            "database": {"type": "str"},
        },
    },
    "marks": MARKS_OPTION,
    "evidence_dir": {"type": "path"},
}
# One sampler (name) or several (samplers).
ARGUMENT_RULES = {
    "mutually_exclusive": [["name", "samplers"]],
    "required_one_of": [["name", "samplers"]],
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
        **ARGUMENT_RULES,
    )
    module.fail_json(msg="hadrill.drills.sampler runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
