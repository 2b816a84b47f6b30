#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: rollback_startup_check
short_description: Judge the startup contract of a release on one host and record it
version_added: "0.1.0"
description:
  - Decides whether a release started cleanly on a host after a switch; it must have become
    healthy (O(ready)) and the log output it wrote since the switch must contain no line
    matching O(patterns) (for example a schema-contract failure line).
  - The log is given as two reads of the same tail (O(logs_before) before the switch,
    O(logs_after) afterwards, one text per stream, as returned by the platform role's C(logs)
    operation); only the text the second read adds after the end of the first one is judged,
    so an old failure still in the tail does not count.
  - Records a C(startup_contract) check (M(hadrill.drills.check) style) in C(events.jsonl)
    and keeps the judged log output in C(logs/rollback-startup-<host>-<release>-<n>.log).
  - Runs on the controller (action plugin); the logic lives in C(hadrill.scenarios.rollback.startup).
author:
  - hadrill maintainers (!UNKNOWN)
options:
  host:
    description: Inventory host the release was started on.
    type: str
    required: true
  release:
    description: Release that was started.
    type: str
    required: true
  ready:
    description: Whether the host answered its health check within the ready timeout.
    type: bool
    required: true
  health_status:
    description: Last HTTP status of the health check (none when it never answered).
    type: int
  waited_seconds:
    description: How long the health check was waited for.
    type: float
  logs_before:
    description: Log text per stream read before the switch.
    type: dict
    default: {}
  logs_after:
    description: Log text per stream read after the start.
    type: dict
    default: {}
  patterns:
    description: Regular expressions; a new log line matching one is a startup failure.
    type: list
    elements: str
    default: []
  scenario:
    description: Scenario of the check.
    type: str
  fail_when_not_passed:
    description: Fail the task when the contract is broken.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: "Skipped in check mode: it judges a start that did not happen."
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill
"""

EXAMPLES = r"""
- name: Judge the start of the known-good release on api-1
  hadrill.drills.rollback_startup_check:
    host: api-1
    release: v1.4.2
    ready: "{{ health.status | default(0) == 200 }}"
    health_status: "{{ health.status | default(omit) }}"
    logs_before: "{{ log_before.logs }}"
    logs_after: "{{ log_after.logs }}"
    patterns: ["STARTUP CONTRACT FAILURE", "schema version .* not supported"]
    scenario: rollback
"""

RETURN = r"""
passed:
  description: Whether the release started cleanly.
  returned: always
  type: bool
reason:
  description: Why not (empty when passed), naming the host, the release and the failure line.
  returned: always
  type: str
failure_lines:
  description: New log lines that matched a pattern.
  returned: always
  type: list
  elements: str
log_file:
  description: Path of the judged log output in the evidence bundle.
  returned: always
  type: str
check:
  description: The check event as recorded.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "host": {"type": "str", "required": True},
    "release": {"type": "str", "required": True},
    "ready": {"type": "bool", "required": True},
    "health_status": {"type": "int"},
    "waited_seconds": {"type": "float"},
    "logs_before": {"type": "dict", "default": {}},
    "logs_after": {"type": "dict", "default": {}},
    "patterns": {"type": "list", "elements": "str", "default": []},
    "scenario": {"type": "str"},
    "fail_when_not_passed": {"type": "bool", "default": False},
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
    )
    module.fail_json(msg="hadrill.drills.rollback_startup_check runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
