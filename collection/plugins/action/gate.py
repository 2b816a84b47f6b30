# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.gate import ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Run a validation command on the target (delegate_to picks it) and keep the evidence."""

    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from hadrill import clock
        from hadrill.gates import gate_summary, record_gate, wrapped_argv
        from hadrill.runtime import load_redactor

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        module_args = {"argv": wrapped_argv(args["command"], args["timeout_seconds"], args["environment"])}
        if args.get("chdir"):
            module_args["chdir"] = args["chdir"]
        started = clock.now()
        outcome = self._execute_module(
            module_name="ansible.builtin.command", module_args=module_args, task_vars=task_vars
        )
        finished = clock.now()
        host_name = self._task.delegate_to or task_vars.get("inventory_hostname", "localhost")
        rc = outcome.get("rc")
        stderr = outcome.get("stderr", "")
        if rc is None and outcome.get("msg"):
            stderr = f"{stderr}\n{outcome['msg']}".strip()
        event = record_gate(
            evidence_dir,
            name=args["name"],
            command=args["command"],
            host=host_name,
            scenario=args.get("scenario"),
            rc=rc,
            expect_rc=args["expect_rc"],
            stdout=outcome.get("stdout", ""),
            stderr=stderr,
            started=started,
            finished=finished,
            redactor=load_redactor(evidence_dir),
        )
        # rc alone would make Ansible fail the task; a failed gate fails the drill result, not the run.
        result.update(changed=False, failed=False, gate=gate_summary(event), passed=event.passed, rc=rc)
        if args["fail_when_not_passed"] and not event.passed:
            reason = "timed out" if event.timed_out else f"exit code {rc}, expected {args['expect_rc']}"
            result.update(failed=True, msg=f"gate {args['name']} failed: {reason}; output in {event.output_file}")
        return result
