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


def _ansible_secret(name, secret_name):
    """Whether one of Ansible's own variables (facts, magic variables, connection settings) holds a
    secret: its name says so (the connection and become passwords), and it does not name a file
    (``ansible_ssh_private_key_file`` is where a key is, not the key)."""
    return bool(secret_name.search(name)) and not name.endswith("_file")


def _values(templar, raw, templated):
    """A scope's variables as they are used: a value with no template and no vault in it is itself;
    any other is templated (``templated(name)``). Templating only what needs it keeps this fast
    (every host repeats the inventory's group variables) without missing what templating yields."""
    from hadrill.redact import SECRET_NAME

    values = {}
    for name in list(raw.keys()):
        text = str(name)
        if name in SKIPPED or (text.startswith("ansible_") and not _ansible_secret(text, SECRET_NAME)):
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


# Names through which a template reads variables by a computed name (or state outside the variables):
# a template that uses one is templated in every scope.
DYNAMIC_NAMES = frozenset({"vars", "hostvars", "lookup", "query", "q"})


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _names_read(text, parsed):
    """The variables template ``text`` reads, or None when that cannot be known from its syntax."""
    if text not in parsed:
        from jinja2 import Environment, nodes

        names = None
        if not text.lstrip().startswith("#jinja2:"):  # an overlay changes the syntax: not parsed here
            try:
                # Every name in it, loop variables included: more than it reads is only more to compare.
                names = frozenset(node.name for node in Environment().parse(text).find_all(nodes.Name))
            except Exception:  # any syntax this parser does not take: templated in every scope
                names = None
        parsed[text] = None if names is None or names & DYNAMIC_NAMES else names
    return parsed[text]


def _same_in_both(name, scope, base, parsed, seen):
    """Whether variable ``name`` templates to the same value in ``scope`` as in ``base``: its raw
    value is equal in both, and so is everything its templates read, all the way down."""
    if name in seen:
        return True
    seen.add(name)
    if (name in scope) != (name in base):
        return False
    if name not in scope:
        return True  # undefined in both: the same failure in both
    value = scope[name]
    try:
        if value != base[name] or type(value) is not type(base[name]):
            return False
    except Exception:
        return False
    if _vaulted(value):
        return False
    for text in _strings(value):
        if "{" not in text and "#" not in text:
            continue
        names = _names_read(text, parsed)
        if names is None or not all(_same_in_both(item, scope, base, parsed, seen) for item in names):
            return False
    return True


def play_secrets(templar, task_vars):
    """Every secret reachable from the task's variables and every host's (vault values, names
    that say password/secret/token/key, URL passwords, Authorization headers), templated.

    Every host repeats the inventory's group variables: a host's variable whose template reads
    nothing that differs from the task's variables (compared raw, down through every template it
    reads) templates to the value already collected, and is not templated again. Templating is
    most of this function's time (about half a second for a five-host inventory)."""
    from hadrill.redact import collect_secrets

    hostvars = task_vars["hostvars"]
    base = _values(templar, task_vars, lambda name: templar.template(task_vars[name]))
    found = collect_secrets(base)
    parsed = {}
    for host in hostvars:
        scope = hostvars[host]
        raw = hostvars.raw_get(host)
        repeated = {name for name in raw if name in base and _same_in_both(name, raw, task_vars, parsed, set())}
        found |= collect_secrets(_values(templar, {name: raw[name] for name in raw if name not in repeated},
                                         lambda name, scope=scope: templar.template(scope[name])))
    return found
