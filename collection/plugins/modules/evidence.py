#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: evidence
short_description: Seal a drill's evidence bundle
version_added: "0.1.0"
description:
  - Computes C(summary.json) (every figure, threshold and verdict) and C(report.md) from the markers,
    checks, gate records and samples recorded during the drill, removes any known secret that
    reached a bundle file, and writes C(MANIFEST.sha256) over every file.
  - Releases the drill's environment lock unless the drill journal still has actions to undo.
  - Runs on the controller (action plugin). Run it in an C(always) section so that a failed
    drill is sealed too.
author:
  - hadrill maintainers (!UNKNOWN)
extends_documentation_fragment:
  - hadrill.drills.drill
"""

EXAMPLES = r"""
- name: Seal the evidence bundle
  hadrill.drills.evidence:
"""

RETURN = r"""
result:
  description: Overall drill result.
  returned: success
  type: str
  sample: pass
result_reasons:
  description: Why the result is not C(pass).
  returned: success
  type: list
  elements: str
figures:
  description: Every measured figure, keyed C(<scenario>.<figure>).
  returned: success
  type: dict
manifest_sha256:
  description: SHA-256 of the written MANIFEST.sha256.
  returned: success
  type: str
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=False)
    module.fail_json(msg="hadrill.drills.evidence runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
