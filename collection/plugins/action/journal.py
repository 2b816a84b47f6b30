# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.journal import ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Write what undoes a reversible action before doing it; close the entry once undone."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from ansible.errors import AnsibleActionFail

        from hadrill import journal

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        if args["state"] == "open":
            if not args.get("action") or not args.get("undo"):
                raise AnsibleActionFail("state=open needs action and undo")
            if not isinstance(args["undo"].get("kind"), str):
                raise AnsibleActionFail("undo needs a kind (see the recovery kinds in docs/safety.md)")
            journal.open_entry(evidence_dir, args["action"], args["undo"], scenario=args.get("scenario"),
                               host=args.get("host"), entry_id=args["id"])
        else:
            journal.close_entry(evidence_dir, args["id"])
        result.update(changed=False, id=args["id"], state=args["state"])
        return result
