# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.traffic_watch import ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Watch the probe's samples live and return the moment the abort rule fires (or the window ends)."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from ansible.errors import AnsibleActionFail

        from hadrill.events import MarkerIndex, load_markers, make_marker, record_marker
        from hadrill.layout import Bundle
        from hadrill.scenarios.rollback.watch import AbortRule, SampleTail, watch

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        for name in ("duration_seconds", "window_seconds", "poll_interval_seconds"):
            if args[name] <= 0:
                raise AnsibleActionFail(f"{name} must be above 0, got {args[name]}")
        if not 0.0 <= args["error_rate_threshold"] <= 1.0:
            raise AnsibleActionFail(f"error_rate_threshold must be within [0, 1], got {args['error_rate_threshold']}")
        since = None
        if args.get("since_marker"):
            found = MarkerIndex(load_markers(evidence_dir)).last(args["since_marker"], args.get("scenario"))
            if found is None:
                raise AnsibleActionFail(f"since_marker: no marker {args['since_marker']!r} recorded for scenario "
                                        f"{args.get('scenario')!r}; record it before the watch")
            since = found.mono
        rule = AbortRule(
            threshold=args["error_rate_threshold"], sustain=args["sustain_seconds"],
            window=args["window_seconds"], min_requests=args["min_requests"], since=since,
        )
        outcome = watch(
            SampleTail(Bundle(evidence_dir).sample_file(args["sampler"])), rule,
            duration=args["duration_seconds"], poll_interval=args["poll_interval_seconds"],
            stall_seconds=args.get("stall_seconds"),
        )
        last = outcome.last
        data = {
            "window_seconds": args["window_seconds"],
            "threshold": args["error_rate_threshold"],
            "sustain_seconds": args["sustain_seconds"],
            "error_rate": round(last.error_rate, 4) if last and last.error_rate is not None else None,
            "requests": last.requests if last else 0,
            "failed_requests": last.failed if last else 0,
            "above_for_seconds": round(last.at - last.above_since, 3) if last and last.above_since is not None else 0.0,
            "peak_error_rate": round(outcome.peak_error_rate, 4) if outcome.peak_error_rate is not None else None,
            "samples_seen": outcome.samples_seen,
            # What the rule counted: requests sent from this marker on (the claim is about the
            # candidate once observed), answered within the window before each evaluation.
            "counted_from": args.get("since_marker") or "probe_start",
            "ignored_sent_before": rule.ignored,
        }
        result.update(changed=False, fired=outcome.fired, stalled=outcome.stalled, ts=outcome.moment.iso,
                      mono=outcome.moment.mono, evaluations=outcome.evaluations, **data)
        if outcome.stalled:
            result.update(failed=True, msg=f"the traffic probe {args['sampler']} wrote no sample for "
                                           f"{args.get('stall_seconds'):g}s: the abort rule cannot watch without traffic")
            return result
        name = args["abort_marker"] if outcome.fired else args["finished_marker"]
        marker = make_marker(name, scenario=args.get("scenario"), data=data, at=outcome.moment)
        record_marker(evidence_dir, marker)
        result["hadrill_marker"] = marker
        return result
