#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: rollback_wait_ready
short_description: Wait until one API replica answers its health check, on the expected release
version_added: "0.1.0"
description:
  - Polls O(base_url) + O(health_path) from the controller every O(interval_seconds) until it
    answers one of O(expect_status), for at most O(timeout_seconds).
  - With O(release_field) (a dotted path into the JSON answer), the answer must also name
    O(release) there, so an old instance still answering during a rolling switch is not
    mistaken for the new one.
  - Runs on the controller (action plugin); the logic lives in C(hadrill.scenarios.rollback.ready).
author:
  - hadrill maintainers (!UNKNOWN)
options:
  base_url:
    description: Base URL of the replica (its C(api_base_url)).
    type: str
    required: true
  health_path:
    description: Path of the health check.
    type: str
    default: /health
  timeout_seconds:
    description: Longest wait.
    type: float
    default: 120.0
  interval_seconds:
    description: Time between two attempts.
    type: float
    default: 0.25
  expect_status:
    description: Statuses that mean healthy.
    type: list
    elements: int
    default: [200]
  headers:
    description:
      - Headers sent with every health check - the drill's C(drill_http_headers), for a service whose
        health endpoint needs credentials. Never recorded.
    type: dict
    default: {}
  release_field:
    description: JMESPath of the release in the JSON answer; empty to not check the release.
    type: str
    default: ""
  release:
    description: Release the answer must name (with O(release_field)).
    type: str
    default: ""
  fail_when_not_ready:
    description: Fail the task when the replica is not ready in time.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: "Skipped in check mode: it waits for a switch that did not happen."
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
"""

EXAMPLES = r"""
- name: Wait until api-1 answers healthy on v1.4.2
  hadrill.drills.rollback_wait_ready:
    base_url: http://10.0.0.11:8080
    health_path: /health
    release_field: release
    release: v1.4.2
    timeout_seconds: 60
  register: ready
"""

RETURN = r"""
ready:
  description: Whether the replica answered healthy (on the release) in time.
  returned: always
  type: bool
status:
  description: HTTP status of the last attempt (null when it did not answer).
  returned: always
  type: int
release:
  description: Release named by the last answer (with release_field).
  returned: always
  type: str
waited_seconds:
  description: How long it waited.
  returned: always
  type: float
attempts:
  description: Number of health requests sent.
  returned: always
  type: int
detail:
  description: Why the last attempt was not healthy.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "base_url": {"type": "str", "required": True},
    "health_path": {"type": "str", "default": "/health"},
    "timeout_seconds": {"type": "float", "default": 120.0},
    "interval_seconds": {"type": "float", "default": 0.25},
    "expect_status": {"type": "list", "elements": "int", "default": [200]},
    "headers": {"type": "dict", "default": {}, "no_log": True},
    "release_field": {"type": "str", "default": ""},
    "release": {"type": "str", "default": ""},
    "fail_when_not_ready": {"type": "bool", "default": False},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
    )
    module.fail_json(msg="hadrill.drills.rollback_wait_ready runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
