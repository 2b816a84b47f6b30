# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import secrets
import shlex

from ansible_collections.hadrill.drills.plugins.module_utils.process_command import command_argv, pid_file
from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.plugin_utils.restore_shell import run_shell

PASSED_THROUGH = ("name", "state", "command", "chdir", "environment", "placeholders", "user", "log_dir",
                  "startup_grace_seconds", "pid", "cmdline_contains", "log_path", "timeout_seconds")


class ActionModule(DrillAction):
    """Run the restore_process module on the target, journal the started process, keep its log."""

    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from hadrill import journal
        from hadrill.scenarios.restore import record

        evidence_dir = self.evidence_dir(task_vars, self._task.args.get("evidence_dir"))
        module_args = {key: value for key, value in self._task.args.items() if key in PASSED_THROUGH}
        name = module_args.get("name", "process")
        entry_id = f"restore-process-{name}"
        host = self._task.delegate_to or task_vars.get("inventory_hostname", "localhost")
        if module_args.get("state", "started") == "started":
            outcome = self._start(evidence_dir, module_args, name, entry_id, host, task_vars)
        else:
            outcome = self._execute_module(module_name="hadrill.drills.restore_process", module_args=module_args,
                                           task_vars=task_vars)
            if outcome.get("gone") and not outcome.get("failed"):
                journal.close_entry(evidence_dir, entry_id)
                log_entry = f"{entry_id}-log"
                if module_args.get("log_path") and log_entry in {entry.id for entry in journal.open_entries(evidence_dir)}:
                    journal.close_entry(evidence_dir, log_entry)  # the module removed it
            self._keep_log(evidence_dir, name, outcome.get("log_tail", ""))
            record.check(evidence_dir, f"verification_process_{name}_stopped", f"Verification process {name} stopped",
                         bool(outcome.get("gone")), observed=outcome.get("stopped"), expected="terminated, killed or already gone",
                         detail=outcome.get("msg", ""))
        outcome.pop("log_tail", None)
        result.update(outcome)
        return result

    def _start(self, evidence_dir, module_args, name, entry_id, host, task_vars):
        """Journal the process before it exists (found through its pid file), so that a crash at
        any moment of the start leaves an entry that `hadrill recover` can undo."""
        from hadrill import journal
        from hadrill.scenarios.restore import record

        chosen_dir = not module_args.get("log_dir")
        if chosen_dir:
            # Unique, not only per drill id: bundles in other evidence roots can share the id, and
            # the pid file in this directory is how recovery finds the process.
            module_args["log_dir"] = "/tmp/hadrill-restore-%s-%s-%s" % (
                os.path.basename(str(evidence_dir)), name, secrets.token_hex(4))
            # Opened first so that it is undone last: the process entry needs the pid file in it.
            journal.open_entry(evidence_dir, f"log directory of verification process {name} created",
                               {"kind": "path_absent", "host": host, "path": module_args["log_dir"]},
                               scenario=record.SCENARIO, host=host, entry_id=f"{entry_id}-log")
        cmdline = " ".join(command_argv(module_args.get("command"), module_args.get("placeholders")))
        journal.open_entry(evidence_dir, f"verification process {name} started",
                           {"kind": "process", "host": host, "pid_file": pid_file(module_args["log_dir"], name),
                            "cmdline_contains": cmdline},
                           scenario=record.SCENARIO, host=host, entry_id=entry_id)
        outcome = self._execute_module(module_name="hadrill.drills.restore_process", module_args=module_args,
                                       task_vars=task_vars)
        if outcome.get("pid") and not outcome.get("failed"):
            record.mark(evidence_dir, "verification_process_started", {
                "process": name, "pid": outcome["pid"], "host": host,
            })
            return outcome
        # It never started, or exited at once: nothing runs, and its log is kept in the bundle.
        self._keep_log(evidence_dir, name, outcome.get("log_tail", ""))
        journal.close_entry(evidence_dir, entry_id)
        if chosen_dir:
            removed = run_shell(self, "rm -rf -- %s" % shlex.quote(module_args["log_dir"]))
            if removed.rc == 0:
                journal.close_entry(evidence_dir, f"{entry_id}-log")
        return outcome

    @staticmethod
    def _keep_log(evidence_dir, name, text):
        from hadrill.layout import Bundle
        from hadrill.runtime import load_redactor

        if not text:
            return
        logs = Bundle(evidence_dir).logs
        logs.mkdir(parents=True, exist_ok=True)
        (logs / f"restore-{name}.log").write_text(load_redactor(evidence_dir).text(text), encoding="utf-8")
