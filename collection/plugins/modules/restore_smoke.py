#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: restore_smoke
short_description: Smoke-test the verification API started on a restored database
version_added: "0.1.0"
description:
  - Sends the inventory's requests to O(base_url) in order, from the controller. Each is
    retried until it passes for at most its C(retry_seconds) (every C(retry_interval_seconds)),
    so the first request can wait for the freshly started API and a read-back can wait for the
    application's worker. Stops at the first request that does not pass.
  - C(${token}) (unique per drill), C(${drill_id}), C(${scenario}) (C(restore)) and C(${run})
    (unique per run of the drill) are replaced in paths, headers, bodies, captures and
    assertions; values a request captures (C(capture)) are available to later requests as
    C(${name}).
  - A request passes when its status is expected, its body contains C(expect_body_contains),
    every C(expect_json) assertion holds and every C(capture) found its value. Assert the
    read-back on the recalled item (C(expect_json)), not on text an API may echo from the query.
  - Marks C(smoke_started) before the first request and C(smoke_passed) (with the endpoints)
    when all passed; records one check C(smoke_<name>) per request sent.
author:
  - hadrill maintainers (!UNKNOWN)
options:
  base_url:
    description: Base URL of the verification API, as reached from the controller.
    type: str
    required: true
  requests:
    description:
      - Requests in the C(hadrill.httpspec) format (C(name), C(method), C(path), C(headers), C(json),
        C(form), C(data), C(expect_status), C(expect_body_contains), C(expect_json), C(capture),
        C(then), C(timeout_seconds)) plus C(retry_seconds) and C(retry_interval_seconds).
        Described in C(collection/docs/your-service.md).
    type: list
    elements: dict
    required: true
  headers:
    description: Headers sent with every request (request headers win).
    type: dict
    default: {}
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: "Skipped in check mode: the smoke writes to the verification API."
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill
"""

EXAMPLES = r"""
- name: Smoke-test the verification API
  hadrill.drills.restore_smoke:
    base_url: http://127.0.0.1:18100
    headers:
      Authorization: Bearer {{ vault_api_key }}
    requests:
      - {name: health, path: /health, retry_seconds: 30}
      - name: write
        method: POST
        path: /v1/items
        json: {text: "restore smoke ${token}"}
        capture: {id: id}
      - name: read-back
        path: "/v1/items/${id}"
        expect_json:
          - {path: text, contains: "${token}"}
        retry_seconds: 20
"""

RETURN = r"""
passed:
  description: Whether every request passed.
  returned: always
  type: bool
endpoints:
  description: Paths of the requests that passed.
  returned: always
  type: list
  elements: str
token:
  description: The drill's unique token.
  returned: success
  type: str
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "base_url": {"type": "str", "required": True},
    "requests": {"type": "list", "elements": "dict", "required": True},
    "headers": {"type": "dict", "default": {}},
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
    )
    module.fail_json(msg="hadrill.drills.restore_smoke runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
