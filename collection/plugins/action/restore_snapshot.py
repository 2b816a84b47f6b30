# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

from ansible.errors import AnsibleActionFail

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.restore_snapshot import ARGUMENT_SPEC
RECORD = "restore-snapshot.json"


class ActionModule(DrillAction):
    """Snapshot the schema version and tenant sample on the primary; compare them on the restored copy."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        import psycopg

        from hadrill import sqltemplate
        from hadrill.httpspec import drill_values
        from hadrill.layout import Bundle
        from hadrill.scenarios.restore import snapshot

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        db = self.database_target(args.get("db_inventory_host"), task_vars)
        # The drill's placeholders (${drill_id}, ${scenario}, ${run}) become literals, as in every query.
        values = drill_values(evidence_dir, "restore")
        args["schema_version_query"] = sqltemplate.fill(args["schema_version_query"], values)
        queries = [snapshot.SampleQuery.model_validate({**item, "query": sqltemplate.fill(item["query"], values)})
                   for item in args["queries"]]
        record_path = Bundle(evidence_dir).records / RECORD
        try:
            if args["state"] == "taken":
                return self._take(result, evidence_dir, db.conninfo(), args, queries, record_path)
            if not args.get("port"):
                raise AnsibleActionFail("port is required when state=compared")
            conninfo = db.conninfo(host=args.get("host"), port=args["port"])
            return self._compare(result, evidence_dir, conninfo, args, queries, record_path)
        except (snapshot.SnapshotError, psycopg.Error) as exc:
            result.update(failed=True, msg=str(exc).strip())
            return result

    def _take(self, result, evidence_dir, conninfo, args, queries, record_path):
        from hadrill.scenarios.restore import record, snapshot

        taken = snapshot.take(conninfo, schema_query=args["schema_version_query"], tenants=args["tenants"],
                              queries=queries, cutoff_seconds=args["cutoff_seconds"], target_time=args.get("target_time"))
        record_path.parent.mkdir(parents=True, exist_ok=True)
        record_path.write_text(taken.model_dump_json(indent=2) + "\n", encoding="utf-8")
        marker = record.mark(evidence_dir, "snapshot_taken", {
            "schema_version": taken.schema_version, "cutoff": taken.cutoff, "tenants": taken.tenants,
            "queries": [item.name for item in queries], "record": f"records/{RECORD}",
        })
        result.update(changed=False, schema_version=taken.schema_version, cutoff=taken.cutoff, hadrill_marker=marker)
        return result

    def _compare(self, result, evidence_dir, conninfo, args, queries, record_path):
        from hadrill.layout import Bundle
        from hadrill.events import read_lines
        from hadrill.scenarios.restore import canary, record, snapshot

        if not record_path.exists():
            raise AnsibleActionFail(f"no snapshot in {record_path}: run state=taken before the incident")
        taken = snapshot.Snapshot.model_validate(json.loads(record_path.read_text(encoding="utf-8")))
        version, sample = snapshot.read_restored(conninfo, schema_query=args["schema_version_query"],
                                                 queries=queries, snapshot=taken)
        expected = args.get("expected_schema_version") or taken.schema_version
        schema_ok = version is not None and version == expected
        record.check(evidence_dir, "schema_version", "Schema version of the restored database", schema_ok,
                     observed=version, expected=expected,
                     detail="" if schema_ok else f"the restored database has schema version {version}, expected {expected}")
        marker = record.mark(evidence_dir, "schema_checked", {"observed": version, "expected": expected, "passed": schema_ok})
        differences = {}
        for tenant in taken.tenants:
            found = snapshot.differences(taken.sample.get(tenant, {}), sample.get(tenant, {}))
            differences[tenant] = found
            record.check(
                evidence_dir, f"tenant_sample_{tenant}", f"Tenant sample `{tenant}` (rows up to {taken.cutoff}) matches the primary",
                not found, observed=sample.get(tenant), expected=taken.sample.get(tenant), detail="; ".join(found),
                compared_nothing="" if found else snapshot.compared_nothing(taken.sample.get(tenant, {}), sample.get(tenant, {})),
            )
        if taken.tenants:
            record.mark(evidence_dir, "sample_checked", {"tenants": taken.tenants,
                                                         "mismatched": [key for key, value in differences.items() if value]})
        canary_state = None
        if args.get("canary_table"):
            canary_state = canary.restored(conninfo, args["canary_table"])
            samples = list(read_lines(Bundle(evidence_dir).sample_file(args["canary_sampler"])))
            missing = canary.missing_acknowledged(samples, canary_state["seqs"], canary_state["newest_seq"])
            observed = {key: value for key, value in canary_state.items() if key != "seqs"}
            observed["missing_acknowledged"] = missing
            record.check(evidence_dir, "canary_restored", "Canary rows restored without gaps", not missing,
                         observed=observed, expected="every acknowledged canary row up to the newest restored one",
                         detail=f"acknowledged canary rows missing from the copy: {missing[:20]}" if missing else "")
        result.update(changed=False, schema_version=version, expected_schema_version=expected, schema_passed=schema_ok,
                      sample_differences=differences, hadrill_marker=marker,
                      canary={key: value for key, value in (canary_state or {}).items() if key != "seqs"})
        if not schema_ok:
            result.update(failed=True, msg=f"the restored database has schema version {version}, expected {expected}")
        return result
