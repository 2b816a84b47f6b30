# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible.errors import AnsibleFilterError

try:
    from hadrill.config.paths import dedicated_path_problem

    HADRILL_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller's environment
    HADRILL_IMPORT_ERROR = exc


def dedicated_path(path, protected=None):
    if HADRILL_IMPORT_ERROR is not None:
        raise AnsibleFilterError(f"the hadrill Python package is required on the controller: {HADRILL_IMPORT_ERROR}")
    return dedicated_path_problem(path, protected or {}) or ""


class FilterModule:
    def filters(self):
        return {"dedicated_path": dedicated_path}
