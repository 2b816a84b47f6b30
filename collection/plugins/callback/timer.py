# -*- coding: utf-8 -*-
# Copyright (c) 2026 hadrill maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: timer
type: aggregate
short_description: Record every task's timing and status into the drill's events.jsonl
description:
  - For every task and host, records the start and end (UTC wall clock), the duration
    (monotonic clock), the status, the role and phase (task file) and any markers, as one JSON
    line each in C(events.jsonl) of the drill's evidence directory. A task starts on a host when
    ansible-playbook hands it to a worker for that host and ends with its result; a result no
    worker produced (a meta task's, a failed include's) is recorded as starting when it ends. A
    delegated task also records the inventory host it ran on (C(delegated_to); for a loop, the
    hosts its items ran on, comma-separated).
  - Each task line also says what the task's time is (C(time)) - C(wait) (a wait the inventory
    configures, with its configured seconds in C(wait_s)), C(service) (a service at work) or
    C(overhead) - from its action and arguments, as C(hadrill.overhead) classifies them.
  - Runs beside any stdout callback, including ansible-runner's C(awx_display).
  - Each line is written and flushed as it happens, so an interrupted run keeps what was recorded.
  - The evidence directory comes from O(evidence_dir) or, when unset, from the first task
    result that returns C(hadrill_evidence_dir) (the drill's initialisation task); events seen
    before that are kept in memory and written then.
  - While a task that is a configured wait or a service at work runs (as its C(time) is
    classified from its action and untemplated arguments when it starts), ansible-playbook checks
    for task results every O(quiet_poll_interval) seconds instead of every C(internal_poll_interval)
    (1 ms unless configured), so that a controller sharing its host with the services under
    drill leaves their cores to them while they work. The configured interval is back as soon as no
    such task runs; a wait or service task's end is seen up to O(quiet_poll_interval) later.
version_added: "0.1.0"
requirements:
  - enable in configuration (C(callbacks_enabled = hadrill.drills.timer))
  - the hadrill Python package on the controller
options:
  evidence_dir:
    description: Evidence directory to write C(events.jsonl) into.
    type: path
    env:
      - name: HADRILL_EVIDENCE_DIR
    ini:
      - section: callback_hadrill_timer
        key: evidence_dir
  quiet_poll_interval:
    description:
      - Seconds between ansible-playbook's checks for task results while a configured wait or a
        service at work runs. Never below the configured C(internal_poll_interval); V(0) keeps
        that interval for every task.
    type: float
    default: 0.02
    env:
      - name: HADRILL_QUIET_POLL_INTERVAL
    ini:
      - section: callback_hadrill_timer
        key: quiet_poll_interval
"""

import functools
import os
import time
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii as _json_text

from ansible import constants as C
from ansible.plugins.callback import CallbackBase
from ansible_collections.hadrill.drills.plugins.plugin_utils.failure import failure_message

try:
    from hadrill.clock import format_epoch
    from hadrill.jsonl import Appender, line_encoder
    from hadrill.overhead import OVERHEAD, classify, may_wait_or_serve
    from hadrill.runtime import load_redactor
    from hadrill.scenarios import scenario_for_role

    HAS_HADRILL = True
except ImportError:  # pragma: no cover - reported at run time
    HAS_HADRILL = False

BUFFER_LIMIT = 20000
# What hadrill's actions import (pydantic models, psycopg: about 0.3 s a task, most of a drill's
# overhead).
ACTION_IMPORTS = ("hadrill.config", "hadrill.events", "hadrill.guard", "hadrill.httpspec", "hadrill.journal")


def _preload_action_imports():
    """Import what hadrill's actions need into ansible-playbook's own process: every task runs in a
    worker forked from it, so each action inherits these modules instead of importing them again.
    Only the imports; nothing runs."""
    import importlib

    for name in ACTION_IMPORTS:
        try:
            importlib.import_module(name)
        except ImportError:  # pragma: no cover - an incomplete installation is reported by the actions
            return


def _now():
    """(epoch seconds, monotonic seconds), read together; formatted only when a line is written."""
    return time.time(), time.monotonic()


def _task_fields(result):
    fields = getattr(result, "task_fields", None) or getattr(result, "_task_fields", None) or {}
    return fields if isinstance(fields, Mapping) else {}


def _returned(result):
    """The task's result as this callback's copy holds it, unconverted. From ansible-core 2.19 on,
    ``result.result`` (and ``_result``) converts that copy into native types on first use, which
    was most of what this callback cost per task; the few keys read here (flags, names, paths)
    need no conversion. Older ansible-core keeps the dict itself in ``_result``."""
    returned = getattr(result, "_return_data", None)
    if not isinstance(returned, Mapping):
        returned = result._result
    return returned if isinstance(returned, Mapping) else {}


def _delegate_of(fields, returned):
    """The task's templated delegate_to as the worker saw it (its task_fields), else the delegated
    connection's host; None when the task was not delegated."""
    delegated = fields.get("delegate_to")
    if not delegated:
        delegated = (returned.get("_ansible_delegated_vars") or {}).get("ansible_host")
    return str(delegated) if delegated else None


@functools.lru_cache(maxsize=256)
def _phase_of(path):
    """The phase of a role's task: its task file's name (``recover`` for ``tasks/recover.yml``)."""
    return os.path.splitext(os.path.basename(path))[0]


def _task_file(task):
    """The file a task was written in (without its line), or ""."""
    path = getattr(getattr(task, "_origin", None), "path", None)
    if path:
        return path
    return (task.get_path() or "").rsplit(":", 1)[0]


# A task's line, written by formatting rather than by encoding a dict: this runs for every result in
# ansible-playbook's own process right after a worker fork, where every object touched costs a page
# copy, and the dict, its twenty key strings and the encoder's call were a large share of the pages
# the callback copied per task. Strings go through the JSON encoder's own escaping
# (``encode_basestring_ascii``, as ``json.dumps`` writes them); the status is one of this callback's
# four words, the timestamps are digits, and the monotonic readings are finite floats (their
# ``repr`` is their JSON). Optional fields are added after it; the closing brace comes last.
_TASK_LINE = (
    '{"event":"task","task":%s,"task_uuid":%s,"action":%s,"play":%s,"role":%s,"scenario":%s,"phase":%s,'
    '"host":%s,"status":"%s","changed":%s,"start_ts":"%s","end_ts":"%s","start_mono":%r,"end_mono":%r,'
    '"duration_s":%r'
)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "hadrill.drills.timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._appender = None
        self._encode = line_encoder() if HAS_HADRILL else None
        # Lines written before the evidence directory is known: (JSON text without its closing
        # brace, the task's failure message and whether it was ignored, or None).
        self._buffer = []
        self._redactor = None
        self._host_started = {}
        # (host, task uuid) -> the hosts the items of a delegated loop ran on
        self._item_delegates = {}
        self._play = None
        self._sealed = False
        self._preloaded = False
        # The controller's poll interval as configured, and the (host, task) waits and service
        # tasks running under the quiet one.
        self._configured_poll = C.DEFAULT_INTERNAL_POLL_INTERVAL
        self._quiet_poll = None
        self._quiet_tasks = set()
        if not HAS_HADRILL:
            self._display.warning("hadrill.drills.timer: the hadrill Python package is not importable; no events recorded")
            self.disabled = True

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        configured = self.get_option("evidence_dir")
        if configured:
            self._open(configured)
        quiet = self.get_option("quiet_poll_interval")
        self._quiet_poll = max(float(quiet), self._configured_poll) if quiet and quiet > 0 else None

    # -- the controller's poll interval -------------------------------------------------------
    def _quiet_while(self, host, task):
        """Under the quiet poll interval from when a wait or a service task starts on a host."""
        action = task.action
        if not may_wait_or_serve(action):  # most tasks: their arguments need not be read
            return
        if classify(action, task.args)[0] == OVERHEAD:
            return
        self._quiet_tasks.add((host, task._uuid))
        C.DEFAULT_INTERNAL_POLL_INTERVAL = self._quiet_poll

    def _quiet_done(self, host=None, task_uuid=None):
        """The configured interval back once no wait or service task runs (all of them: None)."""
        if host is None:
            self._quiet_tasks.clear()
        else:
            self._quiet_tasks.discard((host, task_uuid))
        if not self._quiet_tasks and self._quiet_poll is not None:
            C.DEFAULT_INTERNAL_POLL_INTERVAL = self._configured_poll

    # -- output -------------------------------------------------------------------------------
    def _open(self, evidence_dir):
        if self._appender is not None:
            return
        from pathlib import Path

        directory = Path(evidence_dir)
        directory.mkdir(parents=True, exist_ok=True)
        self._appender = Appender(directory / "events.jsonl")
        self._redactor = load_redactor(directory)
        pending, self._buffer = self._buffer, []
        for text, failure in pending:
            self._emit(text, failure)

    def _write(self, record):
        """One record (a dict without a failure message) as one line."""
        self._emit(self._encode(record)[:-1])

    def _emit(self, text, failure=None):
        """One line: ``text`` is a JSON object's text without its closing brace; ``failure`` (the
        task's failure message, whether it was ignored) ends it, the message redacted."""
        if self._sealed:
            return
        if self._appender is None:
            if len(self._buffer) < BUFFER_LIMIT:
                self._buffer.append((text, failure))
            return
        if failure is not None:
            message, ignored = failure
            if self._redactor is not None:
                message = self._redactor.text(message)
            text = f'{text},"msg":{_json_text(message)},"ignored":{"true" if ignored else "false"}'
        self._appender.write_line(text + "}")

    # -- playbook structure -------------------------------------------------------------------
    def v2_playbook_on_start(self, playbook):
        epoch, mono = _now()
        self._write({"event": "playbook_start", "playbook": os.path.basename(playbook._file_name),
                     "ts": format_epoch(epoch), "mono": mono, "pid": os.getpid()})

    def v2_playbook_on_play_start(self, play):
        self._play = play.get_name()
        epoch, mono = _now()
        self._write({"event": "play_start", "play": self._play, "ts": format_epoch(epoch), "mono": mono})

    # No hook on a task's start: a task's time is each host's own, from when ansible-playbook hands
    # it to a worker (v2_runner_on_start) to its result. A result no worker produced (a meta task's)
    # starts and ends at once.
    def v2_runner_on_start(self, host, task):
        name = host.get_name()
        self._host_started[(name, task._uuid)] = _now()
        if self._quiet_poll is not None:
            self._quiet_while(name, task)
        # Before the first of hadrill's own tasks is handed to a worker: a playbook without any
        # pays nothing for them (each worker forked from a larger process costs more).
        if not self._preloaded and str(task.action).startswith("hadrill.drills."):
            self._preloaded = True
            _preload_action_imports()

    # -- results ------------------------------------------------------------------------------
    def _record(self, result, status):
        # Called for every task in ansible-playbook's own process, right after a worker fork:
        # every object this touches costs a page copy, so the common path stays short.
        end = _now()
        task = result._task
        task_uuid = task._uuid
        host = result._host.get_name()
        if self._quiet_tasks:
            self._quiet_done(host, task_uuid)
        end_epoch, end_mono = end
        start_epoch, start_mono = self._host_started.pop((host, task_uuid), end)
        role = task._role.get_name(include_role_fqcn=False) if task._role else None
        path = _task_file(task) if role else ""
        phase = _phase_of(path) if path else None
        scenario = scenario_for_role(role) if role else None
        action = task.action
        outcome = _returned(result)
        fields = _task_fields(result)
        text = _TASK_LINE % (
            _json_text(task.get_name()), _json_text(task_uuid), "null" if action is None else _json_text(action),
            "null" if self._play is None else _json_text(self._play),
            "null" if role is None else _json_text(role), "null" if scenario is None else _json_text(scenario),
            "null" if phase is None else _json_text(phase), _json_text(host), status,
            "true" if outcome.get("changed", False) else "false", format_epoch(start_epoch), format_epoch(end_epoch),
            start_mono, end_mono, round(end_mono - start_mono, 6))
        # The inventory host a delegated task ran on: the task's templated delegate_to (the
        # connection variables a callback receives are neither templated nor named); for a loop,
        # the hosts its items ran on (each item's templated delegate_to), comma-separated.
        items = self._item_delegates.pop((host, task_uuid), None) if self._item_delegates else None
        delegated = _delegate_of(fields, outcome)
        if items and (not delegated or "{{" in delegated):
            delegated = ", ".join(sorted(set(items)))
        if delegated and "{{" not in delegated:
            text += ',"delegated_to":' + _json_text(delegated)
        # Whether the task's time is a configured wait, a service at work or overhead (hadrill.overhead),
        # from its action and arguments (templated by the worker; a loop's are its task's). A skipped
        # task neither waited nor had a service work.
        if may_wait_or_serve(action):
            args = fields.get("args")
            kind, wait_seconds = classify(action, args if isinstance(args, Mapping) else task.args,
                                          skipped=status == "skipped")
            text += ',"time":' + _json_text(kind)
            if wait_seconds is not None:
                text += ',"wait_s":' + self._encode(wait_seconds)
        else:  # most tasks: their arguments need not be read
            text += ',"time":' + _json_text(OVERHEAD)
        marker = outcome.get("hadrill_marker")
        if isinstance(marker, dict):
            text += ',"markers":' + self._encode([marker.get("name")])
        failure = None
        if status in ("failed", "unreachable"):
            failure = (failure_message(result._result, "")[:2000], bool(getattr(task, "ignore_errors", False)))
        evidence_dir = outcome.get("hadrill_evidence_dir")
        if evidence_dir and self._appender is None:
            self._open(evidence_dir)
        if outcome.get("manifest_sha256") and action in ("hadrill.drills.evidence", "evidence"):
            # The bundle is sealed: anything written now (this task included) would break its manifest.
            self._sealed = True
            if self._appender is not None:
                self._appender.close()
        self._emit(text, failure)

    def _item(self, result):
        delegated = _delegate_of(_task_fields(result), _returned(result))
        if delegated and "{{" not in delegated:
            self._item_delegates.setdefault((result._host.get_name(), result._task._uuid), []).append(delegated)

    def v2_runner_item_on_ok(self, result):
        self._item(result)

    def v2_runner_item_on_failed(self, result):
        self._item(result)

    def v2_runner_item_on_skipped(self, result):
        self._item(result)

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        self._quiet_done()
        hosts = sorted(stats.processed.keys())
        summary = {host: stats.summarize(host) for host in hosts}
        epoch, mono = _now()
        self._write({"event": "playbook_end", "ts": format_epoch(epoch), "mono": mono, "stats": summary})
