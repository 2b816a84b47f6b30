#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: restore_instance
short_description: Restore a backup into an isolated verification instance and wait for its promotion
version_added: "0.1.0"
description:
  - Runs on the controller; its shell commands run on the task's host (the C(db_primary) host
    with C(become_user) the PostgreSQL OS user for C(pgbackrest) and C(basebackup), the command
    host for C(command)). The primary is never touched.
  - O(state=work_root) (run as root, C(become=true) without C(become_user)) creates O(work_root)
    (mode 0700, owned by the PostgreSQL OS user, parents never created) with hadrill's marker
    file C(.hadrill-work-root) inside. An existing O(work_root) is accepted only with that
    marker, and is then left as it is; one without it, a symbolic link, or a missing parent is
    refused. Nothing is ever chowned that hadrill did not just create.
  - O(state=prepared) refuses a busy O(port) and a O(work_root) without hadrill's marker, then
    journals (kind C(path_absent)) and creates the drill's private work directory
    C(<work_root>/<drill_id>) (mode 0700); it refuses an existing one.
  - O(state=present) refuses a target before the oldest backup and a busy port, journals the
    instance (kind C(pg_instance), or C(command) with the teardown command), marks
    C(restore_started), restores (C(pgbackrest restore) with C(--archive-mode=off) and, for a
    time target, C(--type=time --target=... --target-action=promote); for a latest target with
    O(pgbackrest_pin), from the pinned backup set with a C(restore_command) that answers WAL newer
    than the pinned segment as missing; or a copy of the newest
    base backup finished before the target with C(restore_command) on the WAL archive; or the
    inventory's restore command), appends the instance's own port,
    C(archive_mode=off), no Unix socket, C(cluster_name=hadrill_verify_<drill_id>) and O(instance_settings) to C(postgresql.auto.conf),
    and starts it (C(pg_ctl start -W)) - for C(pgbackrest) and C(basebackup) one command on the
    host, each step timed there, stopping at the first that fails. Marks C(restore_finished) at
    the moment the restore ended (the command's return less what ran after it on the host, with
    C(host_seconds)) and C(instance_started) at the return (with C(settings_seconds),
    C(start_seconds), C(command_seconds)); then polls C(pg_is_in_recovery()) from the controller
    every few milliseconds until it is false and marks C(promoted) (with C(waited_seconds) and
    C(polls)). Whether the instance still runs is asked on its host only while it does not
    answer. Fails with the end of the server log when the instance stops or is not promoted in time.
  - O(state=absent) keeps the end of the server log in the bundle, stops the instance (fast,
    then immediate), removes the work directory (or runs the teardown command), closes the
    journal entries and records the check C(verification_instance_removed) (port closed, work
    directory gone). Only what this drill's journal says it created is removed.
author:
  - hadrill maintainers (!UNKNOWN)
options:
  state:
    description: Create the root of the work directories, prepare the drill's work directory, restore and promote, or remove everything.
    type: str
    choices: [work_root, prepared, present, absent]
    default: present
  method:
    description: Restore method.
    type: str
    choices: [pgbackrest, basebackup, command]
    default: pgbackrest
  work_root:
    description: Directory on the database host under which the drill's work directory is made (pgbackrest, basebackup).
    type: path
  target:
    description: Recovery target kind.
    type: str
    choices: [time, latest]
    default: time
  target_time:
    description: Time target (ISO 8601 with offset), required for O(target=time).
    type: str
  incident_time:
    description: Time of the incident, for the command method's C(${incident_time}).
    type: str
  host:
    description: Address of the verification instance as reached from the controller; default the primary's C(db_host).
    type: str
  port:
    description: Port of the verification instance.
    type: int
  instance_settings:
    description: Extra PostgreSQL settings of the verification instance.
    type: dict
    default: {}
  pgbackrest_pin:
    description:
      - For O(target=latest) with C(pgbackrest), what the repository held at the incident
        (C(pinned_archive) of M(hadrill.drills.restore_incident)) - C(backup) (the set restored) and
        C(wal) (the newest WAL segment recovery may read); works for every repository type.
    type: dict
  pgbackrest_options:
    description: Extra options of C(pgbackrest restore).
    type: list
    elements: str
    default: []
  wal_dir:
    description: Plain WAL archive (or its frozen copy) for the C(basebackup) method.
    type: path
  restore_timeout_seconds:
    description: Upper bound of the restore command.
    type: float
    default: 3600.0
  promote_timeout_seconds:
    description: Upper bound of the wait for promotion (and of the command method's wait command).
    type: float
    default: 1800.0
  teardown_timeout_seconds:
    description: Upper bound of the teardown.
    type: float
    default: 120.0
  command_restore:
    description:
      - Restore command of the C(command) method. Placeholders C(${target}) (time or latest),
        C(${target_time}) (C(YYYY-MM-DD HH:MM:SS.ffffff+00)), C(${target_time_iso}), C(${incident_time}),
        C(${drill_id}), C(${drill_slug}) (the drill id with dashes), C(${port}); also in the wait and teardown commands.
    type: str
  command_wait:
    description: Command that returns once the restored instance accepts connections; its last output line may be C({"host", "port"}) JSON.
    type: str
  command_teardown:
    description: Command that removes the restored instance (C(command) method).
    type: str
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: "Skipped in check mode: it would restore, start or remove an instance."
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill.database
  - hadrill.drills.drill
"""

EXAMPLES = r"""
- name: Restore the latest backup into the verification instance
  hadrill.drills.restore_instance:
    method: pgbackrest
    work_root: /srv/pg-verify
    target: time
    target_time: "2026-02-28T10:10:00Z"
    port: 5433
  delegate_to: db-1
  become: true
  become_user: postgres
  register: restored
"""

RETURN = r"""
host:
  description: Address of the verification instance.
  returned: state=present
  type: str
port:
  description: Port of the verification instance.
  returned: state=present
  type: int
data_dir:
  description: Data directory of the verification instance (pgbackrest, basebackup).
  returned: state=present
  type: str
backup:
  description: Backup set or base backup restored from.
  returned: state=present
  type: str
removed:
  description: Whether nothing is left (state=absent).
  returned: state=absent
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "state": {"type": "str", "choices": ["work_root", "prepared", "present", "absent"], "default": "present"},
    "method": {"type": "str", "choices": ["pgbackrest", "basebackup", "command"], "default": "pgbackrest"},
    "work_root": {"type": "path"},
    "target": {"type": "str", "choices": ["time", "latest"], "default": "time"},
    "target_time": {"type": "str"},
    "incident_time": {"type": "str"},
    "host": {"type": "str"},
    "port": {"type": "int"},
    "instance_settings": {"type": "dict", "default": {}},
    "pgbackrest_pin": {"type": "dict"},
    "pgbackrest_options": {"type": "list", "elements": "str", "default": []},
    "wal_dir": {"type": "path"},
    "restore_timeout_seconds": {"type": "float", "default": 3600.0},
    "promote_timeout_seconds": {"type": "float", "default": 1800.0},
    "teardown_timeout_seconds": {"type": "float", "default": 120.0},
    "command_restore": {"type": "str"},
    "command_wait": {"type": "str"},
    "command_teardown": {"type": "str"},
    "db_inventory_host": {"type": "str"},
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
    )
    module.fail_json(msg="hadrill.drills.restore_instance runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
