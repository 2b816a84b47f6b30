# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.pg_query import ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Run SQL from the controller with the credentials of a db_primary inventory host."""

    # Reads only (pg_query: a write is not run in check mode).
    SUPPORTS_CHECK_MODE = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        import psycopg

        from hadrill.db import execute

        args = self.validated_args(ARGUMENT_SPEC)
        target = self.database_target(args.get("db_inventory_host"), task_vars)
        conninfo = target.conninfo(host=args.get("host"), port=args.get("port"), dbname=args.get("dbname"))
        # In check mode a statement runs only inside a read-only transaction: reads answer, writes are refused.
        check_mode = bool(self._task.check_mode)
        try:
            outcome = execute(conninfo, args["query"], args.get("params"),
                              wait_seconds=args["wait_seconds"], read_only=args["read_only"] or check_mode)
        except psycopg.Error as exc:
            if check_mode and not args["read_only"] and isinstance(exc, psycopg.errors.ReadOnlySqlTransaction):
                result.update(changed=True, skipped=True, msg="the statement writes: not run in check mode")
                return result
            where = f"{args.get('host') or target.db_host}:{args.get('port') or target.db_port}"
            result.update(failed=True, msg=f"query on {where} failed: {type(exc).__name__}: {str(exc).strip()}")
            return result
        result.update(changed=outcome.changed, rows=outcome.rows, rowcount=len(outcome.rows), status=outcome.status)
        return result
