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
  - Computes C(summary.json) (every figure, threshold and verdict) and its renderings (C(report.md),
    C(report.html), C(junit.xml), C(metrics.prom)) from the markers, checks, gate records and
    samples recorded during the drill, removes any known secret that
    reached a bundle file, sets the bundle's modes (directories 0750, files 0640) and writes
    C(MANIFEST.sha256) over every regular file (links and other special files are never followed).
  - Records the seal in C(signatures/seal-NN.json). When C(drill_signing_key) names an SSH key, the
    statement is signed with it (C(ssh-keygen -Y sign), namespace C(hadrill-evidence)); otherwise, or
    when the key cannot sign, the bundle is sealed unsigned and C(report.md) says so and why.
  - Releases the drill's environment lock unless the drill journal still has actions to undo.
  - Runs on the controller (action plugin). Run it in an C(always) section so that a failed
    drill is sealed too.
author:
  - hadrill maintainers (!UNKNOWN)
attributes:
  check_mode:
    support: none
    description: Sealing writes the bundle; the drill refuses check mode before it gets here.
  diff_mode:
    support: none
    description: Nothing to diff.
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
seal:
  description:
    - How the bundle was sealed (C(summary.json)'s C(seal)). C(signing) is null when the seal is unsigned;
      C(unsigned_reason) then says why.
  returned: success
  type: dict
  sample:
    number: 1
    sealed_by: hadrill.drills.evidence
    signing:
      principal: hadrill-drill@staging
      key_fingerprint: SHA256:lVoAGpWAlzoYlF4EnYDumL+kuheD+8N8FzH5zNZjzlI
    unsigned_reason: null
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
