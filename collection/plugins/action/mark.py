# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.mark import ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Record a named milestone, timed on the controller at the moment the task runs."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        marker = self.record_mark(evidence_dir, args["name"], args.get("scenario"), args["data"])
        result.update(changed=False, hadrill_marker=marker, ts=marker["ts"], mono=marker["mono"])
        self.record_marks(evidence_dir, args, result)
        return result
