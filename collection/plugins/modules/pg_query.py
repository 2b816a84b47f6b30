#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: pg_query
short_description: Run SQL from the controller against the drill's database or a restored copy
version_added: "0.1.0"
description:
  - Connects with psycopg 3 using the C(db_*) variables of a C(db_primary) inventory host, so
    credentials never appear in task arguments, and returns the rows as dictionaries.
  - O(host), O(port) and O(dbname) override the connection target, for example to query an
    isolated verification instance restored on another port.
  - O(read_only=true) runs the query in a read-only REPEATABLE READ transaction.
author:
  - hadrill maintainers (!UNKNOWN)
requirements:
  - psycopg 3 and the hadrill package on the controller
options:
  query:
    description: SQL text; use C(%s) or C(%(name)s) placeholders with O(params).
    type: str
    required: true
  params:
    description: Query parameters (list or dict).
    type: raw
  host:
    description: Override the database host name.
    type: str
  port:
    description: Override the database port.
    type: int
  dbname:
    description: Override the database name.
    type: str
  wait_seconds:
    description: Keep retrying the connection this long (a starting server refuses connections).
    type: float
    default: 0.0
  read_only:
    description: Run inside a read-only repeatable-read transaction.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: partial
    details: In check mode the statement runs inside a read-only transaction; a statement that writes is not run.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill.database
"""

EXAMPLES = r"""
- name: Read the schema version of the restored copy
  hadrill.drills.pg_query:
    query: select max(version) as version from schema_migrations
    port: 15433
    wait_seconds: 30
  register: restored_schema
"""

RETURN = r"""
rows:
  description: Result rows as dictionaries (timestamps as UTC ISO 8601 strings).
  returned: success
  type: list
  elements: dict
rowcount:
  description: Number of rows returned.
  returned: success
  type: int
status:
  description: The server's status message (C(SELECT 1), C(INSERT 0 1), C(DROP TABLE)); C(changed) follows from it.
  returned: success
  type: str
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "query": {"type": "str", "required": True},
    "params": {"type": "raw"},
    "db_inventory_host": {"type": "str"},
    "host": {"type": "str"},
    "port": {"type": "int"},
    "dbname": {"type": "str"},
    "wait_seconds": {"type": "float", "default": 0.0},
    "read_only": {"type": "bool", "default": False},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
    )
    module.fail_json(msg="hadrill.drills.pg_query runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
