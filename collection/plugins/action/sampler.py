# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.sampler import ARGUMENT_RULES, ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Start or stop background sampler processes on the controller (one, or several side by side)."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from hadrill import journal
        from hadrill.events import make_marker, record_marker
        from hadrill.samplers import launcher
        from hadrill.samplers.spec import SamplerSpec
        from hadrill.target_journal import JournalUnavailable

        args = self.validated_args(ARGUMENT_SPEC, **ARGUMENT_RULES)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        several = args.get("samplers") is not None
        items = args["samplers"] if several else [args]
        scenario = args.get("scenario")
        if args["state"] == "started":
            if any(not item.get("kind") for item in items):
                raise AnsibleActionFail("kind is required when state=started")
            specs = []
            for item in items:
                config = dict(item["config"])
                if item.get("database"):
                    config["dsn"] = self.database_target(item["database"], task_vars).conninfo()
                specs.append(SamplerSpec(
                    name=item["name"],
                    kind=item["kind"],
                    scenario=scenario,
                    evidence_dir=str(evidence_dir),
                    interval_seconds=item["interval_seconds"],
                    max_duration_seconds=item["max_duration_seconds"],
                    concurrency=item["concurrency"],
                    # the worker's parent is ansible-playbook: the sampler ends with the drill's controller
                    watch_pid=os.getppid(),
                    config=config,
                ))
            # Each sampler's journal entry before its process starts.
            entries = []
            try:
                for spec in specs:
                    entries.append(journal.open_entry(
                        evidence_dir, "sampler_running", {"kind": "stop_sampler", "name": spec.name},
                        scenario=scenario, host="localhost", entry_id=f"sampler-{spec.name}"))
                pids = launcher.start_all(specs)
            except (launcher.SamplerError, JournalUnavailable) as exc:
                for entry in entries:
                    journal.close_entry(evidence_dir, entry, by="start_failed")
                suffix = ": the sampler is not started without its journal entry" if isinstance(exc, JournalUnavailable) else ""
                raise AnsibleActionFail(f"{exc}{suffix}") from None
            for spec, pid in zip(specs, pids):
                marker = make_marker("sampler_started", scenario=scenario,
                                     data={"sampler": spec.name, "kind": spec.kind, "pid": pid})
                record_marker(evidence_dir, marker)
            result.update(changed=True, hadrill_marker=marker)
            if several:
                result["pids"] = {spec.name: pid for spec, pid in zip(specs, pids)}
            else:
                result["pid"] = pids[0]
        else:
            stopped = {}
            for item in items:
                meta = launcher.stop(evidence_dir, item["name"])
                journal.close_entry(evidence_dir, f"sampler-{item['name']}")
                marker = make_marker("sampler_stopped", scenario=scenario, data={"sampler": item["name"], **meta})
                record_marker(evidence_dir, marker)
                stopped[item["name"]] = meta
            result.update(changed=True, hadrill_marker=marker)
            if several:
                result["samplers"] = stopped
            else:
                result["sampler"] = stopped[args["name"]]
        self.record_marks(evidence_dir, args, result)
        return result
