# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The environment's drill journal on the target side, as the inventory describes it."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail


def inventory_target_journal(action, task_vars, db_inventory_host=None):
    """A hadrill.target_journal.TargetJournal from the inventory: the first db_primary host's
    database (or ``db_inventory_host``), ``drill_journal_table`` and ``drill_environment``.
    ``action`` is the calling DrillAction (it reads the database settings and templates)."""
    from pydantic import TypeAdapter, ValidationError

    from hadrill.config.common import Slug, TableName
    from hadrill.target_journal import DEFAULT_TABLE, TargetJournal

    environment = task_vars.get("drill_environment")
    if not environment:
        raise AnsibleActionFail("drill_environment is not set: the journal's entries belong to an environment")
    table = action._templar.template(task_vars.get("drill_journal_table", DEFAULT_TABLE))
    environment = action._templar.template(environment)
    try:
        TypeAdapter(TableName).validate_python(table)
        TypeAdapter(Slug).validate_python(environment)
    except ValidationError as exc:
        raise AnsibleActionFail(f"drill_journal_table or drill_environment is invalid: {exc}") from None
    host, database = action.database_host(db_inventory_host, task_vars)
    return TargetJournal(conninfo=database.conninfo(), table=str(table), environment=str(environment),
                         database=host)
