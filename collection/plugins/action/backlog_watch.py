# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.backlog_watch import ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Wait on the backlog samples: a baseline window, a hold with a hard cap, or the drain."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from ansible.errors import AnsibleActionFail

        from hadrill import clock
        from hadrill.events import make_marker, record_marker
        from hadrill.layout import Bundle
        from hadrill.scenarios.replay import analysis, watch

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        if args["seconds"] < 0 or args["poll_interval_seconds"] <= 0 or args["steady_samples"] < 1:
            raise AnsibleActionFail("seconds must be >= 0, poll_interval_seconds > 0 and steady_samples >= 1")
        tail = watch.SampleTail(Bundle(evidence_dir).sample_file(args["sampler"]))
        poll = args["poll_interval_seconds"]
        mode = args["mode"]
        marker_data = {}

        if mode == "baseline":
            stats, taken = watch.baseline(tail, since=args["since_mono"], seconds=args["seconds"], poll_seconds=poll)
            result.update(changed=False, samples=taken, baseline=stats.__dict__ if stats else None)
            if stats is None:
                result.update(failed=True, msg=(
                    f"the backlog source gave no readable sample in the {args['seconds']:g}s baseline window "
                    f"({taken} taken; last error: {tail.last_error() or 'no sample at all'}); "
                    "the worker was not paused"))
            elif args.get("envelope_ratio") is not None or args.get("envelope_absolute") is not None:
                env = analysis.envelope(stats.median, args.get("envelope_ratio"), args.get("envelope_absolute"))
                window = analysis.window(tail.poll(), args["since_mono"], args["since_mono"] + args["seconds"])
                trend = analysis.trend(window, env)
                result.update(trend=trend.as_dict(), envelope=env.describe())
            return result

        if mode == "hold":
            held = watch.hold(tail, since=args["since_mono"], seconds=args["seconds"], cap=args.get("cap"),
                              poll_seconds=poll)
            result.update(changed=False, reason=held.reason, samples=held.samples,
                          cap_sample=watch.point_data(held.cap_point), peak=watch.point_data(held.peak))
            if held.reason == "cap":
                marker_data = {"cap": args.get("cap"), "sample": watch.point_data(held.cap_point)}
            name = args.get("marker") if held.reason == "cap" else None
        else:
            if args.get("baseline_from_mono") is None or args.get("baseline_to_mono") is None:
                raise AnsibleActionFail("mode=drain needs baseline_from_mono and baseline_to_mono")
            if args.get("envelope_ratio") is None and args.get("envelope_absolute") is None:
                raise AnsibleActionFail("mode=drain needs envelope_ratio, envelope_absolute or both")
            points = tail.poll()
            stats = analysis.baseline(analysis.window(points, args["baseline_from_mono"], args["baseline_to_mono"]))
            if stats is None:
                raise AnsibleActionFail("no readable backlog sample in the baseline window: no envelope to drain into")
            env = analysis.envelope(stats.median, args.get("envelope_ratio"), args.get("envelope_absolute"))
            outcome = watch.drain(tail, resumed=args["since_mono"], env=env, steady=args["steady_samples"],
                                  timeout=args["seconds"], poll_seconds=poll)
            run = [watch.point_data(point) for point in outcome.run or []]
            result.update(
                changed=False, drained=outcome.drained, envelope_upper=env.upper, envelope=env.describe(),
                baseline=stats.__dict__, run=run, last=watch.point_data(outcome.last), peak=watch.point_data(outcome.peak),
                drain_seconds=round(outcome.run[0].mono - args["since_mono"], 3) if outcome.run else None,
            )
            marker_data = {"samples": run, "upper": env.upper, "envelope": env.describe(),
                           "steady_samples": args["steady_samples"]}
            if outcome.drained:
                name = args.get("marker")
            else:
                last = outcome.last.backlog if outcome.last else None
                reason = (f"the backlog did not drain within {args['seconds']:g}s after the resume: no "
                          f"{args['steady_samples']} consecutive samples inside the envelope ({env.describe()}); last backlog {last}")
                result["timeout_reason"] = reason
                marker_data["reason"] = reason
                name = args.get("timeout_marker")

        if name:
            marker = make_marker(name, scenario=args.get("scenario"), data=marker_data, at=clock.now())
            record_marker(evidence_dir, marker)
            result["hadrill_marker"] = marker
        return result
