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
        from hadrill.events import make_marker, record_marker
        from hadrill.runtime import load_redactor

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        data = load_redactor(evidence_dir).value(args["data"])
        marker = make_marker(args["name"], scenario=args.get("scenario"), data=data)
        record_marker(evidence_dir, marker)
        result.update(changed=False, hadrill_marker=marker, ts=marker["ts"], mono=marker["mono"])
        return result
