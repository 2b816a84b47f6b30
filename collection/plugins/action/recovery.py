# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

from ansible.errors import AnsibleActionFail

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.recovery import ARGUMENT_SPEC
from ansible_collections.hadrill.drills.plugins.plugin_utils.target_journal import inventory_target_journal

STANDIN_PREFIX = "hadrill-recover-"


class ActionModule(DrillAction):
    """Plan the recovery of the environment's interrupted drills from the journal on the target side,
    and record each drill's recovery (never guarded)."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        self.refuse_check_mode()
        args = self.validated_args(ARGUMENT_SPEC)
        target = inventory_target_journal(self, task_vars, args.get("db_inventory_host"))
        if args["state"] == "plan":
            result.update(self._plan(target, args))
        else:
            result.update(self._finished(target, args))
        return result

    def _wait_for_the_drill_lock(self, target, seconds):
        from hadrill import target_lock

        deadline = time.monotonic() + seconds
        while True:
            try:
                target_lock.probe(target.conninfo, target_lock.lock_key(target.environment))
                return
            except target_lock.LockHeld as exc:
                if time.monotonic() >= deadline:
                    raise AnsibleActionFail(
                        f"refused: a drill of {target.environment!r} is running ({exc}); recovering now would undo what "
                        "it is doing. Stop it first (cancel its job, or Ctrl-C on hadrill run), then recover. "
                        "Nothing was changed") from None
                time.sleep(0.5)

    def _plan(self, target, args):
        from hadrill import recover
        from hadrill.layout import Bundle
        from hadrill.target_journal import JournalUnavailable

        self._wait_for_the_drill_lock(target, args["lock_wait_seconds"])
        try:
            drills, warnings = recover.plan(target, [Path(path) for path in args["evidence_dirs"]])
        except JournalUnavailable as exc:
            raise AnsibleActionFail(f"{exc}: recovery cannot know what to undo. Nothing was changed") from None
        planned = []
        for drill in drills:
            for entry_id in drill.closed_in_bundle:
                problem = None
                try:
                    target.close(drill.drill_id, entry_id, by="drill", closed_at=_now())
                except JournalUnavailable as exc:
                    problem = str(exc)
                if problem:
                    warnings.append(f"{drill.drill_id}: entry {entry_id} is closed in the bundle but not in the journal "
                                    f"on the target side ({problem})")
            if not drill.entries:
                continue
            if drill.bundle is not None:
                # Re-sealed once recovered: drop the old manifest so that nothing reads it as current.
                Bundle(drill.bundle).manifest.unlink(missing_ok=True)
                evidence_dir, standin = drill.bundle, None
            else:
                standin = Path(tempfile.mkdtemp(prefix=f"{STANDIN_PREFIX}{drill.drill_id}-"))
                evidence_dir = standin / drill.drill_id
                evidence_dir.mkdir(mode=0o700)
                (evidence_dir / "drill.json").write_text(json.dumps(
                    {"drill_id": drill.drill_id, "environment": target.environment, "stand_in": True}) + "\n",
                    encoding="utf-8")
            planned.append({
                "drill_id": drill.drill_id, "evidence_dir": str(evidence_dir), "bundle": drill.bundle is not None,
                "standin": str(standin) if standin else None, "where": drill.describe_bundle(),
                "recorded": drill.recorded, "entries": [entry.model_dump() for entry in drill.entries]})
        entries = sum(len(item["entries"]) for item in planned)
        result = {"changed": False, "drills": planned, "entries": entries,
                  "msg": f"{entries} open action(s) of {len(planned)} drill(s) of {target.environment!r} to undo "
                         f"(journal: {target.where})"}
        if warnings:
            result["warnings"] = warnings
        return result

    def _finished(self, target, args):
        from hadrill.finalize import finalize
        from hadrill.target_journal import JournalUnavailable, record_seal

        drill = args.get("drill") or {}
        drill_id, evidence_dir = drill.get("drill_id"), drill.get("evidence_dir")
        if not drill_id or not evidence_dir:
            raise AnsibleActionFail("state=finished needs drill, one of the plan's drills")
        undone, failed = list(args["undone"]), list(args["failed"])
        total = len(drill.get("entries") or [])
        recovered = {"at": _now(), "by": "hadrill.drills.recover", "undone": undone,
                     "failed": [{key: item.get(key) for key in ("id", "action", "reason")} for item in failed],
                     "bundle": "re-sealed" if drill.get("bundle") else "not on the recovering controller"}
        result = {"changed": True, "drill_id": drill_id, "manifest_sha256": None}
        warnings = []
        if drill.get("bundle"):
            summary, digest = finalize(Path(evidence_dir), sealed_by="hadrill recover",
                                       reason=f"recovery undid {len(undone)} of {total} open action(s)")
            result["manifest_sha256"] = digest
            problem = record_seal(Path(evidence_dir), manifest_sha256=digest, result=summary.result,
                                  sealed_at=_now(), sealed_by="hadrill recover", target=target,
                                  extra={"recovered": recovered})
        else:
            problem = None
            try:
                target.update_drill(drill_id, {"recovered": recovered})
            except JournalUnavailable as exc:
                problem = str(exc)
            if drill.get("standin") and Path(drill["standin"]).name.startswith(STANDIN_PREFIX):
                shutil.rmtree(drill["standin"], ignore_errors=True)
        if problem:
            warnings.append(f"the recovery of {drill_id} could not be recorded in the journal on the target side: {problem}")
        try:
            result["still_open"] = [str(row["id"]) for row in target.open_entries() if row["drill_id"] == drill_id]
        except JournalUnavailable as exc:
            result["still_open"] = [str(entry.get("id")) for entry in drill.get("entries") or [] if entry.get("id") not in undone]
            warnings.append(str(exc))
        if warnings:
            result["warnings"] = warnings
        result["msg"] = (f"{drill_id}: {len(undone)} of {total} open action(s) undone, {len(result['still_open'])} still open; "
                         + (f"bundle re-sealed (MANIFEST sha256 {result['manifest_sha256']})" if drill.get("bundle")
                            else drill.get("where", "bundle not here")))
        return result


def _now():
    from hadrill import clock

    return clock.now().iso
