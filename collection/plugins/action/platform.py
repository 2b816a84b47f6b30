# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.plugin_utils.restore_shell import run_shell
from ansible_collections.hadrill.drills.plugins.modules.platform import ARGUMENT_SPEC

# The host variables an adapter reads.
SETTINGS = ("platform_adapter", "supervisor_ctl", "supervisor_program", "release_root", "release_link",
            "platform_stop_command", "platform_start_command", "platform_deploy_command", "platform_status_command",
            "platform_release_command", "platform_release_present_command", "platform_log_command")


class ActionModule(DrillAction):
    """One platform operation on the delegated host, as one remote command."""

    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from hadrill import platform_adapter

        args = self.validated_args(ARGUMENT_SPEC)
        target = args["target"]
        hostvars = task_vars["hostvars"]
        if target not in hostvars:
            raise AnsibleActionFail(f"target {target!r} is not an inventory host")
        values = {name: self._templar.template(hostvars[target][name]) for name in SETTINGS if name in hostvars[target]}
        host = platform_adapter.HostSettings(adapter=str(values.get("platform_adapter") or "supervisor"), values=values)
        try:
            command = platform_adapter.command(
                host, args["operation"], release=args["release"], timeout_seconds=args["start_timeout_seconds"],
                log_since=args["log_since"], log_bytes=args["log_bytes"])
        except platform_adapter.AdapterError as exc:
            raise AnsibleActionFail(f"{target}: {exc}") from None
        outcome = run_shell(self, command, become=True)
        answer = platform_adapter.result(host, args["operation"], target, release=args["release"], rc=outcome.rc,
                                         stdout=outcome.stdout, stderr=outcome.stderr)
        result.update(changed=args["operation"] in ("stop", "start", "deploy"), platform_result=answer,
                      ansible_facts={"platform_result": answer})
        return result
