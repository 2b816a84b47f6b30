# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction

ARGUMENT_SPEC = {
    "query": {"type": "str", "required": True},
    "params": {"type": "raw"},
    "db_inventory_host": {"type": "str"},
    "host": {"type": "str"},
    "port": {"type": "int"},
    "dbname": {"type": "str"},
    "wait_seconds": {"type": "float", "default": 0.0},
    "read_only": {"type": "bool", "default": False},
}


class ActionModule(DrillAction):
    """Run SQL from the controller with the credentials of a db_primary inventory host."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        import psycopg
        from pydantic import ValidationError

        from hadrill.config.targets import DbPrimaryHost
        from hadrill.db import query

        args = self.validated_args(ARGUMENT_SPEC)
        db_host = args.get("db_inventory_host") or (task_vars["groups"].get("db_primary") or [None])[0]
        if not db_host or db_host not in task_vars["hostvars"]:
            raise AnsibleActionFail("no db_primary host: set db_inventory_host or define the db_primary group")
        hostvars = task_vars["hostvars"][db_host]
        values = {
            name: self._templar.template(hostvars[name]) for name in DbPrimaryHost.model_fields if name in hostvars
        }
        try:
            target = DbPrimaryHost.model_validate(values)
        except ValidationError as exc:
            raise AnsibleActionFail(f"database settings of {db_host} are invalid: {exc}") from None
        conninfo = target.conninfo(host=args.get("host"), port=args.get("port"), dbname=args.get("dbname"))
        try:
            rows = query(conninfo, args["query"], args.get("params"),
                         wait_seconds=args["wait_seconds"], read_only=args["read_only"])
        except psycopg.Error as exc:
            where = f"{args.get('host') or target.db_host}:{args.get('port') or target.db_port}"
            result.update(failed=True, msg=f"query on {where} failed: {type(exc).__name__}: {str(exc).strip()}")
            return result
        result.update(changed=False, rows=rows, rowcount=len(rows))
        return result
