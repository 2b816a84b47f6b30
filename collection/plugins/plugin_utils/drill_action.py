# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared base of the collection's controller-side action plugins."""

from __future__ import annotations

from pathlib import Path

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

try:
    import hadrill  # noqa: F401  # pylint: disable=unused-import

    HADRILL_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller's environment
    HADRILL_IMPORT_ERROR = exc


class DrillAction(ActionBase):
    """An action that runs on the controller and writes into the drill's evidence directory."""

    TRANSFERS_FILES = False
    _requires_connection = False

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

    def validated_args(self, argument_spec):
        validation_result, new_module_args = self.validate_argument_spec(argument_spec=argument_spec)
        return new_module_args
