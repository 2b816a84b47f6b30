# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.drill_cleanup import ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Journal a scenario's cleanup before it writes; run it in its always path (or from recovery)."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from pydantic import ValidationError

        from hadrill import cleanup, journal
        from hadrill.httpspec import HttpRequestSpec, drill_values, send

        args = self.validated_args(ARGUMENT_SPEC)
        scenario = args["scenario"]
        if args["state"] == "send":
            if not args.get("request") or not args.get("base_url"):
                raise AnsibleActionFail("state=send needs request and base_url")
            answer = send(args["base_url"], HttpRequestSpec.model_validate(args["request"]),
                          context=args["values"], default_headers=args["headers"])
            result.update(changed=True, passed=answer.ok, kind="http", detail=answer.error or f"status {answer.status}")
            if not answer.ok:
                result.update(failed=True, msg=f"the cleanup request of {scenario} failed: {answer.error}")
            return result
        if not args.get("cleanup"):
            result.update(changed=False, skipped=True, msg=f"no drill_cleanup for {scenario}")
            return result
        try:
            spec = cleanup.Cleanup.model_validate(args["cleanup"])
        except ValidationError as exc:
            raise AnsibleActionFail(f"drill_cleanup.{scenario} is invalid: {exc}") from None
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        values = drill_values(evidence_dir, scenario)
        kind = "sql" if spec.query is not None else "http"
        if args["state"] == "open":
            journal.open_entry(evidence_dir, cleanup.JOURNAL_ACTION, spec.undo(values), scenario=scenario,
                               entry_id=cleanup.entry_id(scenario))
            result.update(changed=False, kind=kind)
            return result
        passed, observed, detail = self._run_cleanup(spec, values, args, task_vars)
        self._record(evidence_dir, scenario, kind, passed, observed, detail)
        if passed:
            journal.close_entry(evidence_dir, cleanup.entry_id(scenario))
        result.update(changed=True, passed=passed, kind=kind, detail=detail)
        return result

    def _run_cleanup(self, spec, values, args, task_vars):
        if spec.query is not None:
            import psycopg

            from hadrill import sqltemplate
            from hadrill.db import execute

            target = self.database_target(None, task_vars)
            try:
                outcome = execute(target.conninfo(), sqltemplate.fill(spec.query, values), None,
                                  wait_seconds=30.0, read_only=False)
            except psycopg.Error as exc:
                return False, {"error": type(exc).__name__}, f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
            return True, {"status": outcome.status}, f"SQL {outcome.status}"
        from hadrill.httpspec import send

        if not args.get("base_url"):
            raise AnsibleActionFail("a cleanup request needs base_url")
        answer = send(args["base_url"], spec.request, context=values, default_headers=args["headers"])
        detail = answer.error or f"status {answer.status}"
        return answer.ok, {"status": answer.status}, f"{spec.request.method} {spec.request.path}: {detail}"

    def _record(self, evidence_dir, scenario, kind, passed, observed, detail):
        from hadrill import clock
        from hadrill.events import CheckEvent, append_line
        from hadrill.runtime import load_redactor

        redactor = load_redactor(evidence_dir)
        moment = clock.now()
        event = CheckEvent(
            name="cleanup", label="What the drill wrote was removed (drill_cleanup)", scenario=scenario,
            passed=passed, observed=redactor.value({"kind": kind, **observed}), expected="the cleanup succeeds",
            detail=redactor.text(detail), ts=moment.iso, mono=moment.mono,
        )
        append_line(evidence_dir / "events.jsonl", event.model_dump(mode="json"))
