#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: restore_incident
short_description: Declare a restore drill's incident and fix its recovery target
version_added: "0.1.0"
description:
  - For O(target=latest) with O(pgbackrest_pin), first pins the pgBackRest repository (C(pgbackrest info)
    on the task's host, normally the C(db_primary) host as its PostgreSQL OS user; its newest backup set
    and the newest WAL segment of the current database), then marks C(incident); the restore
    (M(hadrill.drills.restore_instance) with O(hadrill.drills.restore_instance#module:pgbackrest_pin))
    uses nothing newer, so WAL archived later cannot count. pgBackRest reads the repository wherever it
    is (a directory of the host, a repository host over SSH with C(repo1-host), S3, Azure or GCS);
    nothing is copied and nothing is written into it.
  - For O(target=latest) with O(freeze_source) (the C(basebackup) method's plain WAL archive, a
    directory of the task's host), first freezes the archive (a hard-link copy C(cp -al) into
    O(freeze_dest)), then marks C(incident); what a real loss of the primary at that instant would
    leave is exactly what the frozen copy holds, and WAL archived later cannot count.
  - For O(target=time), marks C(incident), then fixes the target, O(target_time) if given, else
    the incident minus O(before_incident_seconds), moved into the middle of the gap between the
    two canary writes around it (so "the last row committed before the target" is decidable).
    With O(force_wal_switch), switches the primary to a new WAL segment and waits until the
    archiver reports the old one archived (a target inside the segment being written cannot be
    reached); marks C(wal_archived).
  - Marks C(restore_target) with the chosen target.
author:
  - hadrill maintainers (!UNKNOWN)
options:
  target:
    description: A point in time, or the latest archived WAL.
    type: str
    choices: [time, latest]
    default: time
  target_time:
    description: Explicit time target (ISO 8601 with a UTC offset).
    type: str
  before_incident_seconds:
    description: Without O(target_time), how long before the incident the target lies.
    type: float
    default: 1.0
  force_wal_switch:
    description: For a time target, switch WAL and wait for the archiver (needs the right to call C(pg_switch_wal())).
    type: bool
    default: true
  archive_wait_seconds:
    description: How long to wait for the switched segment to be archived.
    type: float
    default: 60.0
  pgbackrest_pin:
    description: For O(target=latest), pin the pgBackRest repository at the incident (needs the C(db_primary) host's C(pgbackrest_stanza)).
    type: bool
    default: false
  freeze_source:
    description: Plain WAL archive directory to freeze for O(target=latest) (the C(basebackup) method).
    type: path
  freeze_dest:
    description: Where the frozen hard-link copy goes (same file system as O(freeze_source)).
    type: path
  freeze_timeout_seconds:
    description: Upper bound of the freeze or of reading the repository for the pin.
    type: float
    default: 600.0
  canary_sampler:
    description: Name of the canary sampler whose writes place the time target.
    type: str
    default: canary
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: "Skipped in check mode: it would declare the incident and switch WAL."
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill.database
  - hadrill.drills.drill
"""

EXAMPLES = r"""
- name: Declare the incident (latest archived WAL, the pgBackRest repository pinned)
  hadrill.drills.restore_incident:
    target: latest
    pgbackrest_pin: true
  delegate_to: db-1
  become: true
  become_user: postgres
  register: incident
"""

RETURN = r"""
incident_ts:
  description: UTC time of the incident marker.
  returned: always
  type: str
target:
  description: The recovery target (C(kind), C(time) ISO 8601 UTC, C(postgres) notation with C(+00)).
  returned: success
  type: dict
frozen_archive:
  description: Path of the frozen archive copy, if any.
  returned: success
  type: str
pinned_archive:
  description: The pinned repository (C(backup) label, newest C(wal) segment, C(archive_id)), if any.
  returned: success
  type: dict
wal_archived:
  description: The switched segment and how long the archiver took (time targets with O(force_wal_switch)).
  returned: success
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "target": {"type": "str", "choices": ["time", "latest"], "default": "time"},
    "target_time": {"type": "str"},
    "before_incident_seconds": {"type": "float", "default": 1.0},
    "force_wal_switch": {"type": "bool", "default": True},
    "archive_wait_seconds": {"type": "float", "default": 60.0},
    "pgbackrest_pin": {"type": "bool", "default": False},
    "freeze_source": {"type": "path"},
    "freeze_dest": {"type": "path"},
    "freeze_timeout_seconds": {"type": "float", "default": 600.0},
    "canary_sampler": {"type": "str", "default": "canary"},
    "db_inventory_host": {"type": "str"},
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
    )
    module.fail_json(msg="hadrill.drills.restore_incident runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
