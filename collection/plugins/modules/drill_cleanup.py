#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: drill_cleanup
short_description: Journal, then run, the removal of what a scenario wrote
version_added: "0.1.0"
description:
  - The cleanup of a scenario (C(drill_cleanup.<scenario>)) is an HTTP request sent through the
    load balancer or a SQL statement run on the primary with the drill's credentials. Its
    placeholders C(${drill_id}), C(${scenario}) and C(${run}) are the drill's own, so a
    cleanup removes exactly what requests scoped with them wrote.
  - O(state=open), before the scenario's first write, opens the journal entry
    C(cleanup-<scenario>) whose undo is the cleanup (placeholders filled), so that
    C(hadrill recover) runs it after a controller crash.
  - O(state=done), in the scenario's C(always) path, runs the cleanup, records the check
    C(cleanup) of the scenario and closes the journal entry when it succeeded (a failed cleanup
    leaves it open for C(hadrill recover)).
  - O(state=send) sends a journaled cleanup request (O(request) with O(values)); used by
    C(hadrill recover). Fails when the request does not succeed.
  - Without a cleanup (O(cleanup) unset) nothing happens.
author:
  - hadrill maintainers (!UNKNOWN)
options:
  scenario:
    description: Scenario whose writes are removed (C(rollback) or C(replay)).
    type: str
    required: true
  state:
    description: What to do (see the description).
    type: str
    choices: [open, done, send]
    default: done
  cleanup:
    description:
      - The scenario's cleanup, C(request) (the C(hadrill.httpspec) request format) or C(query).
        Described in the collection's docs/your-service.md.
    type: dict
  base_url:
    description: Where a cleanup request is sent (the load balancer's C(lb_base_url)); required to run one.
    type: str
  headers:
    description: Headers of the cleanup request (C(drill_http_headers)).
    type: dict
    default: {}
  request:
    description: With O(state=send), the journaled request.
    type: dict
  values:
    description: With O(state=send), the journaled placeholder values.
    type: dict
    default: {}
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: "Skipped in check mode: it would remove the drill's data."
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill
"""

EXAMPLES = r"""
- name: Journal the removal of the drill's writes before the write traffic starts
  hadrill.drills.drill_cleanup:
    scenario: replay
    state: open
    cleanup: "{{ (drill_cleanup | default({})).get('replay') }}"

- name: Remove what the drill wrote
  hadrill.drills.drill_cleanup:
    scenario: replay
    state: done
    cleanup: "{{ (drill_cleanup | default({})).get('replay') }}"
    base_url: http://lb.example.internal
    headers:
      Authorization: Bearer {{ vault_api_key }}
"""

RETURN = r"""
passed:
  description: Whether the cleanup ran and succeeded (O(state=done) and O(state=send)).
  returned: when a cleanup ran
  type: bool
kind:
  description: C(http) or C(sql).
  returned: when a cleanup is configured
  type: str
detail:
  description: What the cleanup answered (status, or the statement's row count), or why it failed.
  returned: when a cleanup ran
  type: str
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "scenario": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["open", "done", "send"], "default": "done"},
    "cleanup": {"type": "dict"},
    "base_url": {"type": "str"},
    "headers": {"type": "dict", "default": {}},
    "request": {"type": "dict"},
    "values": {"type": "dict", "default": {}},
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
    )
    module.fail_json(msg="hadrill.drills.drill_cleanup runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
