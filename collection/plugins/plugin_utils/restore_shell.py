# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shell commands on the task's (delegated) host from a restore action plugin.

A raw command through the connection (with the task's become settings), not a module: no module
is shipped and no interpreter started, so the restore phase of the drill costs what the restore
itself costs (the benchmark compares it with running pgBackRest by hand).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ShellResult:
    rc: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def tail(self, limit: int = 1500) -> str:
        text = (self.stderr.strip() + "\n" + self.stdout.strip()).strip()
        return text[-limit:]


def run_shell(action, command, *, become=True):
    """Run ``command`` with ``/bin/sh`` on the connection's host, from ``/`` (the become user may
    not be allowed into the controller's working directory)."""
    outcome = action._low_level_execute_command(f"cd / && {command}", sudoable=become)
    return ShellResult(int(outcome.get("rc", 1)), outcome.get("stdout", ""), outcome.get("stderr", ""))
