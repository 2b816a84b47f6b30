# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ansible import constants as C
from ansible import context
from ansible.errors import AnsibleActionFail
from ansible.utils.vars import load_extra_vars
from ansible.release import __version__ as ansible_version

from ansible_collections.hadrill.drills.plugins.plugin_utils.drill_action import DrillAction
from ansible_collections.hadrill.drills.plugins.modules.drill_start import ARGUMENT_SPEC
from ansible_collections.hadrill.drills.plugins.plugin_utils.secrets import play_secrets


class _TemplatedVars(Mapping):
    """Play variables, templated only when read (so unrelated broken vars cannot fail the drill)."""

    def __init__(self, variables, templar):
        self._variables = variables
        self._templar = templar

    def __getitem__(self, key):
        return self._templar.template(self._variables[key])

    def __iter__(self):
        return iter(list(self._variables.keys()))

    def __len__(self):
        return len(self._variables)


def controller_pid():
    """The process whose life is the drill's: `hadrill run` when it drives the playbook (under
    ansible-runner, ansible-playbook has its own session and outlives a killed controller, so it
    must not be what keeps the drill "running"), else the ansible-playbook process (the forked
    worker's parent)."""
    value = os.environ.get("HADRILL_CONTROLLER_PID", "")
    if value.isdigit() and int(value) > 1:
        return int(value)
    return os.getppid()


class ActionModule(DrillAction):
    """Validate the drill configuration, allocate the drill id and evidence directory, take the lock."""

    # Refuses check mode itself, with one line.
    SUPPORTS_CHECK_MODE = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.require_hadrill()
        self.refuse_check_mode()
        from hadrill.config import ConfigError
        from hadrill.drill_id import DrillIdError
        from hadrill.config.common import SCENARIOS
        from hadrill.guard import GuardRefused, tag_selection
        from hadrill.launch import awx_job, collection_version
        from hadrill.lock import DrillLocked
        from hadrill.target_lock import LockHeld
        from hadrill.start import JournalRefused, resolve_evidence_root, start_drill

        args = self.validated_args(ARGUMENT_SPEC)
        tags, skip_tags = context.CLIARGS.get("tags") or (), context.CLIARGS.get("skip_tags") or ()
        try:
            # Refuse a tag that is not a scenario before reading anything else.
            tag_selection(SCENARIOS, tags, skip_tags)
        except GuardRefused as exc:
            raise AnsibleActionFail(f"refused: {exc}. Nothing was changed.") from None
        hostvars = task_vars["hostvars"]
        variables = _TemplatedVars(task_vars, self._templar)
        project_dir = Path(os.path.dirname(C.CONFIG_FILE)) if C.CONFIG_FILE else Path.cwd()
        explicit_root = args.get("evidence_root") or (variables["drill_evidence_root"] if "drill_evidence_root" in task_vars else None)
        evidence_root = resolve_evidence_root(explicit_root, os.environ.get("HADRILL_EVIDENCE_ROOT"), project_dir)
        try:
            started = start_drill(
                variables=variables,
                groups=task_vars["groups"],
                host_variable=lambda host, name: self._templar.template(hostvars[host][name]),
                host_has=lambda host, name: name in hostvars[host],
                evidence_root=evidence_root,
                secrets=play_secrets(self._templar, task_vars),
                controller_pid=controller_pid(),
                ansible_version=ansible_version,
                narrow=lambda selected: tag_selection(selected, tags, skip_tags),
                # Validation refuses the variables that belong to the inventory when given as extra vars.
                extra_vars=list(load_extra_vars(self._loader)),
                # AWX's job (its environment and awx_* extra vars) and this collection's version.
                launch=awx_job(os.environ, {name: variables[name] for name in task_vars
                                            if name.startswith(("awx_", "tower_"))}),
                collection=collection_version(Path(__file__).resolve().parents[2]),
            )
        except ConfigError as exc:
            result.update(failed=True, msg=str(exc), hadrill_config_errors=exc.problems)
            return result
        except GuardRefused as exc:
            raise AnsibleActionFail(f"refused: {exc}. Nothing was changed.") from None
        except (DrillIdError, DrillLocked, LockHeld, JournalRefused) as exc:
            raise AnsibleActionFail(str(exc)) from None
        result.update(
            changed=True,
            drill_id=started.drill_id,
            hadrill_evidence_dir=str(started.evidence_dir),
            msg=f"drill {started.drill_id}: evidence in {started.evidence_dir}",
            ansible_facts={
                "drill_id": started.drill_id,
                "drill_evidence_dir": str(started.evidence_dir),
                "drill_selected_scenarios": started.scenarios,
            },
        )
        return result
