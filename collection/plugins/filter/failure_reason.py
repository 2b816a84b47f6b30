# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.hadrill.drills.plugins.plugin_utils.failure import failure_message


def failure_reason(result, default="a task failed"):
    return failure_message(result, default)


class FilterModule:
    def filters(self):
        return {"failure_reason": failure_reason}
