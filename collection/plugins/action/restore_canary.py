# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.restore_canary import ARGUMENT_SPEC
JOURNAL_ID = "restore-canary-table"


class ActionModule(DrillAction):
    """Create the restore drill's canary table on the primary (journaled first), or drop it."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        import psycopg

        from hadrill import journal
        from hadrill.scenarios.restore import canary, record

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        drill_id = evidence_dir.name
        host, db = self.database_host(args.get("db_inventory_host"), task_vars)
        conninfo = db.conninfo()
        table = args["table"]
        undo = canary.drop_statement(table, drill_id)
        try:
            if args["state"] == "present":
                journal.open_entry(evidence_dir, "canary table created on the primary", {"kind": "sql", "query": undo},
                                   scenario=record.SCENARIO, host=host, entry_id=JOURNAL_ID)
                try:
                    canary.create(conninfo, table, drill_id)
                except (canary.CanaryError, psycopg.Error):
                    journal.close_entry(evidence_dir, JOURNAL_ID, by="not_created")
                    raise
                record.mark(evidence_dir, "canary_table_created", {"table": table})
                result.update(changed=True, table=table)
                return result
            gone = canary.drop(conninfo, table, drill_id)
        except (canary.CanaryError, psycopg.Error) as exc:
            result.update(failed=True, msg=f"canary table {table}: {str(exc).strip()}")
            return result
        if gone:
            journal.close_entry(evidence_dir, JOURNAL_ID)
        record.check(evidence_dir, "canary_table_dropped", f"Canary table {table} dropped from the primary", gone,
                     observed="absent" if gone else "still present", expected="absent",
                     detail="" if gone else "the table is still there (not created by this drill?)")
        result.update(changed=gone, table=table, dropped=gone)
        return result
