#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: gate
short_description: Run a validation command and keep its output, exit code and duration as drill evidence
version_added: "0.1.0"
description:
  - Runs O(command) through C(sh -c) on the target host (choose it with C(delegate_to)) under a
    hard timeout (coreutils C(timeout)), then writes its redacted stdout and stderr to
    C(gates/<name>.log) in the evidence directory and a C(gate) record into C(events.jsonl).
  - A gate passes when the exit code equals O(expect_rc) and the command did not time out.
author:
  - hadrill maintainers (!UNKNOWN)
options:
  name:
    description: Gate name, used for the output file.
    type: str
    required: true
  command:
    description: Shell command to run.
    type: str
    required: true
  chdir:
    description: Directory to run the command in.
    type: path
  environment:
    description: Extra environment variables for the command (values are never recorded).
    type: dict
    default: {}
  timeout_seconds:
    description: Hard time limit; the command is killed after it.
    type: float
    default: 300.0
  expect_rc:
    description: Exit code that means the gate passed.
    type: int
    default: 0
  scenario:
    description: Scenario the gate belongs to (post-recovery gates); unset for drill-level gates.
    type: str
  fail_when_not_passed:
    description: Fail the task when the gate did not pass (after recording it).
    type: bool
    default: false
requirements:
  - coreutils C(timeout) and C(env) on the target host
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: "Skipped in check mode: a gate that did not run is never recorded."
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill
"""

EXAMPLES = r"""
- name: Run the release gate on the worker host
  hadrill.drills.gate:
    name: release-gate
    command: ./bin/release-gate --strict
    chdir: /srv/app/current
    timeout_seconds: 120
  delegate_to: worker-1
"""

RETURN = r"""
passed:
  description: Whether the gate passed.
  returned: always
  type: bool
rc:
  description: Exit code of the command (124 when it timed out).
  returned: always
  type: int
gate:
  description: The gate record (name, rc, passed, duration_s, timed_out, output_file).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "command": {"type": "str", "required": True},
    "chdir": {"type": "path"},
    "environment": {"type": "dict", "default": {}},
    "timeout_seconds": {"type": "float", "default": 300.0},
    "expect_rc": {"type": "int", "default": 0},
    "scenario": {"type": "str"},
    "fail_when_not_passed": {"type": "bool", "default": False},
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
    )
    module.fail_json(msg="hadrill.drills.gate runs through its action plugin")


if __name__ == "__main__":
    main()
