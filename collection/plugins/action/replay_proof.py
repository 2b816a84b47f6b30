# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.replay_proof import ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Check that every write acknowledged in a time window was processed, and record the check."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from ansible.errors import AnsibleActionFail
        from pydantic import ValidationError

        from hadrill import clock
        from hadrill.events import CheckEvent, append_line
        from hadrill.httpspec import HttpRequestSpec, drill_values
        from hadrill.jsonl import read_lines
        from hadrill.layout import Bundle
        from hadrill.runtime import load_redactor
        from hadrill.scenarios.replay import analysis, outage, proof

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        if args["method"] == "sql":
            if not args.get("query"):
                raise AnsibleActionFail("method=sql needs query (with the parameter %(ids)s)")
            from hadrill import sqltemplate

            query = sqltemplate.fill(args["query"], drill_values(evidence_dir, args.get("scenario") or "replay"))
            checker = proof.sql_checker(self.database_target(args.get("database"), task_vars).conninfo(), query)
        else:
            if not args.get("request") or not args.get("base_url"):
                raise AnsibleActionFail("method=http needs request and base_url")
            try:
                request = HttpRequestSpec.model_validate(args["request"])
            except ValidationError as exc:
                raise AnsibleActionFail(f"request is invalid: {exc}") from None
            checker = proof.http_checker(args["base_url"], request, args["headers"],
                                         drill_values(evidence_dir, args.get("scenario") or "replay"))

        bundle = Bundle(evidence_dir)
        samples = list(read_lines(bundle.sample_file(args["sampler"])))
        window = {"from_mono": args["from_mono"], "to_mono": args["to_mono"], "end": "to_mono"}
        if args.get("backlog_sampler"):
            points = analysis.points_from_samples(read_lines(bundle.sample_file(args["backlog_sampler"])))
            seen = outage.measure(points, samples, stop_requested=args["from_mono"], resume_requested=args["to_mono"])
            window = {**outage.proof_window(seen, points).as_dict(), "outage": outage.describe(seen)}
        writes = proof.acknowledged_between(samples, args["id_field"], window["from_mono"], window["to_mono"])
        chosen = proof.spread_sample(writes, args.get("sample_size"))
        outcome = proof.prove(
            chosen, checker, method=args["method"], acknowledged=len(writes),
            timeout_seconds=args["timeout_seconds"], retry_seconds=args["retry_interval_seconds"],
        )
        record = proof.write_record(evidence_dir, outcome, {
            **window, "sampler": args["sampler"], "id_field": args["id_field"], "sample_size": args.get("sample_size"),
        })
        redactor = load_redactor(evidence_dir)
        moment = clock.now()
        event = CheckEvent(
            name=args["name"],
            label="Writes acknowledged during the outage were processed (replay proof)",
            scenario=args.get("scenario"),
            passed=outcome.passed,
            observed=redactor.value(outcome.observed()),
            expected="every checked write processed",
            detail=redactor.text(outcome.detail()) + f" ({args['method']} read-back; ids in {record})",
            compared_nothing=outcome.compared_nothing,
            ts=moment.iso,
            mono=moment.mono,
        )
        append_line(evidence_dir / "events.jsonl", event.model_dump(mode="json"))
        result.update(changed=False, passed=outcome.passed, compared_nothing=outcome.compared_nothing, record=record,
                      window=window, **outcome.observed())
        if args["fail_when_not_passed"] and not outcome.passed:
            result.update(failed=True, msg=f"replay proof failed: {outcome.detail()}")
        return result
