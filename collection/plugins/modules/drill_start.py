#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: drill_start
short_description: Validate the drill configuration and open the drill's evidence directory
version_added: "0.1.0"
description:
  - Validates every drill variable of the inventory (C(drill_*), C(preconditions_*),
    C(validation_gates_*), the selected scenarios' variables and the C(db_primary), C(api), C(lb)
    and C(worker) host variables) before anything touches a host; every problem is reported at
    once, naming the variable and what was expected.
  - Refuses fault-injecting scenarios on a production inventory without C(drill_allow_production)
    and a confirmed drill id.
  - Refuses, with nothing changed, while an earlier drill of the environment has open entries in the
    drill journal on the target side (the table C(drill_journal_table) of the C(db_primary)
    database), whichever controller or AWX job ran it; creates that table when it is missing and
    refuses a drill user who may not create it or lacks C(SELECT), C(INSERT) or C(UPDATE) on it.
  - Allocates the drill id C(ha_drill_<YYYYMMDD>_<environment>_<NN>) (the next number among the
    bundles of the evidence root and the drills recorded in the journal, or claims C(drill_id)),
    creates C(artifacts/ha_drill/<drill_id>/), takes the environment's drill lock, records the drill
    in the journal on the target side and writes C(drill.json) (configuration snapshot, secrets
    redacted; the AWX job from AWX's environment and C(awx_*) extra variables; the collection's version).
  - Sets the facts C(drill_id), C(drill_evidence_dir) and C(drill_selected_scenarios).
author:
  - hadrill maintainers (!UNKNOWN)
options:
  evidence_root:
    description:
      - Directory that holds the bundles. Defaults to C(drill_evidence_root), then the
        E(HADRILL_EVIDENCE_ROOT) environment variable, then C(artifacts/ha_drill) next to the
        ansible.cfg in use.
    type: path
"""

EXAMPLES = r"""
- name: Validate the configuration and open the evidence bundle
  hadrill.drills.drill_start:
"""

RETURN = r"""
drill_id:
  description: The drill id.
  returned: success
  type: str
  sample: ha_drill_20261128_staging_01
hadrill_evidence_dir:
  description: Absolute path of the evidence directory.
  returned: success
  type: str
hadrill_config_errors:
  description: One line per configuration problem.
  returned: failure
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "evidence_root": {"type": "path"},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=False)
    module.fail_json(msg="hadrill.drills.drill_start runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
