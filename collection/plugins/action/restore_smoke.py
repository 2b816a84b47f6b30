# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.restore_smoke import ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Run the verification API's smoke requests in order; mark smoke_started and smoke_passed."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        import secrets

        from pydantic import ValidationError

        from hadrill.httpspec import drill_values
        from hadrill.scenarios.restore import record, smoke
        from hadrill.scenarios.restore.config import SmokeStep

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        try:
            steps = [SmokeStep.model_validate(item) for item in args["requests"]]
        except ValidationError as exc:
            raise AnsibleActionFail(f"invalid smoke request: {exc}") from None
        if not steps:
            raise AnsibleActionFail("requests: at least one smoke request is needed")
        # Unique per drill, so a read-back can only be satisfied by this drill's own write.
        token = f"hadrill{secrets.token_hex(6)}"
        context = {**drill_values(evidence_dir, "restore"), "token": token}
        started = record.mark(evidence_dir, "smoke_started", {
            "base_url": args["base_url"], "token": token, "steps": [step.name for step in steps],
        })
        outcomes = smoke.run(args["base_url"], steps, context, args["headers"])
        for outcome in outcomes:
            record.check(evidence_dir, f"smoke_{outcome.name}", f"Smoke `{outcome.method} {outcome.path}`",
                         outcome.passed, observed=outcome.observed(), expected="success within the retry bound",
                         detail=outcome.error or "")
        passed = len(outcomes) == len(steps) and all(item.passed for item in outcomes)
        endpoints = [item.path for item in outcomes if item.passed]
        if passed:
            marker = record.mark(evidence_dir, "smoke_passed", {"endpoints": endpoints})
            result.update(changed=False, passed=True, endpoints=endpoints, hadrill_marker=marker, token=token)
            return result
        failed = outcomes[-1]
        result.update(failed=True, passed=False, endpoints=endpoints, hadrill_marker=started,
                      msg=f"smoke request {failed.name} ({failed.method} {failed.path}) failed after "
                          f"{failed.attempts} attempt(s) in {failed.seconds:.1f}s: {failed.error}")
        return result
