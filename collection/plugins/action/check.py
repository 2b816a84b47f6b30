# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.check import ARGUMENT_RULES, ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Record verified facts (passed or not) into events.jsonl: one check, or several in order."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from hadrill import clock
        from hadrill.events import CheckEvent, append_line
        from hadrill.runtime import load_redactor

        args = self.validated_args(ARGUMENT_SPEC, **ARGUMENT_RULES)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        redactor = load_redactor(evidence_dir)
        several = args.get("checks") is not None
        wanted = [item for item in args["checks"] if item["applies"]] if several else [args]
        records = []
        for item in wanted:
            moment = clock.now()
            event = CheckEvent(
                name=item["name"],
                label=item.get("label") or item["name"].replace("_", " "),
                scenario=args.get("scenario"),
                passed=item["passed"],
                observed=redactor.value(item.get("observed")),
                expected=redactor.value(item.get("expected")),
                detail=redactor.text(item.get("detail") or ""),
                compared_nothing=redactor.text(item.get("compared_nothing") or ""),
                ts=moment.iso,
                mono=moment.mono,
            )
            append_line(evidence_dir / "events.jsonl", event.model_dump(mode="json"))
            records.append(event)
        failing = [event for event in records if not event.passed]
        statuses = [event.status for event in records]
        result.update(changed=False, passed=not failing, not_passed=[event.label for event in failing],
                      status="fail" if "fail" in statuses else ("warn" if "warn" in statuses else "pass"))
        if several:
            result["checks"] = [event.model_dump(mode="json") for event in records]
        else:
            result["check"] = records[0].model_dump(mode="json")
        if args["fail_when_not_passed"] and failing:
            result.update(failed=True, msg="; ".join(f"{event.label}: {event.detail or 'check failed'}" for event in failing))
        return result
