#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: recovery
short_description: Read what interrupted drills left open, and record their recovery
version_added: "0.1.0"
description:
  - Used by the recover playbook (C(hadrill.drills.recover)), which needs only the inventory.
  - With O(state=plan), refuses while a drill of the environment holds the drill lock on the target
    database (it is running; recovering would undo what it is doing), waiting up to
    O(lock_wait_seconds) for the lock of a drill whose playbook was just stopped. Then reads the open
    entries of the environment's drills from the journal on the target side (C(drill_journal_table)
    of the C(db_primary) database), and those of the bundles named in O(evidence_dirs). A drill's
    bundle is used when it is on this controller (where the journal recorded it, or in
    O(evidence_dirs)); otherwise the undo tasks get a temporary stand-in directory and the result
    says where the bundle was and whether it was sealed. Entries closed in a bundle whose close the
    target side missed are closed there, not undone again.
  - With O(state=finished), re-seals the drill's bundle when it is here (sealed by
    C(hadrill recover)), records the recovery on the drill's row of the journal on the target side,
    and removes a stand-in directory.
  - Never guarded - recovery always works.
author:
  - hadrill maintainers (!UNKNOWN)
requirements:
  - psycopg 3 and the hadrill package on the controller
options:
  state:
    description: Read the open entries (V(plan)), or record a drill's recovery (V(finished)).
    type: str
    choices: [plan, finished]
    default: plan
  evidence_dirs:
    description: Bundles on this controller whose open entries are read as well (O(state=plan)).
    type: list
    elements: path
    default: []
  lock_wait_seconds:
    description: How long to wait for the drill lock of a drill that just stopped (O(state=plan)).
    type: float
    default: 30.0
  drill:
    description: One drill of the plan's RV(drills) (O(state=finished)).
    type: dict
  undone:
    description: Ids of the drill's entries that were undone (O(state=finished)).
    type: list
    elements: str
    default: []
  failed:
    description: The entries that could not be undone, each with C(id), C(action) and C(reason) (O(state=finished)).
    type: list
    elements: dict
    default: []
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill.database
"""

EXAMPLES = r"""
- name: Read the open actions of this environment from the drill journal on the target database
  hadrill.drills.recovery:
    state: plan
  register: recover_plan

- name: Record the recovery of one drill
  hadrill.drills.recovery:
    state: finished
    drill: "{{ recover_plan.drills[0] }}"
    undone: [worker-paused-worker-1]
"""

RETURN = r"""
drills:
  description:
    - O(state=plan) - the interrupted drills, newest first, each with C(drill_id), C(evidence_dir)
      (its bundle here, or a stand-in directory), C(bundle) (whether the bundle is here), C(where)
      (where the bundle is, in words), C(recorded) (its row in the journal) and C(entries) (the open
      entries, oldest first, each with C(drill_id)).
  returned: state=plan
  type: list
  elements: dict
entries:
  description: The number of open entries of all the drills.
  returned: state=plan
  type: int
manifest_sha256:
  description: The digest of the re-sealed bundle's manifest (O(state=finished), when the bundle is here).
  returned: state=finished
  type: str
still_open:
  description: Ids of the drill's entries still open in the journal on the target side (O(state=finished)).
  returned: state=finished
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "state": {"type": "str", "choices": ["plan", "finished"], "default": "plan"},
    "evidence_dirs": {"type": "list", "elements": "path", "default": []},
    "lock_wait_seconds": {"type": "float", "default": 30.0},
    "drill": {"type": "dict"},
    "undone": {"type": "list", "elements": "str", "default": []},
    "failed": {"type": "list", "elements": "dict", "default": []},
    "db_inventory_host": {"type": "str"},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=False)
    module.fail_json(msg="hadrill.drills.recovery runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
