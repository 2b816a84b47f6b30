# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The secret values of a play's variables, for redaction (hadrill.redact.collect_secrets)."""

from __future__ import annotations

from collections.abc import Mapping

SKIPPED = ("hostvars", "vars", "groups", "group_names", "omit", "environment")
VAULTED = ("AnsibleVaultEncryptedUnicode", "EncryptedString")


def _vaulted(value):
    if type(value).__name__ in VAULTED:
        return True
    if isinstance(value, Mapping):
        return any(_vaulted(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_vaulted(item) for item in value)
    return False


def _values(templar, raw, templated):
    """A scope's variables as they are used: a value with no template and no vault in it is itself;
    any other is templated (``templated(name)``). Templating only what needs it keeps this fast
    (every host repeats the inventory's group variables) without missing what templating yields."""
    values = {}
    for name in list(raw.keys()):
        if name in SKIPPED or str(name).startswith("ansible_"):
            continue
        value = raw[name]
        if not _vaulted(value) and not templar.is_template(value):
            values[name] = value
            continue
        try:
            values[name] = templated(name)
        except Exception:  # a variable that cannot be templated cannot leak either
            continue
    return values


def play_secrets(templar, task_vars):
    """Every secret reachable from the task's variables and every host's (vault values, names
    that say password/secret/token/key, URL passwords, Authorization headers), templated."""
    from hadrill.redact import collect_secrets

    hostvars = task_vars["hostvars"]
    found = collect_secrets(_values(templar, task_vars, lambda name: templar.template(task_vars[name])))
    for host in hostvars:
        scope = hostvars[host]
        found |= collect_secrets(_values(templar, hostvars.raw_get(host),
                                         lambda name, scope=scope: templar.template(scope[name])))
    return found
