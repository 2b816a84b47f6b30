# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.journal import ARGUMENT_SPEC
from ansible_collections.hadrill.drills.plugins.plugin_utils.target_journal import inventory_target_journal


class ActionModule(DrillAction):
    """Write what undoes a reversible action before doing it; close the entry once undone."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from ansible.errors import AnsibleActionFail

        from hadrill import journal
        from hadrill.target_journal import JournalUnavailable

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        if args["state"] == "open":
            if args.get("drill_id"):
                raise AnsibleActionFail("drill_id names another drill's entry, which can only be closed")
            if not args.get("action") or not args.get("undo"):
                raise AnsibleActionFail("state=open needs action and undo")
            if not isinstance(args["undo"].get("kind"), str):
                raise AnsibleActionFail("undo needs a kind (see the recovery kinds in docs/safety.md)")
            try:
                journal.open_entry(evidence_dir, args["action"], args["undo"], scenario=args.get("scenario"),
                                   host=args.get("host"), entry_id=args["id"])
            except JournalUnavailable as exc:
                raise AnsibleActionFail(f"{exc}: the action is not done without its journal entry") from None
        elif args.get("drill_id"):
            # Recovery: the entry of an earlier drill, closed in the journal on the target side that the
            # inventory names (and in the bundle or stand-in directory given as evidence_dir).
            problem = journal.close_entry(evidence_dir, args["id"], by="recover",
                                          target=inventory_target_journal(self, task_vars), drill_id=args["drill_id"])
            if problem:
                raise AnsibleActionFail(f"{problem}: the entry stays open there")
        else:
            problem = journal.close_entry(evidence_dir, args["id"])
            if problem:
                result["warnings"] = [f"{problem}; it is sent again when the bundle is sealed, and until then the next "
                                      "drill refuses to start and recovery undoes the action again"]
        result.update(changed=False, id=args["id"], state=args["state"])
        self.record_marks(evidence_dir, args, result)
        return result
