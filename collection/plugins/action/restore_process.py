# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import os
import secrets
import shlex

from ansible.errors import AnsibleActionFail

from ansible_collections.hadrill.drills.plugins.module_utils.process_command import (
    EPHEMERAL_RANGE, SOCKET_TABLES, ephemeral_problem, listening_inodes_in, pid_file)
from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.plugin_utils.restore_shell import run_shell

PASSED_THROUGH = ("name", "state", "command", "chdir", "environment", "placeholders", "user", "log_dir",
                  "startup_grace_seconds", "port", "wait_seconds", "timeout_seconds")
ENTRY_PREFIX = "restore-process-"
RANGE_MARKER = "@@hadrill-port-range@@"


class ActionModule(DrillAction):
    """Run the restore_process module on the target; journal, identify and stop what it started.

    The module's result is not trusted for the process's identity: Ansible masks every
    occurrence of an environment value (``no_log``) in it, pid and paths included. The identity
    (pid, start time, token) is read back from the identity file on the host, and the token is
    chosen here and journaled before the process exists.
    """

    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()

        state = self._task.args.get("state", "started")
        record = self._task.args.get("record", True)
        evidence_dir = self.evidence_dir(task_vars, self._task.args.get("evidence_dir"))
        module_args = {key: value for key, value in self._task.args.items() if key in PASSED_THROUGH}
        name = module_args.get("name", "process")
        host = self._task.delegate_to or task_vars.get("inventory_hostname", "localhost")
        if state == "started":
            outcome = self._start(evidence_dir, module_args, name, host, task_vars)
        elif state == "stopped":
            outcome = self._stop(evidence_dir, module_args, name, task_vars, record)
        elif state == "serving":
            outcome = self._serving(evidence_dir, module_args, task_vars)
        elif state == "port_free" and self._port_seen_free(module_args.get("port")):
            outcome = {"changed": False, "checked_with": "socket tables"}
        else:
            outcome = self._execute_module(module_name="hadrill.drills.restore_process", module_args=module_args,
                                           task_vars=task_vars)
        outcome.pop("log_tail", None)
        result.update(outcome)
        return result

    # -- start --------------------------------------------------------------------------------------
    def _start(self, evidence_dir, module_args, name, host, task_vars):
        """Journal the process before it exists (its identity file, its token), so that a crash at
        any moment of the start leaves an entry that `hadrill recover` can undo."""
        from hadrill import journal
        from hadrill.scenarios.restore import record

        entry_id = ENTRY_PREFIX + name
        token = secrets.token_hex(16)
        if not module_args.get("log_dir"):
            # Unique, not only per drill id: bundles in other evidence roots can share the id. The
            # module creates it (refusing one that exists) and marks it as hadrill's.
            module_args["log_dir"] = "/tmp/hadrill-restore-%s-%s-%s" % (evidence_dir.name, name, secrets.token_hex(4))
        log_dir = module_args["log_dir"]
        module_args.update(token=token, drill_id=evidence_dir.name)
        identity_file = pid_file(log_dir, name)
        journal.open_entry(evidence_dir, f"verification process {name} started",
                           {"kind": "process", "host": host, "name": name, "pid_file": identity_file,
                            "token": token, "log_dir": log_dir, "become": bool(self._play_context.become)},
                           scenario=record.SCENARIO, host=host, entry_id=entry_id)
        outcome = self._execute_module(module_name="hadrill.drills.restore_process", module_args=module_args,
                                       task_vars=task_vars)
        identity = self._identity(identity_file)
        if not outcome.get("failed"):
            if identity is None:
                outcome.update(failed=True, msg=f"process {name}: its identity file {identity_file} cannot be read")
                return outcome  # the entry stays open: the process may run
            record.mark(evidence_dir, "verification_process_started", {
                "process": name, "pid": identity["pid"], "start_time": identity["start_time"], "host": host,
            })
            outcome.update(pid=identity["pid"], start_time=identity["start_time"], log_path=os.path.join(log_dir, f"{name}.log"),
                           token=token)
            return outcome
        # It never started, or exited at once: stop whatever of it may remain, keep its log, close its entry.
        stopped = self._execute_module(module_name="hadrill.drills.restore_process", task_vars=task_vars, module_args={
            "name": name, "state": "stopped", "pid_file": identity_file, "token": token, "log_dir": log_dir,
            "timeout_seconds": 5})
        tail = outcome.get("log_tail") or stopped.get("log_tail", "")
        self._keep_log(evidence_dir, name, tail)
        outcome["msg"] = self._with_cause(outcome.get("msg", f"process {name} did not start"), tail)
        if stopped.get("gone"):
            if stopped.get("log_dir_left") is None or not self._exists(log_dir):
                journal.close_entry(evidence_dir, entry_id)
        return outcome

    # -- stop ---------------------------------------------------------------------------------------
    def _stop(self, evidence_dir, module_args, name, task_vars, record_it):
        """Stop the process this drill's journal says it started; a stop that leaves it running fails."""
        from hadrill import journal
        from hadrill.scenarios.restore import record

        entry_id = ENTRY_PREFIX + name
        undo = self._task.args.get("undo")
        if undo is None:
            entry = next((item for item in journal.open_entries(evidence_dir) if item.id == entry_id), None)
            if entry is None:
                return {"changed": False, "stopped": "not_started", "gone": True,
                        "msg": f"no open journal entry for verification process {name}: nothing to stop"}
            undo = entry.undo
        if not undo.get("token"):
            raise AnsibleActionFail(f"the journal entry of process {name} carries no identity token")
        outcome = self._execute_module(module_name="hadrill.drills.restore_process", task_vars=task_vars, module_args={
            "name": name, "state": "stopped", "pid_file": undo.get("pid_file"), "token": undo["token"],
            "log_dir": undo.get("log_dir"), "timeout_seconds": module_args.get("timeout_seconds", 15.0)})
        gone = bool(outcome.get("gone")) and not outcome.get("failed")
        if not record_it:
            if not gone:
                outcome.update(failed=True, msg=f"verification process {name} still runs: {outcome.get('msg', '')}")
            return outcome
        if gone:
            journal.close_entry(evidence_dir, entry_id)
        self._keep_log(evidence_dir, name, outcome.get("log_tail", ""))
        detail = "" if gone else (f"the process the drill started still runs ({outcome.get('msg', '')}); "
                                  "its journal entry stays open for hadrill recover")
        if outcome.get("log_dir_left"):
            detail = (detail + "; " if detail else "") + outcome["log_dir_left"]
        record.check(evidence_dir, f"verification_process_{name}_stopped", f"Verification process {name} stopped",
                     gone, observed=outcome.get("stopped", "unknown") if not outcome.get("failed") else "error",
                     expected="terminated, killed or already gone", detail=detail)
        return outcome

    # -- serving ------------------------------------------------------------------------------------
    def _serving(self, evidence_dir, module_args, task_vars):
        """Before the smoke test: the processes this drill started run, and one of them is what listens."""
        from hadrill import journal
        from hadrill.scenarios.restore import record

        processes = [{"name": entry.undo.get("name") or entry.id[len(ENTRY_PREFIX):], "pid_file": entry.undo["pid_file"],
                      "token": entry.undo["token"]}
                     for entry in journal.open_entries(evidence_dir)
                     if entry.id.startswith(ENTRY_PREFIX) and entry.undo.get("kind") == "process" and entry.undo.get("token")]
        port = module_args.get("port")
        if not processes:
            outcome = {"failed": True, "msg": "no verification process of this drill is running"}
        else:
            outcome = self._execute_module(module_name="hadrill.drills.restore_process", task_vars=task_vars, module_args={
                "name": module_args.get("name", "api"), "state": "serving", "port": port, "processes": processes,
                "wait_seconds": module_args.get("wait_seconds", 60.0)})
        if outcome.get("failed"):
            if outcome.get("process"):
                self._keep_log(evidence_dir, outcome["process"], outcome.get("log_tail", ""))
            outcome["msg"] = self._with_cause(outcome.get("msg", "the verification API is not serving"),
                                              outcome.get("log_tail", ""))
        passed = not outcome.get("failed")
        record.check(evidence_dir, "verification_api_serving",
                     f"Port {port} is served by a verification process this drill started", passed,
                     observed={"listener_pid": outcome.get("listener"), "process": outcome.get("process")} if passed else None,
                     expected=[item["name"] for item in processes], detail="" if passed else outcome.get("msg", ""))
        return outcome

    # -- port check ---------------------------------------------------------------------------------
    def _port_seen_free(self, port):
        """True when the host's socket tables, read with one shell command and no privilege, show
        nothing listening on ``port`` and the port lies outside the ephemeral range. Otherwise
        (a listener, an unsafe port, tables this host does not have) the module decides: it names
        the listener, which may need the task's become to see. A module round trip with become costs
        about ten times this read."""
        if not port:
            return False
        tables = " ".join(SOCKET_TABLES)
        answer = run_shell(self, f"cat {tables} && printf '\\n{RANGE_MARKER}\\n' && cat {EPHEMERAL_RANGE}",
                           become=False)
        sockets, marker, port_range = answer.stdout.partition(f"\n{RANGE_MARKER}\n")
        if not answer.ok or not marker:
            return False
        return not listening_inodes_in(sockets, port) and ephemeral_problem(port, port_range) is None

    # -- helpers ------------------------------------------------------------------------------------
    def _identity(self, path):
        """The identity file, read through the connection (not through a module result, which is masked)."""
        read = run_shell(self, "cat -- %s" % shlex.quote(path))
        if read.rc != 0:
            return None
        try:
            value = json.loads(read.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return None
        return value if isinstance(value, dict) and isinstance(value.get("pid"), int) else None

    def _exists(self, path):
        return run_shell(self, "test -e %s" % shlex.quote(path)).rc == 0

    @staticmethod
    def _with_cause(message, log_text):
        from hadrill.causes import explain

        return explain(message, log_text or "")

    @staticmethod
    def _keep_log(evidence_dir, name, text):
        from hadrill.layout import Bundle
        from hadrill.runtime import load_redactor

        if not text:
            return
        logs = Bundle(evidence_dir).logs
        logs.mkdir(parents=True, exist_ok=True)
        (logs / f"restore-{name}.log").write_text(load_redactor(evidence_dir).text(text), encoding="utf-8")
