#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: guard
short_description: Refuse to go on unless this run started the drill and may inject its faults
version_added: "0.1.0"
description:
  - The first task of every role that changes a host. It fails unless M(hadrill.drills.drill_start)
    ran earlier in this very run (its C(drill.json) names the drill and the environment's drill
    lock is held by a process this task runs under), so C(--start-at-task), C(--tags), AWX job
    tags or a role included from another playbook cannot reach a fault without the drill's checks.
  - With O(fault=true) it also refuses a scenario the drill did not select, and re-checks the
    production guard live - the environment class must be set, the same on every host of the
    inventory, not given as an extra var, a play or task variable or a fact, equal to the class the
    drill started with, and for production C(drill_allow_production) and C(drill_confirm_id) must
    confirm this drill id.
  - Every action of the collection that changes a host runs the same checks itself at the moment
    of the change; this task makes a refusal happen before a role's first step.
  - Runs on the controller (action plugin). Refuses check mode.
author:
  - hadrill maintainers (!UNKNOWN)
options:
  scenario:
    description: The scenario about to run (C(restore), C(rollback), C(replay)); unset outside scenarios.
    type: str
  fault:
    description: Whether what follows injects faults (scenarios, platform changes) or only reads and records.
    type: bool
    default: true
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: Refuses check mode, which a drill cannot honour.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill
"""

EXAMPLES = r"""
- name: Check that the drill was started in this run and may restore
  hadrill.drills.guard:
    scenario: restore
"""

RETURN = r"""
drill_id:
  description: The drill this run started.
  returned: success
  type: str
environment_class:
  description: The environment class the drill runs under.
  returned: success
  type: str
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "scenario": {"type": "str"},
    "fault": {"type": "bool", "default": True},
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=False)
    module.fail_json(msg="hadrill.drills.guard runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
