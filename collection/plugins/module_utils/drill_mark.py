# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``marks`` option of the actions that record milestones once their work is done (documented
by the doc fragment hadrill.drills.drill.marks): one task instead of the action and its marks."""

from __future__ import annotations

MARKS_OPTION = {
    "type": "list",
    "elements": "dict",
    "options": {
        "name": {"type": "str", "required": True},
        "data": {"type": "dict", "default": {}},
    },
}
