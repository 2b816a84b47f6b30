#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: platform
short_description: Stop, start, deploy or read one host's program through its platform adapter
version_added: "0.1.0"
description:
  - Runs one operation on the host the task is delegated to (O(target)), through the adapter its
    inventory names (C(platform_adapter)), as one remote command - the change, then the program's
    state and release - so that each operation costs one round trip.
  - C(supervisor) uses C(supervisor_ctl) and C(supervisor_program), and switches releases by
    pointing C(release_link) at C(release_root)/<release> (one link per host; release directories
    named exactly like the release).
  - C(command) runs the inventory's C(platform_stop_command), C(platform_start_command),
    C(platform_deploy_command) (C({release}) replaced), C(platform_status_command) (exit code 0
    means running), C(platform_release_command), C(platform_release_present_command) and
    C(platform_log_command) (C({since}), C({bytes})).
  - Sets the fact C(platform_result) (C(running), C(state), C(release), C(action_rc), C(detail); for
    C(release_present) C(present); for C(logs) C(logs)).
  - A stop or a deploy is a fault - it passes the drill's guard - unless O(undo) says that
    C(hadrill recover) runs it to undo a journaled change.
  - Runs on the controller (action plugin), commands on the target through its connection (with its become settings).
author:
  - hadrill maintainers (!UNKNOWN)
options:
  operation:
    description: What to do.
    type: str
    required: true
    choices: [status, stop, start, deploy, release_present, logs]
  target:
    description: Inventory host whose program is acted on; the task must be delegated to it.
    type: str
    required: true
  release:
    description: Release to deploy or look for (deploy, release_present).
    type: str
    default: ""
  start_timeout_seconds:
    description: How long a stop, start or deploy may take before it counts as failed.
    type: float
    default: 60
  log_bytes:
    description: How much of each log stream C(logs) reads.
    type: int
    default: 16384
  log_since:
    description: UTC time (RFC 3339) put in place of C({since}) in C(platform_log_command).
    type: str
    default: ""
  undo:
    description: The operation undoes a journaled change (C(hadrill recover)); it does not need a started drill.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: "Skipped in check mode: it would stop, start or deploy a program."
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
"""

EXAMPLES = r"""
- name: Deploy the known-good release on api-1
  hadrill.drills.platform:
    operation: deploy
    target: api-1
    release: v1.4.2
  delegate_to: api-1
"""

RETURN = r"""
platform_result:
  description: What the adapter did and read (also set as the fact C(platform_result)).
  returned: success
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "operation": {"type": "str", "required": True,
                  "choices": ["status", "stop", "start", "deploy", "release_present", "logs"]},
    "target": {"type": "str", "required": True},
    "release": {"type": "str", "default": ""},
    "start_timeout_seconds": {"type": "float", "default": 60},
    "log_bytes": {"type": "int", "default": 16384},
    "log_since": {"type": "str", "default": ""},
    "undo": {"type": "bool", "default": False},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=False)
    module.fail_json(msg="hadrill.drills.platform runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
