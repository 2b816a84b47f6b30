# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.sampler import ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Start or stop a background sampler process on the controller."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from hadrill import journal
        from hadrill.events import make_marker, record_marker
        from hadrill.samplers import launcher
        from hadrill.samplers.spec import SamplerSpec

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        name = args["name"]
        if args["state"] == "started":
            if not args.get("kind"):
                raise AnsibleActionFail("kind is required when state=started")
            config = dict(args["config"])
            if args.get("database"):
                config["dsn"] = self.database_target(args["database"], task_vars).conninfo()
            spec = SamplerSpec(
                name=name,
                kind=args["kind"],
                scenario=args.get("scenario"),
                evidence_dir=str(evidence_dir),
                interval_seconds=args["interval_seconds"],
                max_duration_seconds=args["max_duration_seconds"],
                concurrency=args["concurrency"],
                # the worker's parent is ansible-playbook: the sampler ends with the drill's controller
                watch_pid=os.getppid(),
                config=config,
            )
            entry = journal.open_entry(
                evidence_dir, "sampler_running",
                {"kind": "stop_sampler", "name": name},
                scenario=args.get("scenario"), host="localhost", entry_id=f"sampler-{name}",
            )
            try:
                pid = launcher.start(spec)
            except launcher.SamplerError as exc:
                journal.close_entry(evidence_dir, entry, by="start_failed")
                raise AnsibleActionFail(str(exc)) from None
            marker = make_marker("sampler_started", scenario=args.get("scenario"),
                                 data={"sampler": name, "kind": args["kind"], "pid": pid})
            record_marker(evidence_dir, marker)
            result.update(changed=True, pid=pid, hadrill_marker=marker)
            return result
        meta = launcher.stop(evidence_dir, name)
        journal.close_entry(evidence_dir, f"sampler-{name}")
        marker = make_marker("sampler_stopped", scenario=args.get("scenario"), data={"sampler": name, **meta})
        record_marker(evidence_dir, marker)
        result.update(changed=True, sampler=meta, hadrill_marker=marker)
        return result
