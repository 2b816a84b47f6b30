#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: notify
short_description: Tell the alert channel about the drill, and push its metrics at the end
version_added: "0.1.0"
description:
  - Posts a notification to the webhook of C(drill_alert_channel) (C(webhook.url), optional
    C(webhook.headers), for example from ansible-vault) when the drill starts (O(event=start)),
    when it stops early (O(event=abort), with O(reason)) and when it ends (O(event=end), with the
    result, the judged figures and where the evidence bundle is).
  - The body is a Slack-compatible JSON message (C(text) and C(blocks)) unless
    C(drill_alert_channel.webhook.body_template) gives another JSON document; its strings may hold
    C(${event}), C(${drill_id}), C(${environment}), C(${environment_class}), C(${owner}),
    C(${scenarios}), C(${result}), C(${reasons}), C(${headline}), C(${figures}), C(${evidence}),
    C(${channel}) and C(${text}). A string that is exactly one placeholder keeps its JSON type.
  - At O(event=end), also pushes the drill's metrics (C(hadrill_drill_rto_seconds) and the others of
    C(metrics.prom)) to the Prometheus Pushgateway of C(drill_metrics_pushgateway_url), when it is set,
    under the grouping key C(job=hadrill), C(environment=<drill_environment>).
  - Each attempt is recorded in the drill's C(events.jsonl) (C(summary.json) C(deliveries)), delivered or
    not. A failed delivery never fails the task or the drill; every request is bounded by its timeout
    (C(drill_alert_channel.webhook.timeout_seconds), default 5 seconds; 10 seconds for the Pushgateway).
  - The webhook's URL and header values are never recorded (the record names the channel), and the
    Pushgateway is recorded by scheme, host and port only.
  - Runs on the controller (action plugin). It changes no managed host.
author:
  - hadrill maintainers (!UNKNOWN)
attributes:
  check_mode:
    support: none
    description: The drill refuses check mode before it gets here; a notification is sent or not.
  diff_mode:
    support: none
    description: Nothing to diff.
options:
  event:
    description: Which moment of the drill this is.
    type: str
    required: true
    choices: [start, abort, end]
  reason:
    description: With O(event=abort), why the drill stopped (a secret in it is redacted).
    type: str
extends_documentation_fragment:
  - hadrill.drills.drill
"""

EXAMPLES = r"""
- name: Tell the alert channel that the drill started
  hadrill.drills.notify:
    event: start

- name: Tell the alert channel that the drill stopped early
  hadrill.drills.notify:
    event: abort
    reason: "{{ ansible_failed_result | hadrill.drills.failure_reason }}"

- name: Tell the alert channel the result, and push the drill's metrics
  hadrill.drills.notify:
    event: end
"""

RETURN = r"""
deliveries:
  description: What was sent and whether it arrived (the records of C(summary.json) C(deliveries)).
  returned: always
  type: list
  elements: dict
  sample:
    - kind: notification
      event: end
      target: "#ops-alerts"
      delivered: true
      status: 200
      error: ""
      seconds: 0.021
      at: "2026-11-28T10:10:00.123456Z"
delivered:
  description: Whether every attempted delivery arrived (true when nothing was to be sent).
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "event": {"type": "str", "required": True, "choices": ["start", "abort", "end"]},
    "reason": {"type": "str"},
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=False)
    module.fail_json(msg="hadrill.drills.notify runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
