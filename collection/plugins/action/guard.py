# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.guard import ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Refuse unless this run started the drill (and, for faults, may inject them)."""

    # Refuses check mode itself, with one line.
    SUPPORTS_CHECK_MODE = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        args = self.validated_args(ARGUMENT_SPEC)
        record = self.guard(task_vars, scenario=args.get("scenario"), fault=args["fault"])
        result.update(changed=False, drill_id=record.get("drill_id"), environment_class=record.get("environment_class"))
        return result
