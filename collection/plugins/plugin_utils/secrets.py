# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The secret values of a play's variables, for redaction (hadrill.redact.collect_secrets)."""

from __future__ import annotations


def play_secrets(templar, task_vars):
    """Every secret reachable from the task's variables and every host's (vault values, names
    that say password/secret/token/key, URL passwords, Authorization headers), templated."""
    from hadrill.redact import collect_secrets

    found = set()
    scopes = [task_vars] + [task_vars["hostvars"][host] for host in task_vars["hostvars"]]
    for scope in scopes:
        values = {}
        for name in list(scope.keys()):
            if name in ("hostvars", "vars", "groups", "group_names", "omit", "environment") or name.startswith("ansible_"):
                continue
            try:
                values[name] = templar.template(scope[name])
            except Exception:  # a variable that cannot be templated cannot leak either
                continue
        found |= collect_secrets(values)
    return found
