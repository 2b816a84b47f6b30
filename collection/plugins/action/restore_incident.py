# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.plugin_utils.restore_shell import run_shell
from ansible_collections.hadrill.drills.plugins.modules.restore_incident import ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Declare the incident and fix what the restore may use: a frozen archive, or a time target."""

    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        import psycopg

        from hadrill import clock
        from hadrill.events import read_lines
        from hadrill.layout import Bundle
        from hadrill.scenarios.restore import instance, record, targets, wal

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        db = self.database_target(args.get("db_inventory_host"), task_vars)

        frozen = pinned = None
        if args["target"] == "latest" and args.get("pgbackrest_pin"):
            # Pinned first, incident right after, as for a freeze: a WAL segment archived while the
            # repository is read counts as lost, never the other way round.
            try:
                pinned = self._pin(db, args["freeze_timeout_seconds"])
            except targets.TargetError as exc:
                result.update(failed=True, msg=str(exc))
                return result
        elif args["target"] == "latest" and args.get("freeze_source"):
            if not args.get("freeze_dest"):
                raise AnsibleActionFail("freeze_dest is required with freeze_source")
            # Frozen first, incident right after: everything in the copy was archived before the
            # incident instant, so WAL archived later cannot make the RPO look better than it is.
            command = instance.freeze_command(args["freeze_source"], args["freeze_dest"])
            outcome = run_shell(self, instance.bounded(command, args["freeze_timeout_seconds"]))
            if not outcome.ok:
                result.update(failed=True, msg=f"freezing {args['freeze_source']} failed (rc {outcome.rc}): {outcome.tail()}")
                return result
            frozen = args["freeze_dest"]
        incident = clock.now()
        marker = record.mark(evidence_dir, "incident", {
            "target": args["target"], "frozen_archive": frozen,
            "pinned_archive": pinned.as_dict() if pinned else None}, at=incident)

        target = targets.Target("latest")
        if args["target"] == "time":
            samples = list(read_lines(Bundle(evidence_dir).sample_file(args["canary_sampler"])))
            target = targets.time_target(incident.wall, args["before_incident_seconds"], args.get("target_time"), samples)
        record.mark(evidence_dir, "restore_target", {
            "target": target.kind, "target_time": target.iso, "explicit": bool(args.get("target_time")),
        })
        archived = None
        if target.kind == "time" and args["force_wal_switch"]:
            try:
                archived = wal.switch_and_wait(db.conninfo(), timeout_seconds=args["archive_wait_seconds"])
            except (wal.ArchiveTimeout, psycopg.Error) as exc:
                result.update(failed=True, msg=str(exc).strip(), incident_ts=marker["ts"])
                return result
            record.mark(evidence_dir, "wal_archived", archived)
        result.update(
            changed=True, hadrill_marker=marker, incident_ts=marker["ts"], frozen_archive=frozen,
            pinned_archive=pinned.as_dict() if pinned else None,
            target={"kind": target.kind, "time": target.iso, "postgres": target.postgres},
            wal_archived=archived,
        )
        return result

    def _pin(self, db, timeout_seconds):
        """The repository's newest backup set and WAL segment, read with ``pgbackrest info`` on the
        task's host (the database host, as its PostgreSQL OS user): through pgBackRest, wherever
        the repository is (``repo1-host`` over SSH, S3, Azure, GCS, a local directory)."""
        from hadrill.scenarios.restore import instance, targets

        argv = ["pgbackrest"] + ([f"--config={db.pgbackrest_config}"] if db.pgbackrest_config else [])
        argv += [f"--stanza={db.pgbackrest_stanza}", "--output=json", "info"]
        outcome = run_shell(self, instance.bounded(" ".join(instance.q(part) for part in argv), timeout_seconds))
        if not outcome.ok:
            raise targets.TargetError(f"pgbackrest info failed (rc {outcome.rc}): {outcome.tail()}")
        return targets.pgbackrest_pin(outcome.stdout, str(db.pgbackrest_stanza))
