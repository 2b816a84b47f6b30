# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.notify import ARGUMENT_SPEC

PUSH_TIMEOUT_SECONDS = 10.0


class ActionModule(DrillAction):
    """Notify the alert channel's webhook (start, abort, end) and push the metrics at the end.
    A failed delivery is recorded and reported, never a failed task."""

    def _setting(self, task_vars, name):
        value = task_vars.get(name)
        return None if value is None else self._templar.template(value)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from pydantic import ValidationError

        from hadrill import runtime
        from hadrill.config.common import AlertChannel, http_url
        from hadrill.notify import deliver, push_metrics
        from hadrill.redact import Redactor

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        event = args["event"]
        warnings = []
        channel = None
        pushgateway = None
        try:
            raw = self._setting(task_vars, "drill_alert_channel")
            channel = AlertChannel.model_validate(raw) if raw is not None else None
            url = self._setting(task_vars, "drill_metrics_pushgateway_url")
            if url is not None:
                pushgateway = http_url(str(url), "the Pushgateway")
        except (ValidationError, ValueError) as exc:
            # drill_start validated these; a value changed since (set_fact) is reported, not sent to.
            warnings.append(f"not notified: drill_alert_channel or drill_metrics_pushgateway_url is invalid: "
                            f"{str(exc).splitlines()[0]}")
        secrets = list(runtime.load_redactor(evidence_dir).secrets)
        if channel is not None and channel.webhook is not None:
            secrets += [channel.webhook.url.get_secret_value()]
            secrets += [value.get_secret_value() for value in channel.webhook.headers.values()]
        redactor = Redactor(secrets)
        try:
            drill = json.loads((evidence_dir / "drill.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            drill = {"drill_id": evidence_dir.name}
        deliveries = []
        wants_end = event == "end" and (pushgateway or (channel and channel.webhook and "end" in channel.webhook.events))
        summary = None
        if wants_end:
            from hadrill.finalize import derive

            try:
                summary = derive(evidence_dir)
            except Exception as exc:  # the seal that follows reports the same problem
                warnings.append(f"not notified: the drill's result could not be computed: {type(exc).__name__}: {exc}")
        if event != "end" or summary is not None:
            delivery = deliver(evidence_dir, event, channel, drill, redactor, summary=summary, reason=args.get("reason"))
            if delivery is not None:
                deliveries.append(delivery)
            if event == "end" and pushgateway:
                deliveries.append(push_metrics(evidence_dir, pushgateway, summary, redactor, timeout=PUSH_TIMEOUT_SECONDS))
        failed = [item for item in deliveries if not item.delivered]
        warnings += [f"{item.kind} to {item.target} not delivered: {item.error}" for item in failed]
        if warnings:
            result["warnings"] = [redactor.text(item) for item in warnings]
        records = [item.model_dump(mode="json") for item in deliveries]
        said = [f"{item.kind} to {item.target}: {'delivered' if item.delivered else 'NOT delivered'}" for item in deliveries]
        result.update(
            changed=False,
            deliveries=records,
            delivered=not failed and not warnings,
            msg=f"{event}: " + ("; ".join(said) or "nothing to send"),
        )
        return result
