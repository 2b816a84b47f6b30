#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: evidence_sink
short_description: Record where the sealed evidence is, and copy it somewhere that outlives the job
version_added: "0.1.0"
description:
  - Runs in the drill's final C(always) section, after M(hadrill.drills.evidence) sealed the bundle.
  - When C(drill_evidence_sink) is set, runs its C(command) on the controller (split into arguments
    as a shell would, never through a shell; the placeholders C(${bundle}), C(${drill_id}),
    C(${environment}), C(${evidence_root}) and C(${manifest_sha256}) filled in each argument), for
    example C(rsync)/C(scp) to a bastion or C(aws s3 cp) to an S3-compatible store (docs/awx.md). The
    bundle is only read; an upload that fails or times out leaves it where it is and is reported
    (RV(upload), a warning, and the drill playbook's last task fails the run).
  - Records on the drill's row of the journal on the target side (the table C(drill_journal_table)
    of the C(db_primary) database) the digest of the sealed manifest, the controller and path of
    the bundle and the upload's outcome, so that a bundle lost with its controller is known to be lost.
author:
  - hadrill maintainers (!UNKNOWN)
requirements:
  - the hadrill package on the controller
options:
  manifest_sha256:
    description: The digest of the sealed manifest (M(hadrill.drills.evidence) returns it).
    type: str
    required: true
  result:
    description: The drill's result, recorded with the digest.
    type: str
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill
"""

EXAMPLES = r"""
- name: Record where the evidence is, and upload it
  hadrill.drills.evidence_sink:
    manifest_sha256: "{{ drill_evidence.manifest_sha256 }}"
    result: "{{ drill_evidence.result }}"
  register: drill_evidence_sink
"""

RETURN = r"""
location:
  description: Where the evidence is - the upload's location when it succeeded, else the bundle's path on the controller.
  returned: always
  type: str
bundle:
  description: The bundle's path and the controller's host name.
  returned: always
  type: dict
upload:
  description:
    - The upload's outcome (C(ok), C(location), C(command), C(rc), C(seconds), C(output_tail), C(error)),
      or null when C(drill_evidence_sink) is not set.
  returned: always
  type: dict
upload_failed:
  description: Whether an upload was configured and failed.
  returned: always
  type: bool
journal_recorded:
  description: Whether the journal on the target side took the record.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "manifest_sha256": {"type": "str", "required": True},
    "result": {"type": "str"},
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=False)
    module.fail_json(msg="hadrill.drills.evidence_sink runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
