#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: haproxy_server
short_description: Drain, disable or re-enable one HAProxy backend server through the runtime API
version_added: "0.1.0"
description:
  - Sets a server's administrative state through HAProxy's admin socket and waits for the
    result, so a deployment can take a replica out of rotation without failing a request.
  - C(maint) and C(drain) stop new requests reaching the server; with O(wait=true) the module
    then waits until the server has no session left. C(ready) puts it back and, with
    O(wait=true), waits until the health check reports it UP.
author:
  - hadrill maintainers (!UNKNOWN)
options:
  socket:
    description: Path of HAProxy's admin socket (C(stats socket ... level admin)).
    type: path
    required: true
  backend:
    description: Backend name.
    type: str
    required: true
  server:
    description: Server name inside the backend.
    type: str
    required: true
  state:
    description: Administrative state to set.
    type: str
    choices: [ready, drain, maint]
    required: true
  wait:
    description: Wait for no sessions (drain, maint) or for UP (ready).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait before failing.
    type: float
    default: 60
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: In check mode it reads the server and predicts whether its state would change.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
"""

EXAMPLES = r"""
- name: Take api-1 out of rotation and wait until its last request finished
  hadrill.drills.haproxy_server:
    socket: /run/haproxy/admin.sock
    backend: api
    server: api-1
    state: maint
  delegate_to: lb-1
"""

RETURN = r"""
server:
  description: The server's status after the change (name, status, sessions, check_status).
  returned: success
  type: dict
waited_seconds:
  description: How long the module waited for the server to settle.
  returned: success
  type: float
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hadrill.drills.plugins.module_utils.haproxy import (
    HAProxyError,
    HAProxyRuntime,
    is_idle,
    is_up,
)


def would_change(server, state):
    """Whether setting ``state`` changes the server's administrative state (HAProxy's status shows
    MAINT or DRAIN while one is set)."""
    status = str(server.get("status", "")).upper()
    if state == "maint":
        return not status.startswith("MAINT")
    if state == "drain":
        return not status.startswith("DRAIN")
    return status.startswith("MAINT") or status.startswith("DRAIN")


def main():
    module = AnsibleModule(
        argument_spec={
            "socket": {"type": "path", "required": True},
            "backend": {"type": "str", "required": True},
            "server": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["ready", "drain", "maint"], "required": True},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "float", "default": 60},
        },
        supports_check_mode=True,
    )
    params = module.params
    runtime = HAProxyRuntime(params["socket"])
    try:
        before = runtime.server(params["backend"], params["server"])
        if module.check_mode:
            module.exit_json(changed=would_change(before, params["state"]), server=before, waited_seconds=0.0)
        runtime.set_state(params["backend"], params["server"], params["state"])
        waited = 0.0
        current = runtime.server(params["backend"], params["server"])
        if params["wait"]:
            predicate = is_up if params["state"] == "ready" else is_idle
            current, waited = runtime.wait_for(
                params["backend"], params["server"], predicate, params["wait_timeout"]
            )
    except HAProxyError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=before["status"] != current["status"], server=current, before=before,
                     waited_seconds=round(waited, 3))


if __name__ == "__main__":
    main()
