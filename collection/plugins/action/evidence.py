# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.evidence import ARGUMENT_SPEC


class ActionModule(DrillAction):
    """Compute summary.json and report.md from the recording, sweep secrets, write MANIFEST.sha256 and
    the seal statement, signed with the drill key when drill_signing_key names one."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from hadrill.finalize import finalize

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        summary, digest = finalize(evidence_dir)
        figures = {
            f"{name}.{figure.name}": figure.value
            for name, scenario in summary.scenarios.items()
            for figure in scenario.figures
        }
        seal = summary.seal
        if seal is not None and seal.signing is not None:
            sealed = f"manifest signature by drill key {seal.signing.principal} ({seal.signing.key_fingerprint})"
        else:
            sealed = f"unsigned: {seal.unsigned_reason if seal else 'no seal record'}"
        result.update(
            changed=True,
            drill_id=summary.drill_id,
            result=summary.result,
            result_reasons=summary.result_reasons,
            run_status=summary.run_status,
            figures=figures,
            evidence_dir=str(evidence_dir),
            manifest_sha256=digest,
            seal=seal.model_dump(mode="json") if seal else None,
            msg=f"drill {summary.drill_id}: {summary.result}; evidence sealed in {evidence_dir} "
                f"(MANIFEST sha256 {digest[:12]}…; {sealed})",
        )
        return result
