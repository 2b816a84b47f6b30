#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: haproxy_info
short_description: Report the servers of an HAProxy backend and whether they are up
version_added: "0.1.0"
description:
  - Reads C(show stat) from HAProxy's admin socket and returns every server of O(backend)
    with its status, current sessions and last health check.
  - With O(wait_all_up=true) it waits until every server is UP.
author:
  - hadrill maintainers (!UNKNOWN)
options:
  socket:
    description: Path of HAProxy's admin socket.
    type: path
    required: true
  backend:
    description: Backend name.
    type: str
    required: true
  wait_all_up:
    description: Wait until every server of the backend is UP.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait before failing.
    type: float
    default: 60
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: It only reads the load balancer.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
"""

EXAMPLES = r"""
- name: Read the API backend
  hadrill.drills.haproxy_info:
    socket: /run/haproxy/admin.sock
    backend: api
  delegate_to: lb-1
  register: lb
"""

RETURN = r"""
servers:
  description: Servers of the backend.
  returned: success
  type: list
  elements: dict
  sample: [{"name": "api-1", "status": "UP", "sessions": 0, "check_status": "L7OK"}]
up:
  description: Number of servers that are UP.
  returned: success
  type: int
total:
  description: Number of servers in the backend.
  returned: success
  type: int
cli_level:
  description:
    - The socket's access level (C(show cli level)) - C(admin), C(operator) or C(user). A drill
      drains and enables servers, which needs C(admin).
  returned: success
  type: str
  sample: admin
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hadrill.drills.plugins.module_utils.haproxy import HAProxyError, HAProxyRuntime, is_up


def main():
    module = AnsibleModule(
        argument_spec={
            "socket": {"type": "path", "required": True},
            "backend": {"type": "str", "required": True},
            "wait_all_up": {"type": "bool", "default": False},
            "wait_timeout": {"type": "float", "default": 60},
        },
        supports_check_mode=True,
    )
    runtime = HAProxyRuntime(module.params["socket"])
    deadline = time.monotonic() + module.params["wait_timeout"]
    try:
        while True:
            servers = runtime.servers(module.params["backend"])
            up = sum(1 for item in servers if is_up(item))
            if not module.params["wait_all_up"] or (servers and up == len(servers)):
                break
            if time.monotonic() >= deadline:
                module.fail_json(
                    msg="not every server of backend %s is UP after %.0fs: %s" % (
                        module.params["backend"], module.params["wait_timeout"],
                        ", ".join("%s=%s" % (item["name"], item["status"]) for item in servers)),
                    servers=servers, up=up, total=len(servers))
            time.sleep(0.1)
    except HAProxyError as exc:
        module.fail_json(msg=str(exc))
    if not servers:
        module.fail_json(msg="backend %s not found or has no servers" % module.params["backend"])
    try:
        level = runtime.cli_level()
    except HAProxyError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, servers=servers, up=up, total=len(servers), cli_level=level)


if __name__ == "__main__":
    main()
