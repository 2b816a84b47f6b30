# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.check import ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Record a verified fact (passed or not) into events.jsonl."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from hadrill import clock
        from hadrill.events import CheckEvent, append_line
        from hadrill.runtime import load_redactor

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        redactor = load_redactor(evidence_dir)
        moment = clock.now()
        event = CheckEvent(
            name=args["name"],
            label=args.get("label") or args["name"].replace("_", " "),
            scenario=args.get("scenario"),
            passed=args["passed"],
            observed=redactor.value(args.get("observed")),
            expected=redactor.value(args.get("expected")),
            detail=redactor.text(args.get("detail") or ""),
            compared_nothing=redactor.text(args.get("compared_nothing") or ""),
            ts=moment.iso,
            mono=moment.mono,
        )
        append_line(evidence_dir / "events.jsonl", event.model_dump(mode="json"))
        result.update(changed=False, passed=event.passed, status=event.status, check=event.model_dump(mode="json"))
        if args["fail_when_not_passed"] and not event.passed:
            result.update(failed=True, msg=f"{event.label}: {event.detail or 'check failed'}")
        return result
