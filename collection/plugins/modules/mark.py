#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mark
short_description: Record a named drill milestone
version_added: "0.1.0"
description:
  - Records a named milestone (C(incident), C(restore_started), C(smoke_passed), ...) with the
    controller's UTC wall clock and monotonic clock into the drill's C(events.jsonl).
  - Every figure in a drill report is computed from these markers, so mark the moment an
    operator would write down.
  - Runs on the controller (action plugin); O(data) is redacted of known secrets.
author:
  - hadrill maintainers (!UNKNOWN)
options:
  name:
    description: Marker name, for example C(incident) or C(smoke_passed).
    type: str
    required: true
  scenario:
    description: Scenario the marker belongs to (C(restore), C(rollback), C(replay)).
    type: str
  data:
    description: Extra facts recorded with the marker.
    type: dict
    default: {}
notes:
  - Timestamps come from the controller, whatever host the task is delegated to.
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: "Skipped in check mode: no milestone is recorded for something that did not happen."
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill
  - hadrill.drills.drill.marks
"""

EXAMPLES = r"""
- name: Declare the incident
  hadrill.drills.mark:
    name: incident
    scenario: restore
    data:
      target: latest

- name: Mark the end of the baseline and the start of the candidate deployment
  hadrill.drills.mark:
    name: baseline_finished
    scenario: rollback
    marks:
      - name: candidate_deploy_started
        data:
          release: v2
"""

RETURN = r"""
ts:
  description: UTC wall-clock time of the marker.
  returned: success
  type: str
  sample: "2026-11-28T10:10:00.123456Z"
mono:
  description: Controller monotonic clock reading of the marker.
  returned: success
  type: float
hadrill_marker:
  description: The marker record as written to events.jsonl.
  returned: success
  type: dict
marks:
  description: The milestones of O(marks), recorded after O(name), as written to events.jsonl (each with C(ts) and C(mono)).
  returned: when O(marks) is set
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hadrill.drills.plugins.module_utils.drill_mark import MARKS_OPTION


ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "scenario": {"type": "str"},
    "data": {"type": "dict", "default": {}},
    "marks": MARKS_OPTION,
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
    )
    module.fail_json(msg="hadrill.drills.mark runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
