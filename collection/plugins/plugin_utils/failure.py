# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Why a task failed, in one line an operator can act on.

A looped task fails with "One or more items failed": the reason is in its items, so the failed
items' own messages are used instead, each named by its loop label.

A message whose output names a cause (the exception line of a Python traceback, a FATAL or
PANIC line of a PostgreSQL log: ``hadrill.causes``) quotes that line, not the output's first one.
"""

from __future__ import annotations

try:
    from hadrill.causes import cause_line, explain
except ImportError:  # pragma: no cover - the hadrill package is required on the controller
    def cause_line(text):
        return None

    def explain(message, text):
        return message

LOOP_FAILED = "One or more items failed"


def _message(result):
    message = str(result.get("msg") or result.get("stderr") or result.get("reason") or "").strip()
    output = "\n".join(str(result.get(key) or "") for key in ("msg", "stderr", "stdout"))
    if not cause_line(output):
        return message
    return explain(message.splitlines()[0] if message else "", output)


def _label(item):
    label = item.get("_ansible_item_label", item.get("item"))
    if isinstance(label, dict):
        label = label.get("name", label)
    return str(label)


def failure_message(result, default="a task failed"):
    if not isinstance(result, dict):
        return default
    if result.get("_ansible_no_log"):
        return "(output hidden by no_log)"
    message = _message(result)
    items = result.get("results")
    if isinstance(items, list) and (not message or message == LOOP_FAILED):
        failed = [item for item in items if isinstance(item, dict) and item.get("failed")]
        parts = []
        for item in failed:
            text = "(output hidden by no_log)" if item.get("_ansible_no_log") else (_message(item) or "failed")
            parts.append("%s: %s" % (_label(item), text))
        if parts:
            return "; ".join(parts)
    return message or default
