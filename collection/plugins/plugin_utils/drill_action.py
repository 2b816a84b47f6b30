# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared base of the collection's controller-side action plugins."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ansible.errors import AnsibleActionFail, AnsibleActionSkip
from ansible.plugins.action import ActionBase

try:
    import hadrill  # noqa: F401  # pylint: disable=unused-import

    HADRILL_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller's environment
    HADRILL_IMPORT_ERROR = exc


# The invocations of the collection's actions that change a host, and whether the change is a
# fault (a scenario's doing: production needs its opt-in) or only needs a started drill. Each one
# passes the guard before it runs, whatever way the play was started; undo paths (journal close,
# sampler stop, instance absent, process stopped) never need it, so recovery always works.
CHANGES_HOSTS = {
    "journal": (lambda args: args.get("state", "open") == "open", True, None),
    # A canary or a traffic probe writes to the target: a fault (a sampler of several is one of them).
    "sampler": (lambda args: args.get("state", "started") == "started",
                lambda args: any(item.get("kind") in ("canary", "http_probe")
                                 for item in [args, *(args.get("samplers") or [])]), None),
    "restore_instance": (lambda args: args.get("state", "present") in ("work_root", "prepared", "present"), True, "restore"),
    "restore_process": (lambda args: args.get("state", "started") == "started", True, "restore"),
    "restore_canary": (lambda args: args.get("state", "present") == "present", True, "restore"),
    "restore_incident": (lambda args: True, True, "restore"),
    "gate": (lambda args: True, False, None),
    # Stopping or deploying is a fault; starting undoes a pause; hadrill recover's undo is never guarded.
    "platform": (lambda args: args.get("operation") in ("stop", "deploy") and not args.get("undo"), True, None),
    "drill_cleanup": (lambda args: args.get("state", "done") in ("open", "done"), False, None),
}


def _is_fact(variable_manager, host, name):
    """Whether ``name`` was set as a fact (set_fact, a module's ansible_facts) for ``host``."""
    for cache in ("_nonpersistent_fact_cache", "_fact_cache"):
        try:
            facts = getattr(variable_manager, cache)[host]
        except (AttributeError, KeyError, TypeError):
            continue
        if isinstance(facts, Mapping) and name in facts:
            return True
    return False


class DrillAction(ActionBase):
    """An action that runs on the controller and writes into the drill's evidence directory."""

    TRANSFERS_FILES = False
    _requires_connection = False
    # An action that cannot honour check mode is skipped in it (its module documents
    # attributes.check_mode); one that can (a read, or a refusal of its own) sets this.
    SUPPORTS_CHECK_MODE = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        if self._task.check_mode and not self.SUPPORTS_CHECK_MODE:
            raise AnsibleActionSkip(
                f"{self._task.action} does not run in check mode: nothing is changed, and nothing is recorded as if it ran")
        rule = CHANGES_HOSTS.get(str(self._task.action).rsplit(".", 1)[-1])
        if rule is not None:
            changes, fault, scenario = rule
            args = self._task.args
            if changes(args):
                self.require_hadrill()
                self.guard(task_vars, scenario=args.get("scenario") or scenario,
                           fault=fault(args) if callable(fault) else fault)
        return result

    def require_hadrill(self):
        if HADRILL_IMPORT_ERROR is not None:
            raise AnsibleActionFail(
                "the hadrill Python package is required on the controller "
                "(install it into the Python that runs ansible-playbook: pip install hadrill): "
                f"{HADRILL_IMPORT_ERROR}"
            )

    def evidence_dir(self, task_vars, explicit=None):
        value = explicit or task_vars.get("drill_evidence_dir")
        if value:
            value = self._templar.template(value)
        if not value:
            raise AnsibleActionFail(
                "no drill evidence directory: run hadrill.drills.drill_start first "
                "(it sets drill_evidence_dir) or pass evidence_dir"
            )
        path = Path(str(value))
        if not path.is_dir():
            raise AnsibleActionFail(f"evidence directory {path} does not exist")
        return path

    def record_mark(self, evidence_dir, name, scenario=None, data=None):
        """Record a named milestone at this moment (hadrill.drills.mark, and the ``marks`` option of
        the actions that mark once their work is done); its data is redacted of known secrets."""
        from hadrill.events import make_marker, record_marker
        from hadrill.runtime import load_redactor

        marker = make_marker(name, scenario=scenario, data=load_redactor(evidence_dir).value(data or {}))
        record_marker(evidence_dir, marker)
        return marker

    def record_marks(self, evidence_dir, args, result):
        """The ``marks`` option: each milestone recorded now, in order, into ``result["marks"]``."""
        if args.get("marks"):
            result["marks"] = [self.record_mark(evidence_dir, item["name"], args.get("scenario"), item["data"])
                               for item in args["marks"]]

    def database_host(self, host, task_vars):
        """The inventory name and validated DbPrimaryHost settings of a database host.

        ``host`` defaults to the first db_primary host. Credentials come from the inventory's db_*
        variables, never from task arguments; only those variables are templated.
        """
        from pydantic import ValidationError

        from hadrill.config.targets import DbPrimaryHost

        host = host or (task_vars["groups"].get("db_primary") or [None])[0]
        if not host:
            raise AnsibleActionFail("no db_primary host: define the db_primary group or name the database's inventory host")
        if host not in task_vars["hostvars"]:
            raise AnsibleActionFail(f"database host {host!r} is not an inventory host")
        hostvars = task_vars["hostvars"][host]
        values = {name: self._templar.template(hostvars[name]) for name in DbPrimaryHost.model_fields if name in hostvars}
        try:
            return host, DbPrimaryHost.model_validate(values)
        except ValidationError as exc:
            raise AnsibleActionFail(f"database settings of {host} are invalid: {exc}") from None

    def database_target(self, host, task_vars):
        """The DbPrimaryHost settings of an inventory host (default: the first db_primary host)."""
        return self.database_host(host, task_vars)[1]

    def refuse_check_mode(self):
        if self._task.check_mode:
            raise AnsibleActionFail(
                "hadrill drills do not run in check mode (--check, AWX job type Check): a drill cannot be simulated "
                "without injecting its faults. For a dry run use `hadrill validate -i INVENTORY`. Nothing was changed."
            )

    def _live_environment_class(self, task_vars):
        """The inventory's environment class, the same on every host, not lowered for this run."""
        from ansible.utils.vars import load_extra_vars

        from hadrill.guard import class_not_overridden, environment_class

        hostvars = task_vars["hostvars"]
        hosts = list(dict.fromkeys(list(task_vars["groups"].get("all", [])) + [task_vars.get("inventory_hostname", "localhost")]))
        classes = {}
        for host in hosts:
            value = hostvars[host].get("drill_environment_class") if host in hostvars else None
            classes[host] = self._templar.template(value) if value is not None else None
        live = environment_class(classes)
        variable_manager = self._task.get_variable_manager()
        fact_hosts = [host for host in hosts if _is_fact(variable_manager, host, "drill_environment_class")]
        play_value = task_vars.get("drill_environment_class")
        class_not_overridden(
            live,
            extra_vars=load_extra_vars(self._loader),
            play_value=self._templar.template(play_value) if play_value is not None else None,
            fact_hosts=fact_hosts,
        )
        return live

    def guard(self, task_vars, scenario=None, fault=True):
        """Refuse unless drill_start ran in this run (and, for a fault, the drill may inject it here).

        Called by every action that changes a host, at the moment of the change, so that no way of
        starting a play (--start-at-task, --tags, a role included from another playbook) reaches a
        fault without the production guard. Returns the drill's drill.json record.
        """
        from ansible.module_utils.parsing.convert_bool import boolean

        from hadrill.guard import GuardRefused, check_fault, drill_record

        self.refuse_check_mode()
        evidence_dir = task_vars.get("drill_evidence_dir")
        drill_id = task_vars.get("drill_id")
        try:
            record = drill_record(
                self._templar.template(evidence_dir) if evidence_dir else None,
                self._templar.template(drill_id) if drill_id else None,
                os.getpid(),
            )
            if fault:
                allow = task_vars.get("drill_allow_production", False)
                confirm = task_vars.get("drill_confirm_id")
                check_fault(
                    record,
                    scenario=scenario,
                    live_class=self._live_environment_class(task_vars),
                    allow_production=boolean(self._templar.template(allow), strict=False) if allow else False,
                    confirm_id=self._templar.template(confirm) if confirm else None,
                )
        except GuardRefused as exc:
            raise AnsibleActionFail(f"refused: {exc}") from None
        return record

    def validated_args(self, argument_spec, **rules):
        """The task's arguments checked against the module's spec (and its mutually_exclusive,
        required_one_of... rules), with defaults filled in."""
        validation_result, new_module_args = self.validate_argument_spec(argument_spec=argument_spec, **rules)
        return new_module_args
