#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: restore_canary
short_description: Create or drop the restore drill's canary table on the primary
version_added: "0.1.0"
description:
  - O(state=present) refuses when a table named O(table) already exists (it is not the drill's
    to use), journals a C(sql) undo that drops the table only if it carries this drill's
    comment, then creates it (C(seq bigint primary key), C(written_at timestamptz)) and marks
    C(canary_table_created).
  - O(state=absent) drops the table if this drill created it, closes the journal entry and
    records the check C(canary_table_dropped). It is the only write of the restore drill to the
    primary besides the canary rows themselves (written by the C(canary) sampler).
  - Connects from the controller with the C(db_*) variables of the C(db_primary) host.
author:
  - hadrill maintainers (!UNKNOWN)
options:
  table:
    description: Canary table name (lower-case, optionally schema-qualified).
    type: str
    required: true
  state:
    description: Create or drop.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: "Skipped in check mode: it would create or drop a table on the primary."
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill.database
  - hadrill.drills.drill
"""

EXAMPLES = r"""
- name: Create the canary table on the primary
  hadrill.drills.restore_canary:
    table: hadrill_canary

- name: Drop the canary table
  hadrill.drills.restore_canary:
    table: hadrill_canary
    state: absent
"""

RETURN = r"""
table:
  description: The canary table.
  returned: success
  type: str
dropped:
  description: Whether the table is gone (state=absent).
  returned: state=absent
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "table": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "db_inventory_host": {"type": "str"},
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
    )
    module.fail_json(msg="hadrill.drills.restore_canary runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
