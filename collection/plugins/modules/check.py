#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: check
short_description: Record a verified drill fact (precondition, data check, replay proof)
version_added: "0.1.0"
description:
  - Records a named check with its observed and expected values and whether it passed into the
    drill's C(events.jsonl); the report's preconditions and scenario checks are built from these.
  - Runs on the controller (action plugin); values are redacted of known secrets.
author:
  - hadrill maintainers (!UNKNOWN)
options:
  name:
    description:
      - Check identifier, for example C(api_replicas_healthy).
      - Required unless O(checks) records several checks at once.
    type: str
  label:
    description: Operator wording for the report; defaults to O(name) with spaces.
    type: str
  scenario:
    description: Scenario the check belongs to; unset for preconditions.
    type: str
  passed:
    description: Whether the check passed (required with O(name)).
    type: bool
  observed:
    description: What was measured live.
    type: raw
  expected:
    description: What was required.
    type: raw
  detail:
    description: One-line explanation, shown in the report when the check fails.
    type: str
    default: ""
  compared_nothing:
    description:
      - Why the check had nothing to compare (an empty sample, an empty proof set, a gate that did
        not run), or empty when it compared something.
      - A passed check that compared nothing is recorded with status C(warn), never C(pass), and
        makes its scenario incomplete (the drill result is then C(partial), naming the reason).
    type: str
    default: ""
  fail_when_not_passed:
    description: Fail the task when O(passed) is false, or one of O(checks) did not pass (after recording them all).
    type: bool
    default: false
  checks:
    description:
      - Several checks recorded in one task, in this order, each like a task of its own with
        O(name), O(label), O(passed), O(observed), O(expected), O(detail) and O(compared_nothing)
        (O(scenario) is the task's); instead of O(name).
    type: list
    elements: dict
    suboptions:
      name:
        description: Check identifier.
        type: str
        required: true
      label:
        description: Operator wording for the report; defaults to O(checks[].name) with spaces.
        type: str
      passed:
        description: Whether the check passed.
        type: bool
        required: true
      observed:
        description: What was measured live.
        type: raw
      expected:
        description: What was required.
        type: raw
      detail:
        description: One-line explanation, shown in the report when the check fails.
        type: str
        default: ""
      compared_nothing:
        description: Why the check had nothing to compare, or empty (see O(compared_nothing)).
        type: str
        default: ""
      applies:
        description: Whether the check applies to this drill; one that does not is not recorded at all.
        type: bool
        default: true
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: "Skipped in check mode: the evidence never records a check that did not run."
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill
"""

EXAMPLES = r"""
- name: Record that both API replicas are healthy
  hadrill.drills.check:
    name: api_replicas_healthy
    label: API replicas healthy
    passed: "{{ healthy | length == groups['api'] | length }}"
    observed: "{{ healthy | length }}"
    expected: "{{ groups['api'] | length }}"

- name: Record the load balancer's backends and, when the rollback runs, its admin level
  hadrill.drills.check:
    checks:
      - name: lb_backends_up
        passed: "{{ lb.up >= 2 }}"
        observed: "{{ lb.up }}"
        expected: 2 up
      - name: lb_admin_level
        passed: "{{ lb.cli_level == 'admin' }}"
        observed: "{{ lb.cli_level }}"
        expected: admin
        applies: "{{ 'rollback' in drill_selected_scenarios }}"
  register: lb_checks
"""

RETURN = r"""
passed:
  description: Whether the check passed.
  returned: always
  type: bool
status:
  description: C(pass), C(fail), or C(warn) for a passed check that compared nothing.
  returned: always
  type: str
check:
  description: The check record as written to events.jsonl.
  returned: with O(name)
  type: dict
checks:
  description: The check records as written to events.jsonl, in order (those that apply).
  returned: with O(checks)
  type: list
  elements: dict
not_passed:
  description: The labels of the checks that did not pass, in order.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "name": {"type": "str"},
    "label": {"type": "str"},
    "scenario": {"type": "str"},
    "passed": {"type": "bool"},
    "observed": {"type": "raw"},
    "expected": {"type": "raw"},
    "detail": {"type": "str", "default": ""},
    "compared_nothing": {"type": "str", "default": ""},
    "fail_when_not_passed": {"type": "bool", "default": False},
    "checks": {
        "type": "list",
        "elements": "dict",
        "options": {
            "name": {"type": "str", "required": True},
            "label": {"type": "str"},
            "passed": {"type": "bool", "required": True},
            "observed": {"type": "raw"},
            "expected": {"type": "raw"},
            "detail": {"type": "str", "default": ""},
            "compared_nothing": {"type": "str", "default": ""},
            "applies": {"type": "bool", "default": True},
        },
    },
    "evidence_dir": {"type": "path"},
}
# One check (name and passed) or several (checks).
ARGUMENT_RULES = {
    "mutually_exclusive": [["name", "checks"]],
    "required_one_of": [["name", "checks"]],
    "required_together": [["name", "passed"]],
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
        **ARGUMENT_RULES,
    )
    module.fail_json(msg="hadrill.drills.check runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
