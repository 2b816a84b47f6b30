# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.pg_try import ARGUMENT_SPEC

LABELS = {"restore": "Restore", "rollback": "Rollback", "replay": "Replay", "journal": "Drill journal"}


class ActionModule(DrillAction):
    """Plan the selected scenarios' statements with EXPLAIN and ask for their privileges, read-only."""

    # Reads only (pg_query: a write is not run in check mode).
    SUPPORTS_CHECK_MODE = True

    def _settings(self, task_vars, prefix, model):
        from pydantic import ValidationError

        values = {name: self._templar.template(task_vars[name]) for name in model.model_fields if name in task_vars}
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            raise AnsibleActionFail(f"settings {prefix}* are invalid: {exc}") from None

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        from pydantic import TypeAdapter, ValidationError

        from hadrill import clock, trials
        from hadrill.config.common import DrillSettings, TableName
        from hadrill.config.loader import SCENARIO_SECTIONS, _load_scenario_models
        from hadrill.events import CheckEvent, append_line
        from hadrill.httpspec import drill_values
        from hadrill.runtime import load_redactor
        from hadrill.target_journal import DEFAULT_TABLE

        args = self.validated_args(ARGUMENT_SPEC)
        evidence_dir = self.evidence_dir(task_vars, args.get("evidence_dir"))
        scenarios = args.get("scenarios")
        if scenarios is None:
            scenarios = list(self._templar.template(task_vars.get("drill_selected_scenarios", [])))
        _load_scenario_models()
        cleanups = {}
        if "drill_cleanup" in task_vars:
            try:
                cleanups = TypeAdapter(DrillSettings.model_fields["drill_cleanup"].annotation).validate_python(
                    self._templar.template(task_vars["drill_cleanup"]))
            except ValidationError as exc:
                raise AnsibleActionFail(f"drill_cleanup is invalid: {exc}") from None
        per_scenario = {}
        for scenario in scenarios:
            values = drill_values(evidence_dir, scenario)
            found = []
            if scenario in SCENARIO_SECTIONS:
                prefix, model = SCENARIO_SECTIONS[scenario]
                settings = self._settings(task_vars, prefix, model)
                if scenario == "restore":
                    found.append(trials.restore_queries(settings, values))
                elif scenario == "replay":
                    found.append(trials.replay_queries(settings, values))
            found.append(trials.cleanup_queries(scenario, cleanups.get(scenario), values))
            per_scenario[scenario] = trials.trials(found)
        # The drill journal on the target side, which every drill writes (hadrill.target_journal).
        try:
            table = TypeAdapter(TableName).validate_python(self._templar.template(task_vars.get("drill_journal_table", DEFAULT_TABLE)))
        except ValidationError as exc:
            raise AnsibleActionFail(f"drill_journal_table is invalid: {exc}") from None
        per_scenario["journal"] = trials.trials([trials.journal_queries(table)])
        target = self.database_target(args.get("db_inventory_host"), task_vars)
        redactor = load_redactor(evidence_dir)
        outcomes = []
        for scenario, tried in per_scenario.items():
            if not tried:
                continue
            results = trials.run_trials(target.conninfo(), tried)
            failed = [item for item in results if not item.passed]
            moment = clock.now()
            event = CheckEvent(
                name=f"{scenario}_database_privileges",
                label=f"{LABELS.get(scenario, scenario)}: statements and privileges on the primary",
                scenario="preconditions",
                passed=not failed,
                observed=redactor.value({item.label: "ok" if item.passed else "refused" for item in results}),
                expected="every statement plans and every privilege is granted, as the drill user",
                detail=redactor.text("; ".join(f"{item.label}: {item.detail}" for item in failed)),
                ts=moment.iso, mono=moment.mono,
            )
            append_line(evidence_dir / "events.jsonl", event.model_dump(mode="json"))
            outcomes += [{"name": item.name, "label": item.label, "passed": item.passed, "detail": item.detail}
                         for item in results]
        result.update(changed=False, passed=all(item["passed"] for item in outcomes), trials=outcomes)
        return result
