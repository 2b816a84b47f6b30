#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: restore_snapshot
short_description: Snapshot the schema version and a tenant sample before a restore; compare on the copy
version_added: "0.1.0"
description:
  - O(state=taken) reads, on the primary and in one read-only repeatable-read transaction, the
    schema version (first column of O(schema_version_query)) and, for each tenant of O(tenants),
    every query of O(queries) with C(%(tenant)s) and C(%(cutoff)s) bound. The cutoff is the
    server's clock minus O(cutoff_seconds) (and never later than O(target_time) minus it). The
    snapshot goes to C(records/restore-snapshot.json) in the bundle; marker C(snapshot_taken).
  - O(state=compared) runs the same queries with the same cutoff on the restored copy
    (O(host)/O(port)) and records the checks C(schema_version), C(tenant_sample_<tenant>) and,
    with O(canary_table), C(canary_restored) (every acknowledged canary row up to the newest
    restored one is there); markers C(schema_checked) and C(sample_checked). Fails when the
    schema version differs from O(expected_schema_version) (default the primary's).
  - Credentials are the C(db_*) variables of the C(db_primary) host.
author:
  - hadrill maintainers (!UNKNOWN)
options:
  state:
    description: Take the snapshot (primary) or compare with it (restored copy).
    type: str
    choices: [taken, compared]
    default: taken
  schema_version_query:
    description: SQL whose first column of the first row is the schema version.
    type: str
    required: true
  tenants:
    description: Tenants of the sample.
    type: list
    elements: str
    default: []
  queries:
    description: Per-tenant queries, each a dict with C(name) and C(query).
    type: list
    elements: dict
    default: []
  cutoff_seconds:
    description: How far before the snapshot (or a time target) the sample's cutoff lies.
    type: float
    default: 60.0
  target_time:
    description: An explicit time target (ISO 8601 with offset); the cutoff is never later than it.
    type: str
  host:
    description: Host of the restored copy (state=compared); defaults to the primary's C(db_host).
    type: str
  port:
    description: Port of the restored copy (required for state=compared).
    type: int
  expected_schema_version:
    description: Expected schema version of the copy; defaults to the one read on the primary.
    type: str
  canary_table:
    description: Canary table to read on the copy (state=compared).
    type: str
  canary_sampler:
    description: Name of the canary sampler whose samples are the acknowledged rows.
    type: str
    default: canary
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: "Skipped in check mode: it records a snapshot for a running drill."
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill.database
  - hadrill.drills.drill
"""

EXAMPLES = r"""
- name: Snapshot the schema version and tenant sample on the primary
  hadrill.drills.restore_snapshot:
    schema_version_query: select max(version)::text from schema_migrations
    tenants: [default]
    queries:
      - name: orders
        query: select count(*) as n from orders where tenant = %(tenant)s and created_at < %(cutoff)s
    cutoff_seconds: 60

- name: Compare them on the restored copy
  hadrill.drills.restore_snapshot:
    state: compared
    schema_version_query: select max(version)::text from schema_migrations
    queries:
      - name: orders
        query: select count(*) as n from orders where tenant = %(tenant)s and created_at < %(cutoff)s
    port: 5433
    canary_table: hadrill_canary
"""

RETURN = r"""
schema_version:
  description: Schema version read (primary for taken, copy for compared).
  returned: success
  type: str
cutoff:
  description: Cutoff of the tenant sample (state=taken).
  returned: state=taken
  type: str
schema_passed:
  description: Whether the copy has the expected schema version (state=compared).
  returned: state=compared
  type: bool
sample_differences:
  description: Per tenant, the readable differences (empty lists when equal).
  returned: state=compared
  type: dict
canary:
  description: The restored canary rows (rows, newest_seq, newest_written_at) (state=compared).
  returned: state=compared
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "state": {"type": "str", "choices": ["taken", "compared"], "default": "taken"},
    "schema_version_query": {"type": "str", "required": True},
    "tenants": {"type": "list", "elements": "str", "default": []},
    "queries": {"type": "list", "elements": "dict", "default": []},
    "cutoff_seconds": {"type": "float", "default": 60.0},
    "target_time": {"type": "str"},
    "host": {"type": "str"},
    "port": {"type": "int"},
    "expected_schema_version": {"type": "str"},
    "canary_table": {"type": "str"},
    "canary_sampler": {"type": "str", "default": "canary"},
    "db_inventory_host": {"type": "str"},
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
    )
    module.fail_json(msg="hadrill.drills.restore_snapshot runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
