# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Options shared by the drill's controller-side modules."""

    # Every module that writes into the drill's evidence directory.
    DOCUMENTATION = r"""
options:
  evidence_dir:
    description:
      - Evidence directory of the drill.
      - Defaults to the C(drill_evidence_dir) fact set by M(hadrill.drills.drill_start).
    type: path
"""

    # Modules that act on the primary database; its credentials come from the inventory, never from task arguments.
    DATABASE = r"""
options:
  db_inventory_host:
    description:
      - Inventory host whose C(db_*) variables (address, port, database, credentials) name the primary.
      - Defaults to the first host of the C(db_primary) group.
    type: str
"""

    # Actions that record milestones once their work is done (the option of module_utils.drill_mark).
    MARKS = r"""
options:
  marks:
    description:
      - Milestones to record, in order, once the action's work is done - as M(hadrill.drills.mark)
        would in the next tasks, without the time of a task in between. Each is stamped with the
        controller's clocks at its own moment and the action's O(scenario).
    type: list
    elements: dict
    suboptions:
      name:
        description: Marker name.
        type: str
        required: true
      data:
        description: Extra facts recorded with the marker (redacted of known secrets).
        type: dict
        default: {}
"""
