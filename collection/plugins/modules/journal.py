#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: journal
short_description: Record in the drill journal what undoes a reversible action
version_added: "0.1.0"
description:
  - Before a role pauses a worker, deploys a candidate or starts a verification instance, it
    opens a journal entry describing how to undo it; once undone (normally in an C(always)
    section) it closes the entry. After a controller crash, C(hadrill recover) undoes every
    entry still open.
  - The undo description is a dictionary with a C(kind) that C(hadrill recover) knows
    (see the collection's docs/safety.md).
  - Every entry is written twice - in the bundle's C(journal.jsonl) and, first, in the journal on
    the target side (the table C(drill_journal_table) of the C(db_primary) database, which
    M(hadrill.drills.drill_start) names for the drill) - so that the next drill, from any controller,
    refuses while it is open and the recover playbook finds it with only the inventory. An entry
    the target side cannot take fails the task, and the action is not done. A close the target side
    cannot take is a warning - the close is recorded in the bundle and sent again at the seal.
  - With O(drill_id), recovery closes an entry of an earlier drill in the journal on the target side
    that the inventory names (C(drill_environment), C(drill_journal_table), the C(db_primary) host).
author:
  - hadrill maintainers (!UNKNOWN)
options:
  id:
    description: Entry id, unique within the drill (for example C(worker-paused-worker-1)).
    type: str
    required: true
  state:
    description: Open the entry before acting, close it once undone.
    type: str
    choices: [open, closed]
    default: open
  action:
    description: What is being done, in operator words (required to open).
    type: str
  undo:
    description: How to undo it; a dictionary with a C(kind) (required to open).
    type: dict
  scenario:
    description: Scenario the action belongs to.
    type: str
  host:
    description: Inventory host acted on.
    type: str
  drill_id:
    description:
      - The drill whose entry recovery closes (only with O(state=closed)); default - the running drill's.
    type: str
extends_documentation_fragment:
  - hadrill.drills.drill
  - hadrill.drills.drill.marks
"""

EXAMPLES = r"""
- name: Journal the worker pause before pausing
  hadrill.drills.journal:
    id: worker-paused-worker-1
    action: worker paused
    host: worker-1
    scenario: replay
    undo:
      kind: platform
      operation: start
      target: worker-1
"""

RETURN = r"""
id:
  description: The entry id.
  returned: always
  type: str
marks:
  description: The milestones recorded after the action's work (O(marks)), as written to events.jsonl (each with C(ts) and C(mono)).
  returned: when O(marks) is set
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hadrill.drills.plugins.module_utils.drill_mark import MARKS_OPTION


ARGUMENT_SPEC = {
    "id": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["open", "closed"], "default": "open"},
    "action": {"type": "str"},
    "undo": {"type": "dict"},
    "scenario": {"type": "str"},
    "host": {"type": "str"},
    "drill_id": {"type": "str"},
    "marks": MARKS_OPTION,
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
    )
    module.fail_json(msg="hadrill.drills.journal runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
