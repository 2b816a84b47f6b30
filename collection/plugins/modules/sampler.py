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
    description: Sampler name; also the sample file name.
    type: str
    required: true
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
"""

RETURN = r"""
pid:
  description: Process id of the started sampler.
  returned: state=started
  type: int
sampler:
  description: Counts of the stopped sampler (samples, errors, stop_reason, started_at, stopped_at).
  returned: state=stopped
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["started", "stopped"], "default": "started"},
    "kind": {"type": "str"},
    "scenario": {"type": "str"},
    "interval_seconds": {"type": "float", "default": 1.0},
    "max_duration_seconds": {"type": "float", "default": 3600.0},
    "concurrency": {"type": "int", "default": 8},
    "config": {"type": "dict", "default": {}},
    "database": {"type": "str"},
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
    )
    module.fail_json(msg="hadrill.drills.sampler runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
