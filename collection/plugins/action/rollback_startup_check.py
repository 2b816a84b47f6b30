# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import re

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.rollback_startup_check import ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Judge a release's start on one host (health and new log lines) and record it as a check."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from hadrill import clock
        from hadrill.events import CheckEvent, append_line
        from hadrill.layout import Bundle
        from hadrill.runtime import load_redactor
        from hadrill.scenarios.rollback.startup import judge

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        redactor = load_redactor(evidence_dir)
        verdict, deltas = judge(
            host=args["host"], release=args["release"], ready=args["ready"], health_status=args.get("health_status"),
            logs_before={str(key): str(value or "") for key, value in args["logs_before"].items()},
            logs_after={str(key): str(value or "") for key, value in args["logs_after"].items()},
            patterns=args["patterns"], waited_seconds=args.get("waited_seconds"),
        )
        logs = Bundle(evidence_dir).logs
        logs.mkdir(parents=True, exist_ok=True)
        stem = "rollback-startup-" + re.sub(r"[^A-Za-z0-9._-]+", "_", f"{args['host']}-{args['release']}")
        index = len(list(logs.glob(stem + "-*.log"))) + 1
        log_file = logs / f"{stem}-{index}.log"
        log_file.write_text(
            "".join(f"==> {stream} (new output since the switch) <==\n{redactor.text(text)}\n"
                    for stream, text in sorted(deltas.items())) or "no log output was read\n",
            encoding="utf-8",
        )
        moment = clock.now()
        event = CheckEvent(
            name="startup_contract",
            label=f"Startup contract of {args['release']} on {args['host']}",
            scenario=args.get("scenario"),
            passed=verdict.passed,
            observed=redactor.value({
                "host": args["host"], "release": args["release"], "ready": verdict.ready,
                "health_status": verdict.health_status, "failure_lines": verdict.matched,
                "log_anchored": verdict.anchored,
            }),
            expected="healthy, no startup failure line in its new log output",
            detail=f"{redactor.text(verdict.cause)} (log: {log_file.relative_to(evidence_dir)})".strip(),
            ts=moment.iso,
            mono=moment.mono,
        )
        append_line(evidence_dir / "events.jsonl", event.model_dump(mode="json"))
        result.update(changed=False, passed=verdict.passed, reason=redactor.text(verdict.reason),
                      failure_lines=redactor.value(verdict.matched), log_file=str(log_file),
                      check=event.model_dump(mode="json"))
        if args["fail_when_not_passed"] and not verdict.passed:
            result.update(failed=True, msg=redactor.text(verdict.reason))
        return result
