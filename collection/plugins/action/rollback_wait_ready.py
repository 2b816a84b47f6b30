# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.rollback_wait_ready import ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Poll one replica's health check from the controller until it is healthy (on a release)."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from ansible.errors import AnsibleActionFail

        from hadrill.scenarios.rollback.ready import wait_ready

        args = self.validated_args(ARGUMENT_SPEC)
        if args["release_field"] and not args["release"]:
            raise AnsibleActionFail("release_field needs release (the release the answer must name)")
        if not args["health_path"].startswith("/"):
            raise AnsibleActionFail(f"health_path must start with '/', got {args['health_path']!r}")
        try:
            outcome = wait_ready(
                args["base_url"], args["health_path"], timeout=args["timeout_seconds"],
                interval=args["interval_seconds"], expect_status=args["expect_status"],
                release_field=args["release_field"], release=args["release"], headers=args["headers"],
            )
        except ValueError as exc:
            raise AnsibleActionFail(str(exc)) from None
        result.update(changed=False, ready=outcome.ready, status=outcome.status, release=outcome.release,
                      waited_seconds=round(outcome.waited_seconds, 3), attempts=outcome.attempts,
                      detail=outcome.detail)
        if args["fail_when_not_ready"] and not outcome.ready:
            result.update(failed=True, msg=f"{args['base_url']}{args['health_path']} not ready after "
                                           f"{outcome.waited_seconds:.1f}s: {outcome.detail}")
        return result
