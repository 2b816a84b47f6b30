# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import socket

from ansible.errors import AnsibleActionFail

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.evidence_sink import ARGUMENT_SPEC
from ansible_collections.hadrill.drills.plugins.plugin_utils.secrets import play_secrets
from ansible_collections.hadrill.drills.plugins.plugin_utils.target_journal import inventory_target_journal


class ActionModule(DrillAction):
    """After the seal: upload the bundle with drill_evidence_sink (if set) and record where the
    evidence is, and its digest, in the journal on the target side."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from pydantic import ValidationError

        from hadrill import clock, sink, statements
        from hadrill.redact import Redactor
        from hadrill.target_journal import record_seal

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        configured = self._templar.template(task_vars.get("drill_evidence_sink")) if task_vars.get("drill_evidence_sink") else None
        try:
            chosen = sink.EvidenceSink.model_validate(configured) if configured else None
        except ValidationError as exc:
            raise AnsibleActionFail(f"drill_evidence_sink is invalid: {exc}") from None
        target = inventory_target_journal(self, task_vars)
        bundle = {"path": str(evidence_dir), "controller": socket.gethostname()}
        upload = None
        if chosen is not None:
            # The drill's secret list is gone with the seal: the play's secrets, as drill_start collected them.
            redactor = Redactor(play_secrets(self._templar, task_vars))
            values = sink.values_for(evidence_dir, evidence_dir.name, target.environment, args["manifest_sha256"])
            upload = sink.upload(chosen, values, redact=redactor.text)
        warnings = []
        # The seal again (the seal itself records it, when the target answers then), with where it went.
        seals = [item for item in statements.load(evidence_dir).seals if item.statement is not None]
        last = max(seals, key=lambda item: item.number).statement if seals else None
        problem = record_seal(evidence_dir, manifest_sha256=args["manifest_sha256"], result=args.get("result"),
                              sealed_at=last.sealed_at if last else clock.now().iso,
                              sealed_by=last.sealed_by if last else "hadrill.drills.evidence",
                              number=last.seal if last else None, target=target,
                              extra={"evidence": bundle, "upload": upload})
        if problem:
            warnings.append(f"the journal on the target side could not record where the evidence is: {problem}")
        if upload is not None and not upload["ok"]:
            warnings.append(f"the evidence upload failed ({upload['error']}); the bundle stays at {evidence_dir} on "
                            f"{bundle['controller']}")
        location = upload["location"] if upload and upload["ok"] else f"{bundle['controller']}:{evidence_dir}"
        result.update(changed=upload is not None, location=location, bundle=bundle, upload=upload,
                      upload_failed=bool(upload is not None and not upload["ok"]), journal_recorded=problem is None,
                      msg=(f"evidence uploaded to {location}" if upload and upload["ok"] else
                           f"evidence at {location}" + (" (the upload failed)" if upload else "")))
        if warnings:
            result["warnings"] = warnings
        return result
