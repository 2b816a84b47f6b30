#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: traffic_watch
short_description: Watch a traffic probe live and stop as soon as its abort rule fires
version_added: "0.1.0"
description:
  - Reads the samples a running C(http_probe) sampler (M(hadrill.drills.sampler)) appends to
    C(samples/<sampler>.jsonl) and evaluates an abort rule every O(poll_interval_seconds), for at
    most O(duration_seconds).
  - The rule fires when the error rate of the requests answered in the last O(window_seconds)
    (at least O(min_requests) of them) stayed above O(error_rate_threshold) for
    O(sustain_seconds). The module then returns at once, so a rollback can start immediately.
  - With O(since_marker), only requests sent at or after that marker count (for example the start of
    the observation), so errors answered before the candidate was observed never make the rule fire.
  - Records the marker O(abort_marker) at the moment the rule fired, or O(finished_marker) when
    the window ended without it, with the rate, window and counts as data.
  - Fails (recording no marker) when the probe wrote nothing for O(stall_seconds).
  - Runs on the controller (action plugin); the logic lives in C(hadrill.scenarios.rollback.watch).
author:
  - hadrill maintainers (!UNKNOWN)
options:
  sampler:
    description: Name of the running C(http_probe) sampler whose samples are watched.
    type: str
    required: true
  duration_seconds:
    description: Longest time to watch (the observation window).
    type: float
    required: true
  window_seconds:
    description: Sliding window of the error rate.
    type: float
    required: true
  error_rate_threshold:
    description: Error rate (0 to 1) above which the window counts as breaching.
    type: float
    required: true
  sustain_seconds:
    description: How long the breach must last before the rule fires (0 fires on the first breach).
    type: float
    default: 0.0
  min_requests:
    description: A window with fewer requests never breaches.
    type: int
    default: 1
  poll_interval_seconds:
    description: Time between two evaluations.
    type: float
    default: 0.2
  stall_seconds:
    description: Fail when the probe wrote no sample for this long; unset to never fail.
    type: float
  since_marker:
    description:
      - Count only requests sent at or after the last marker of this name (of O(scenario)); the
        watch fails when no such marker was recorded. Unset, every request of the probe counts.
    type: str
  scenario:
    description: Scenario of the markers.
    type: str
  abort_marker:
    description: Marker recorded when the rule fires.
    type: str
    default: abort_fired
  finished_marker:
    description: Marker recorded when the window ends without the rule firing.
    type: str
    default: observation_finished
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: "Skipped in check mode: it watches a running probe."
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill
"""

EXAMPLES = r"""
- name: Watch the canary for at most 5 minutes, abort on 5% errors over 10 s for 10 s
  hadrill.drills.traffic_watch:
    sampler: rollback_traffic
    scenario: rollback
    duration_seconds: 300
    window_seconds: 10
    error_rate_threshold: 0.05
    sustain_seconds: 10
    min_requests: 10
    stall_seconds: 30
    since_marker: observation_started
  register: watch
"""

RETURN = r"""
fired:
  description: Whether the abort rule fired.
  returned: always
  type: bool
stalled:
  description: Whether the watch stopped because the probe wrote nothing.
  returned: always
  type: bool
ts:
  description: UTC time the rule fired or the watch ended.
  returned: always
  type: str
mono:
  description: Controller monotonic time the rule fired or the watch ended.
  returned: always
  type: float
error_rate:
  description: Error rate of the last evaluated window (null without requests).
  returned: always
  type: float
peak_error_rate:
  description: Highest windowed error rate seen (windows with at least min_requests).
  returned: always
  type: float
requests:
  description: Requests in the last evaluated window.
  returned: always
  type: int
failed_requests:
  description: Failed requests in the last evaluated window.
  returned: always
  type: int
above_for_seconds:
  description: How long the rate had been above the threshold at the last evaluation.
  returned: always
  type: float
samples_seen:
  description: Samples read during the watch.
  returned: always
  type: int
counted_from:
  description: The marker from which sent requests counted (O(since_marker)), or C(probe_start).
  returned: always
  type: str
ignored_sent_before:
  description: Requests read but not counted because they were sent before O(since_marker).
  returned: always
  type: int
evaluations:
  description: Number of evaluations of the rule.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "sampler": {"type": "str", "required": True},
    "duration_seconds": {"type": "float", "required": True},
    "window_seconds": {"type": "float", "required": True},
    "error_rate_threshold": {"type": "float", "required": True},
    "sustain_seconds": {"type": "float", "default": 0.0},
    "min_requests": {"type": "int", "default": 1},
    "poll_interval_seconds": {"type": "float", "default": 0.2},
    "stall_seconds": {"type": "float"},
    "since_marker": {"type": "str"},
    "scenario": {"type": "str"},
    "abort_marker": {"type": "str", "default": "abort_fired"},
    "finished_marker": {"type": "str", "default": "observation_finished"},
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
    )
    module.fail_json(msg="hadrill.drills.traffic_watch runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
