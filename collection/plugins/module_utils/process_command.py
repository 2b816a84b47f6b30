# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The command line of a verification process, worked out the same way by the module that
starts it and by the action plugin that journals it before it starts."""

from __future__ import annotations

import os
import shlex
import string


def fill(text, values):
    return string.Template(text).safe_substitute({key: str(value) for key, value in values.items()})


def command_argv(command, placeholders):
    return shlex.split(fill(command or "", placeholders or {}))


def pid_file(log_dir, name):
    """Where the module writes the pid the moment the process is forked."""
    return os.path.join(log_dir, "%s.pid" % name)
