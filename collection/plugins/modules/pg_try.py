#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: pg_try
short_description: Try, harmlessly, what the selected scenarios will do on the primary database
version_added: "0.1.0"
description:
  - Before the first fault, plans every statement the selected scenarios will run on the primary
    with C(EXPLAIN) inside a read-only transaction, as the drill user - the restore's schema-version
    and tenant-sample queries, the replay's SQL backlog readings and proof query, each scenario's
    SQL cleanup statement. The server checks each statement and every privilege it needs;
    nothing is executed, not even a C(DELETE).
  - Asks the server, in the drill's own database, for the privileges no statement shows - the
    C(pg_switch_wal()) the restore forces before a time target (C(has_function_privilege)), and
    C(CREATE) in the canary table's schema (C(has_schema_privilege)).
  - Plans, for every drill, what the drill journal on the target side needs once
    M(hadrill.drills.drill_start) has created it - opening, closing and reading an entry of
    C(drill_journal_table) - and records it as the check C(journal_database_privileges).
  - Reads the scenarios' settings from the inventory through their models (the roles' defaults
    apply), fills the drill's placeholders as the scenarios do, and records one check per selected
    scenario (C(scenario=preconditions)) naming every statement or privilege that failed.
  - Runs on the controller (action plugin) with the credentials of the C(db_primary) host.
author:
  - hadrill maintainers (!UNKNOWN)
requirements:
  - psycopg 3 and the hadrill package on the controller
options:
  scenarios:
    description: The scenarios to try; default C(drill_selected_scenarios).
    type: list
    elements: str
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: It never changes the database.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill
  - hadrill.drills.drill.database
"""

EXAMPLES = r"""
- name: Try the statements and privileges of the selected scenarios on the primary
  hadrill.drills.pg_try:
"""

RETURN = r"""
passed:
  description: Whether every trial passed.
  returned: success
  type: bool
trials:
  description: One entry per trial, with C(name), C(label), C(passed) and C(detail).
  returned: success
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "scenarios": {"type": "list", "elements": "str"},
    "db_inventory_host": {"type": "str"},
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg="hadrill.drills.pg_try runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
