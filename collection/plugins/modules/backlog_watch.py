#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: backlog_watch
short_description: Wait on a drill's backlog samples (baseline, hold with a hard cap, drain)
version_added: "0.1.0"
description:
  - Runs on the controller and reads the backlog sampler's file C(samples/<sampler>.jsonl) of
    the evidence directory while it grows. Every wait is bounded by a deadline on the
    controller's monotonic clock.
  - C(baseline) waits O(seconds) from O(since_mono) and returns the baseline (median, mean,
    maximum) of the readable samples; it fails when the backlog source gave no readable sample,
    so a drill never pauses a worker it cannot measure. With O(envelope_ratio) or
    O(envelope_absolute) it also returns the trend test of the window (the samples from
    O(since_mono) to O(since_mono) + O(seconds)). The baseline is steady when the robust
    (Theil-Sen) slope of the samples times the window moves the backlog by no more than the
    envelope's margin above the baseline median.
  - C(hold) waits until O(since_mono) + O(seconds); with O(cap) it returns as soon as a sample
    is above the cap (and records O(marker)).
  - C(drain) computes the steady-state envelope max(O(envelope_ratio) x baseline,
    O(envelope_absolute)) from the baseline window and returns once O(steady_samples)
    consecutive samples after O(since_mono) (the resume) are inside it, recording O(marker), or
    once O(seconds) have passed since the resume, recording O(timeout_marker).
  - The figures of the report are recomputed from the same samples by the same code
    (C(hadrill.scenarios.replay.analysis)); this module only decides when the drill moves on.
author:
  - hadrill maintainers (!UNKNOWN)
options:
  sampler:
    description: Name of the backlog sampler (its sample file).
    type: str
    required: true
  mode:
    description: What to wait for.
    type: str
    required: true
    choices: [baseline, hold, drain]
  since_mono:
    description: Controller monotonic time the wait is measured from (a marker's C(mono)).
    type: float
    required: true
  seconds:
    description: Baseline window, hold duration, or drain timeout.
    type: float
    required: true
  cap:
    description: Hard cap on the backlog (hold); a sample above it ends the hold early.
    type: float
  baseline_from_mono:
    description: Start of the baseline window (drain).
    type: float
  baseline_to_mono:
    description: End of the baseline window (drain).
    type: float
  envelope_ratio:
    description: Envelope relative to the baseline median (drain, and the trend test of baseline).
    type: float
  envelope_absolute:
    description: Absolute envelope bound (drain, and the trend test of baseline); with a ratio the larger bound counts.
    type: float
  steady_samples:
    description: Consecutive samples inside the envelope that make the drain (drain).
    type: int
    default: 3
  poll_interval_seconds:
    description: How often the sample file is read.
    type: float
    default: 0.1
  scenario:
    description: Scenario of the markers recorded.
    type: str
  marker:
    description: Marker recorded when the cap is passed (hold) or the backlog drained (drain).
    type: str
  timeout_marker:
    description: Marker recorded when the drain timeout passed (drain).
    type: str
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: "Skipped in check mode: it waits on a live sampler of a running drill."
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - hadrill.drills.drill
"""

EXAMPLES = r"""
- name: Hold the pause, resuming early if the backlog passes the cap
  hadrill.drills.backlog_watch:
    sampler: replay_backlog
    mode: hold
    since_mono: "{{ _paused.mono }}"
    seconds: 900
    cap: 50000
    scenario: replay
    marker: backlog_cap_reached

- name: Wait for the backlog to drain
  hadrill.drills.backlog_watch:
    sampler: replay_backlog
    mode: drain
    since_mono: "{{ _resumed.mono }}"
    seconds: 1800
    baseline_from_mono: "{{ _baseline_started.mono }}"
    baseline_to_mono: "{{ _baseline_finished.mono }}"
    envelope_ratio: 1.5
    steady_samples: 3
    scenario: replay
    marker: drained
    timeout_marker: drain_timeout
"""

RETURN = r"""
baseline:
  description: Baseline of the window (median, mean, maximum, count).
  returned: mode is baseline or drain
  type: dict
trend:
  description:
    - Trend test of the baseline window (C(slope_per_second), C(window_seconds), C(drift),
      C(allowed), C(samples), C(steady), C(rule)); fewer than 3 readable samples are never steady.
  returned: mode is baseline with an envelope
  type: dict
reason:
  description: Why the hold ended, C(duration) or C(cap).
  returned: mode is hold
  type: str
drained:
  description: Whether the backlog drained before the timeout.
  returned: mode is drain
  type: bool
drain_seconds:
  description: Resume to the first steady sample (the drill's own reading; the report recomputes it).
  returned: mode is drain
  type: float
timeout_reason:
  description: Why the drain is considered failed.
  returned: mode is drain and the backlog did not drain
  type: str
hadrill_marker:
  description: The marker recorded, if any.
  returned: when a marker was recorded
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule


ARGUMENT_SPEC = {
    "sampler": {"type": "str", "required": True},
    "mode": {"type": "str", "required": True, "choices": ["baseline", "hold", "drain"]},
    "since_mono": {"type": "float", "required": True},
    "seconds": {"type": "float", "required": True},
    "cap": {"type": "float"},
    "baseline_from_mono": {"type": "float"},
    "baseline_to_mono": {"type": "float"},
    "envelope_ratio": {"type": "float"},
    "envelope_absolute": {"type": "float"},
    "steady_samples": {"type": "int", "default": 3},
    "poll_interval_seconds": {"type": "float", "default": 0.1},
    "scenario": {"type": "str"},
    "marker": {"type": "str"},
    "timeout_marker": {"type": "str"},
    "evidence_dir": {"type": "path"},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
    )
    module.fail_json(msg="hadrill.drills.backlog_watch runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
